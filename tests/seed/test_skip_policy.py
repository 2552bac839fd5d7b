"""The e2e skip policy (e2e/plugins/skips.py), run the way CI runs the suite: every skip is listed at
the end, and the ci profile fails a run with a skip that did not come through skip_outside_app."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.seed.conftest import PytestRun, run_pytest

SELFCHECK = "e2e/selfcheck/test_skips.py"
ALLOWED = f"allowed: {SELFCHECK}::test_skips_for_a_reason_outside_the_app: [outside the app: no_twilio_fake]"
UNLISTED = f"NOT ALLOWED: {SELFCHECK}::test_skips_because_a_feature_is_missing: selfcheck: the feature is not there yet"
XFAIL = f"NOT ALLOWED: {SELFCHECK}::test_is_expected_to_fail: xfail: selfcheck: known broken"


def run(tmp_path: Path, *args: str) -> PytestRun:
    # Reports into tmp_path: the ci profile would otherwise write the project's test-results/junit.xml.
    return run_pytest([SELFCHECK, "-p", "no:randomly", "--junitxml", str(tmp_path / "junit.xml"),
                       "--html", str(tmp_path / "report.html"), *args], tmp_path, env={"E2E_SELF_CHECK": "1"})


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_ci_profile_fails_a_run_with_a_skip_outside_the_allow_list(tmp_path: Path, workers: list[str]) -> None:
    result = run(tmp_path, "--profile", "ci", *workers)
    assert result.returncode == 1, result
    assert "1 passed, 2 skipped, 1 xfailed" in result.output, result
    assert ALLOWED in result.output and UNLISTED in result.output and XFAIL in result.output, result
    assert "2 skip(s) did not come through e2e.support.skip_outside_app" in result.output
    assert "this profile fails the run" in result.output


def test_default_profile_lists_every_skip_and_passes(tmp_path: Path) -> None:
    result = run(tmp_path, "--profile", "default")
    assert result.returncode == 0, result
    assert ALLOWED in result.output and UNLISTED in result.output and XFAIL in result.output, result
    assert "the ci profile fails a run with them" in result.output


def test_ci_profile_accepts_skips_for_reasons_outside_the_app(tmp_path: Path) -> None:
    result = run(tmp_path, "--profile", "ci", "-k", "outside_the_app or refuses")
    assert result.returncode == 0, result
    assert "1 passed, 1 skipped" in result.output and ALLOWED in result.output, result
    assert "NOT ALLOWED" not in result.output
