"""The topology the README documents for running the outbox worker on its own: `python -m app serve
--no-worker` next to `python -m app worker`, as real processes. The web process is healthy without a
worker of its own (it once answered 503 unless RUN_WORKER_IN_PROCESS=false was set as well), runs none,
and a missed call's first text waits in the outbox until the separate worker sends it. On PostgreSQL the
web process's commits NOTIFY the worker, so the text does not wait for the worker's poll.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from app.db import Database
from app.outbox.models import OutboxEvent
from fakes.twilio import RunningTwilioFake
from stack.launcher import free_port
from tests.conftest import OPERATOR_TOKEN, tenant_spec
from tests.resilience.conftest import ACCOUNT_SID, AUTH_TOKEN, wait_for
from tests.resilience.processes import AppProcess, Processes, app_environment

pytestmark = pytest.mark.resilience

CUSTOMER = "+15550107400"
HOST = "127.0.0.1"
LONG_POLL_S = 30.0  # a poll this slow cannot be what delivers the text within half of it


def started_a_worker(process: AppProcess) -> bool:
    return any(entry.get("logger") == "app.outbox" and "started" in entry.get("message", "")
               for entry in process.log_entries())


def pending_events(database_url: str, tenant_id: str) -> int:
    database = Database(database_url)
    try:
        with database.session() as db:
            return int(db.scalar(select(func.count()).select_from(OutboxEvent)
                                 .where(OutboxEvent.tenant_id == tenant_id, OutboxEvent.status == "pending")) or 0)
    finally:
        database.engine.dispose()


def test_serve_without_a_worker_is_healthy_and_a_separate_worker_texts_the_caller(
    processes: Processes, database_url: str, twilio_fake: RunningTwilioFake,
) -> None:
    port = free_port(HOST)
    env = app_environment(database_url, f"http://{HOST}:{port}", twilio_url=twilio_fake.base_url,
                          account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, operator_token=OPERATOR_TOKEN)
    assert "RUN_WORKER_IN_PROCESS" not in env  # the flag alone must be enough
    web = processes.app("web", env, host=HOST, port=port, extra_args=("--no-worker",)).start()

    base = f"http://{HOST}:{port}"
    assert httpx.get(f"{base}/healthz", timeout=5).json() == {"status": "ok"}
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}, timeout=10) as operator:
        tenant = operator.post("/api/operator/tenants", json=tenant_spec()).json()
    answer = twilio_fake.control.missed_call(from_=CUSTOMER, to=tenant["phone_number"])
    assert answer["status_code"] == 200, answer
    assert pending_events(database_url, tenant["id"]) >= 1  # committed by the web process, handled by nobody yet
    assert twilio_fake.control.messages(to=CUSTOMER) == []
    assert not started_a_worker(web)

    worker = processes.worker("worker", env).start()
    first = wait_for(lambda: twilio_fake.control.messages(to=CUSTOMER), what="the first text, from the worker")
    assert len(first) == 1 and tenant["name"] in first[0]["body"]
    assert started_a_worker(worker) and not started_a_worker(web)


def test_on_postgresql_the_separate_worker_is_woken_at_commit_not_at_its_poll(
    processes: Processes, database_url: str, twilio_fake: RunningTwilioFake,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("LISTEN / NOTIFY is PostgreSQL's; on SQLite the separate worker polls")
    port = free_port(HOST)
    env = app_environment(database_url, f"http://{HOST}:{port}", twilio_url=twilio_fake.base_url,
                          account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, operator_token=OPERATOR_TOKEN,
                          extra={"OUTBOX_POLL_INTERVAL_SECONDS": str(LONG_POLL_S)})
    web = processes.app("web", env, host=HOST, port=port, extra_args=("--no-worker",)).start()
    worker = processes.worker("worker", env).start()
    # Running, and listening: from here on only a NOTIFY can wake it before the poll's LONG_POLL_S.
    wait_for(lambda: any("woken by NOTIFY" in entry.get("message", "") for entry in worker.log_entries()),
             what="the worker's 'running' line")

    base = f"http://{HOST}:{port}"
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}, timeout=10) as operator:
        tenant = operator.post("/api/operator/tenants", json=tenant_spec()).json()
    assert twilio_fake.control.missed_call(from_=CUSTOMER, to=tenant["phone_number"])["status_code"] == 200
    first = wait_for(lambda: twilio_fake.control.messages(to=CUSTOMER), what="the first text, woken by NOTIFY",
                     timeout=LONG_POLL_S / 2)
    # The webhook's NOTIFY wakes the worker for the missed call's event; the text that handler queues
    # wakes it from within (its own commit), so neither waits for the poll.
    assert len(first) == 1
    assert not started_a_worker(web)
