"""Where the time goes: database round trips per missed call and per tenant seed + teardown, in-process.

    .venv/bin/python -m bench.roundtrips [--calls 50] [--database-url URL] [--profile out.speedscope.json]

Runs the app (uvicorn on a thread, the outbox worker in-process, as `python -m app serve` does) and the
Twilio fake in this process, makes missed calls one at a time and counts, per call, the SQL statements,
commits and pool checkouts of the webhook request and of the outbox worker; then the same for creating
and deleting a tenant the way the flow suite's seeder does (web = the operator API). On a 2-core machine each
round trip to PostgreSQL costs about a millisecond, more under load, so the counts predict latency and
throughput better than wall time does; `--profile` adds a py-spy recording of this process.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import event

from app import migrations
from app.main import create_app
from app.settings import Settings
from bench.database import fresh_database, server_url
from bench.first_sms import wait_for_text
from bench.stats import summary
from bench.tenants import caller_numbers, seeder_for
from fakes.twilio import TwilioFakeConfig, running_twilio_fake
from seed.operator import OperatorClient
from stack.description import Stack
from stack.launcher import free_port


def _category() -> str:
    name = threading.current_thread().name
    return "worker" if name.startswith("outbox") else "web"


def _count(engine: Any, counts: Counter[str]) -> None:
    lock = threading.Lock()

    def bump(key: str) -> None:
        with lock:
            counts[f"{_category()}.{key}"] += 1

    event.listen(engine, "before_cursor_execute", lambda *a, **k: bump("statements"))
    event.listen(engine, "commit", lambda *a, **k: bump("commits"))
    event.listen(engine.pool, "checkout", lambda *a, **k: bump("checkouts"))


def run(database_url: str, *, calls: int, profile: Path | None) -> dict[str, Any]:
    migrations.upgrade(database_url)
    port = free_port("127.0.0.1")
    token = secrets.token_urlsafe(24)
    with running_twilio_fake(TwilioFakeConfig()) as fake:
        settings = Settings(
            app_env="test", database_url=database_url, secret_key=secrets.token_urlsafe(32), operator_token=token,
            public_base_url=f"http://127.0.0.1:{port}", password_hash_time_cost=1, password_hash_memory_kib=1024,
            twilio_account_sid=fake.account_sid, twilio_auth_token=fake.auth_token, twilio_api_base=fake.base_url,
            log_level="WARNING",
        )
        app = create_app(settings)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False))
        thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.01)
        counts: Counter[str] = Counter()
        _count(app.state.db.engine, counts)
        stack = Stack(base_url=f"http://127.0.0.1:{port}", operator_token=token, twilio_url=fake.base_url,
                      stripe_url=None, app_log_file=None, target_id="roundtrips", shared=False,
                      disposable=True)
        profiler = None
        if profile:
            profiler = subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(os.getpid()),
                                         "--idle", "--rate", "200", "--format", "speedscope", "-o", str(profile)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            with OperatorClient(stack.base_url, token) as operator:
                seeder = seeder_for(stack, operator, key="roundtrips")
                tenant = seeder.create(compliance="approved")
                callers = caller_numbers("roundtrips")
                for _ in range(3):  # warm-up: imports, pools, statement caches
                    caller = callers.next()
                    fake.control.missed_call(from_=caller, to=tenant.phone_number)
                    wait_for_text(fake.control, caller)
                time.sleep(0.5)  # status callbacks of the warm-up texts
                counts.clear()
                walls: list[float] = []
                for _ in range(calls):
                    caller = callers.next()
                    started = time.perf_counter()
                    fake.control.missed_call(from_=caller, to=tenant.phone_number)
                    wait_for_text(fake.control, caller)
                    walls.append((time.perf_counter() - started) * 1000)
                time.sleep(1.0)  # let the delivery callbacks and reporting of the last call finish
                snapshot = dict(counts)
                counts.clear()
                seed_walls: list[float] = []
                for _ in range(calls):
                    started = time.perf_counter()
                    seeder.delete(seeder.create())
                    seed_walls.append((time.perf_counter() - started) * 1000)
                seed_snapshot = dict(counts)
                seeder.delete_all()
        finally:
            if profiler is not None:
                profiler.send_signal(2)  # SIGINT: py-spy writes the recording and exits
                profiler.wait(timeout=60)
            server.should_exit = True
            thread.join(timeout=10)
    per_call = {key: round(value / calls, 1) for key, value in sorted(snapshot.items())}
    per_seed = {key: round(value / calls, 1) for key, value in sorted(seed_snapshot.items())}
    return {"calls": calls, "per_call": per_call, "call_to_text_ms": summary(walls),
            "per_seed_and_teardown": per_seed, "seed_and_teardown_ms": summary(seed_walls)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.roundtrips", description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--database-url", help="an EMPTY database; default: a fresh one on the test PostgreSQL server")
    parser.add_argument("--profile", type=Path, help="write a py-spy speedscope recording here")
    args = parser.parse_args(argv)
    if args.database_url:
        result = run(args.database_url, calls=args.calls, profile=args.profile)
    else:
        server = server_url()
        if server is None:
            print("no PostgreSQL server (scripts/postgres-for-tests.sh failed); pass --database-url", file=sys.stderr)
            return 2
        with fresh_database(server, f"nmc_bench_roundtrips_{os.getpid()}") as url:
            result = run(url, calls=args.calls, profile=args.profile)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
