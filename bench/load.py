"""load: missed calls per minute sustained on PostgreSQL, driven by Locust (bench/locustfile.py), headless.

After Locust stops, the app is given up to DRAIN_TIMEOUT_S to finish its outbox; then, per unique caller
whose webhook the app accepted (200), the fake's journal says whether it got a text (else: lost) and how
many (more than one: duplicates). Outbox lag is each handled event's processed_at - created_at, read
from the app's database: how long work waited behind the webhook that committed it.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select

from app.outbox.models import OutboxEvent
from bench.cpu import CpuWindow
from bench.journal import callers_of
from bench.stats import summary
from bench.tenants import seeder_for
from fakes.twilio.client import TwilioFakeClient
from seed.operator import OperatorClient
from stack.description import Stack

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
DRAIN_TIMEOUT_S = 60.0


def _profiler(pid: int, seconds: int, out: Path) -> subprocess.Popen[bytes]:
    # py-spy samples from outside: no code change, no instrumentation overhead in the figures.
    return subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pid),
                             "--duration", str(seconds), "--rate", "50", "--format", "speedscope", "-o", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _run_locust(twilio_url: str, numbers: list[str], *, calls_per_min: float, seconds: int, users: int,
                app_pid: int | None, worker_pid: int | None, profile_out: Path | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="nmc-locust-") as tmp:
        stats_file = Path(tmp) / "stats.json"
        csv_prefix = Path(tmp) / "locust"
        command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
                   "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--stop-timeout", "15",
                   "--host", twilio_url, "--calls-per-min", str(calls_per_min),
                   "--business-numbers", ",".join(numbers), "--json-file", str(stats_file.with_suffix("")),
                   "--csv", str(csv_prefix),
                   "--loglevel", "WARNING"]
        profilers = []
        if app_pid and profile_out:
            profilers.append(_profiler(app_pid, seconds, profile_out))
            if worker_pid:
                profilers.append(_profiler(worker_pid, seconds, profile_out.with_name("worker-" + profile_out.name)))
        cpu = CpuWindow(app_pid).start()
        worker_cpu = CpuWindow(worker_pid).start()
        started = time.monotonic()
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120, check=False)
        wall = time.monotonic() - started
        cpu_used = cpu.stop()
        # The separate worker's CPU (None when the worker runs inside the app: app_cpu_s has it).
        cpu_used["worker_cpu_s"] = worker_cpu.stop()["app_cpu_s"]
        for profiler in profilers:
            profiler.wait(timeout=60)
        stats: Any = json.loads(stats_file.read_text()) if stats_file.exists() else []
        failures_csv = csv_prefix.with_name("locust_failures.csv")
        failures = list(csv.DictReader(failures_csv.open())) if failures_csv.exists() else []
    requests: dict[str, Any] = next((s for s in stats if s.get("name") == "missed call"), {}) \
        if isinstance(stats, list) else {}
    if done.returncode not in (0, 1):  # 1 = some requests failed, which the analysis reports
        raise RuntimeError(f"locust exited with {done.returncode}:\n{done.stderr[-2000:]}")
    return {"wall_s": round(wall, 1), **cpu_used, "requests": requests.get("num_requests"),
            "failures": requests.get("num_failures"),
            "failure_kinds": {f["Error"][:160]: int(f["Occurrences"]) for f in failures[:5]}}


def _outbox(database_url: str, tenant_ids: list[str]) -> tuple[list[float], dict[str, int]]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(OutboxEvent.created_at, OutboxEvent.processed_at)
                                .where(OutboxEvent.tenant_id.in_(tenant_ids), OutboxEvent.status == "done")).all()
            counts = {str(status): int(n) for status, n in conn.execute(
                select(OutboxEvent.status, func.count()).where(OutboxEvent.tenant_id.in_(tenant_ids))
                .group_by(OutboxEvent.status))}
    finally:
        engine.dispose()
    lags = [(done - created).total_seconds() * 1000 for created, done in rows if done is not None]
    return lags, counts


def _pending(database_url: str, tenant_ids: list[str]) -> int:
    return _outbox(database_url, tenant_ids)[1].get("pending", 0)


def measure(stack: Stack, database_url: str, *, calls_per_min: float, seconds: int, tenants: int = 10, users: int = 25,
            app_pid: int | None = None, worker_pid: int | None = None,
            profile_out: Path | None = None) -> dict[str, Any]:
    assert stack.twilio_url, "the stack has no Twilio fake"
    with OperatorClient(stack.base_url, stack.operator_token) as operator, TwilioFakeClient(stack.twilio_url) as twilio:
        seeder = seeder_for(stack, operator, key="load")
        handles = [seeder.create(compliance="approved", techs=0) for _ in range(tenants)]
        numbers = [h.phone_number for h in handles]
        tenant_ids = [h.id for h in handles]
        try:
            locust = _run_locust(stack.twilio_url, numbers, calls_per_min=calls_per_min, seconds=seconds, users=users,
                                 app_pid=app_pid, worker_pid=worker_pid, profile_out=profile_out)
            deadline = time.monotonic() + DRAIN_TIMEOUT_S
            while _pending(database_url, tenant_ids) and time.monotonic() < deadline:
                time.sleep(0.25)
            time.sleep(1.0)  # the last texts' create requests may still be in flight to the fake
            records = callers_of(twilio, numbers)
            lags, outbox_counts = _outbox(database_url, tenant_ids)
        finally:
            seeder.delete_all()
    accepted = {caller: r for caller, r in records.items() if r.webhook_status == 200 and r.webhook_ts is not None}
    starts = sorted(r.webhook_ts for r in accepted.values() if r.webhook_ts is not None)
    span_s = (starts[-1] - starts[0]) if len(starts) > 1 else 0.0
    latencies = [(min(r.texts_ts) - r.webhook_ts) * 1000 for r in accepted.values() if r.texts_ts and r.webhook_ts]
    lag = summary(lags)
    return {
        # Accepted calls per minute between the first and the last one (users start staggered, at full rate).
        "calls_per_min": round((len(starts) - 1) / span_s * 60, 1) if span_s else 0.0,
        "calls_span_s": round(span_s, 1),
        "target_calls_per_min": calls_per_min,
        "minutes": round(seconds / 60, 2),
        "calls_accepted": len(accepted),
        "calls_refused": sum(1 for r in records.values() if r.webhook_status != 200),
        "outbox_lag_ms_p50": lag["p50"],
        "outbox_lag_ms_p95": lag["p95"],
        "outbox_lag_ms_max": lag["max"],
        "outbox_events": outbox_counts,
        "first_sms_ms_p50": summary(latencies)["p50"],
        "first_sms_ms_p95": summary(latencies)["p95"],
        "lost": sum(1 for r in accepted.values() if not r.texts_ts),
        "duplicates": sum(len(r.texts_ts) - 1 for r in accepted.values() if len(r.texts_ts) > 1),
        "tenants": tenants,
        "locust": locust,
        "db": "postgresql",
    }
