"""`make bench BENCH_ARGS=--quick`: the benchmark runs end to end and writes JSON with every key SPEC 7 lists.

Benchmarks measure and tests assert behaviour, so no figure is held to its target here; only that
each one was measured (a number, not null) and that the quick run stays quick.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.__main__ import TARGETS, check_targets, empty_result
from bench.stats import percentile, summary

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# SPEC 7, key by key.
SPEC_KEYS: dict[str, tuple[str, ...]] = {
    "first_sms_latency_ms": ("n", "p50", "p95", "p99"),
    "tenant_seed_teardown_ms": ("n", "p50", "p95"),
    "stack_start_s": (),
    "suite_wall_s": ("serial", "parallel", "workers"),
    "scheduling_search_ms": ("p50", "p95"),
    "load": ("calls_per_min", "minutes", "outbox_lag_ms_p95", "lost", "duplicates"),
    "env": ("cpus", "python", "db", "browser"),
}
HOST_KEYS = ("core_ms_at_start", "core_ms_at_end", "steal_s")  # how fast the host ran: not in the empty result


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def test_nearest_rank_percentiles() -> None:
    samples = list(range(1, 101))
    assert percentile(samples, 50) == 50 and percentile(samples, 95) == 95 and percentile(samples, 100) == 100
    assert percentile([7.0], 99) == 7.0
    assert summary([]) == {"n": 0, "p50": None, "p95": None, "p99": None, "max": None, "mean": None}
    with pytest.raises(ValueError):
        percentile([], 50)


def test_the_empty_result_already_has_every_spec_key() -> None:
    result = empty_result()
    for key, fields in SPEC_KEYS.items():
        assert key in result
        for field in fields:
            assert field in result[key]


def test_targets_are_judged_per_figure_and_unknown_ones_stay_open() -> None:
    result = empty_result()
    result["first_sms_latency_ms"]["p95"] = 150.0
    result["load"].update(outbox_lag_ms_p95=1000.0, lost=0)
    result["stack_start_s"] = 3.5
    checks = check_targets(result)
    assert set(checks) == set(TARGETS)
    assert checks["first_sms_p95_ms"]["met"] is True
    assert checks["load_outbox_lag_p95_ms"]["met"] is False  # strictly below 1 s
    assert checks["load_lost"]["met"] is True and checks["stack_start_s"]["met"] is False
    assert checks["suite_speedup"]["met"] is None


def test_quick_run_writes_every_key(tmp_path: Path) -> None:
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("the load section runs on PostgreSQL (SPEC 7): set TEST_DATABASE_URL")
    out = tmp_path / "latest.json"
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--out", str(out)], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    for key, fields in SPEC_KEYS.items():
        assert key in result, key
        if key == "suite_wall_s":
            assert result[key]["skipped"] == "--quick"  # the e2e suite runs only in the full benchmark
            continue
        if not fields:
            assert _is_number(result[key]), (key, result[key])
        for field in fields:
            value = result[key][field]
            assert _is_number(value) or (key == "env" and isinstance(value, str | int) and value), (key, field, value)
    assert result["first_sms_latency_ms"]["n"] == 10 and result["tenant_seed_teardown_ms"]["n"] == 10
    assert result["load"]["db"] == "postgresql" and result["env"]["db"].startswith("PostgreSQL")
    # The PostgreSQL stack runs as deployed: web and outbox worker as two processes, both measured.
    assert result["load"]["topology"] == result["first_sms_latency_ms"]["topology"] == "web + separate worker"
    assert result["load"]["locust"]["worker_cpu_s"] > 0 and result["load"]["locust"]["app_cpu_s"] > 0
    assert result["load"]["lost"] == 0 and result["load"]["duplicates"] == 0  # counted from the fake's journal
    assert result["run"]["errors"] == {}
    assert all(_is_number(result["env"][key]) and result["env"][key] >= 0 for key in HOST_KEYS), result["env"]
    assert result["env"]["core_ms_at_start"] > 0 and result["env"]["core_ms_at_end"] > 0
    assert result["run"]["duration_s"] < 60, "--quick must stay under a minute"
    assert set(result["targets"]) == set(TARGETS)


def test_host_speed_is_a_positive_time_and_steal_a_counter() -> None:
    from bench import cpu, environment

    first, second = environment.core_speed_ms(rounds=2), environment.core_speed_ms(rounds=2)
    assert first > 0 and second > 0
    before, after = cpu.steal_s(), cpu.steal_s()
    assert before is None or (before >= 0 and after is not None and after >= before)
