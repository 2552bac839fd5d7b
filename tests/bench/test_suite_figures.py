"""bench.suite: the suite figures are medians of alternating runs, and a failed run's time never counts."""

from __future__ import annotations

from typing import Any

import pytest

from bench import suite


def fake_runs(monkeypatch: pytest.MonkeyPatch, walls: dict[int, list[tuple[float, int]]]) -> list[int]:
    """run_suite answers from `walls` (workers -> [(wall_s, exit_code), ...]); returns the order it was called in."""
    calls: list[int] = []

    def run_suite(workers: int, *, extra: list[str] | None = None) -> dict[str, Any]:
        calls.append(workers)
        wall, code = walls[workers].pop(0)
        return {"wall_s": wall, "exit_code": code, "summary": "", "passed": 47}

    monkeypatch.setattr(suite, "run_suite", run_suite)
    return calls


def test_runs_alternate_and_the_figures_are_medians(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = fake_runs(monkeypatch, {2: [(50.0, 0), (40.0, 0), (44.0, 0)], 0: [(70.0, 0), (66.0, 0), (60.0, 0)]})
    result = suite.measure(workers=2, rounds=3)
    assert calls == [2, 0, 2, 0, 2, 0]
    assert (result["parallel"], result["serial"]) == (44.0, 66.0)
    assert result["speedup"] == 1.5
    assert result["speedup_per_round"] == [1.4, 1.65, 1.36]
    assert len(result["parallel_runs"]) == len(result["serial_runs"]) == result["rounds"] == 3


def test_a_failed_run_is_kept_but_not_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_runs(monkeypatch, {2: [(10.0, 1), (40.0, 0), (44.0, 0)], 0: [(70.0, 0), (66.0, 0), (60.0, 0)]})
    result = suite.measure(workers=2, rounds=3)
    assert result["parallel"] == 42.0  # median of 40 and 44; the 10 s run failed
    assert result["parallel_runs"][0]["exit_code"] == 1


def test_no_passing_run_means_no_figure(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_runs(monkeypatch, {2: [(10.0, 1)], 0: [(70.0, 0)]})
    result = suite.measure(workers=2, rounds=1)
    assert result["parallel"] is None
    assert result["speedup"] is None


def test_rounds_below_one_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        suite.measure(rounds=0)


@pytest.mark.parametrize("flag", ["--suite-rounds", "--suite-workers"])
def test_the_cli_refuses_fewer_than_one(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    from bench.__main__ import main

    with pytest.raises(SystemExit) as exited:
        main(["--only", "suite", flag, "0"])
    assert exited.value.code == 2
    assert f"{flag} must be at least 1" in capsys.readouterr().err


def test_a_failed_run_names_its_failed_tests() -> None:
    output = ("....F.\n=========================== short test summary info ============================\n"
              "FAILED e2e/test_delivery.py::test_x[chromium] - AssertionError: boom\n"
              "ERROR e2e/test_calendar.py::test_y[chromium] - TimeoutError\n"
              "1 failed, 4 passed, 1 error in 9.10s\n")
    assert suite.failed_tests(output) == ["FAILED e2e/test_delivery.py::test_x[chromium] - AssertionError: boom",
                                          "ERROR e2e/test_calendar.py::test_y[chromium] - TimeoutError"]
    assert suite.failed_tests("6 passed in 3.0s\n") == []
