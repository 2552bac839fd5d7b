"""Percentiles and summaries of samples (nearest-rank on sorted data, so p95 of 100 samples is the 95th)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import fmean


def percentile(samples: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile: the smallest sample with at least pct % of samples at or below it."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(samples: Sequence[float], *, digits: int = 1) -> dict[str, float | int | None]:
    """{n, p50, p95, p99, max, mean} rounded; the percentiles are None when there are no samples."""
    if not samples:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None, "mean": None}
    return {
        "n": len(samples),
        "p50": round(percentile(samples, 50), digits),
        "p95": round(percentile(samples, 95), digits),
        "p99": round(percentile(samples, 99), digits),
        "max": round(max(samples), digits),
        "mean": round(fmean(samples), digits),
    }
