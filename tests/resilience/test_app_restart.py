"""The app restarted in the middle of a flow - once gracefully (a deploy), once SIGKILLed while a reply was
waiting to be sent - and the flow still completes: missed call -> first text -> quote -> the customer picks
a slot -> holds -> YES -> booked, each text sent exactly once. The state lives in the database, not in
the process. The app is a real `python -m app serve` process; Twilio is the fake, posting webhooks to it.
"""

from __future__ import annotations

import re
import signal
from typing import Any

import httpx
import pytest

from fakes.twilio import RunningTwilioFake
from stack.launcher import free_port
from tests.conftest import OPERATOR_TOKEN, owner_of, tenant_spec
from tests.resilience.conftest import ACCOUNT_SID, AUTH_TOKEN, MESSAGES_CREATE, message_creates, wait_for
from tests.resilience.processes import AppProcess, Processes, app_environment

pytestmark = pytest.mark.resilience

CUSTOMER = "+15550107300"
HOST = "127.0.0.1"


@pytest.fixture
def served_app(processes: Processes, database_url: str, twilio_fake: RunningTwilioFake) -> AppProcess:
    port = free_port(HOST)  # kept across restarts: Twilio posts to the URL the number was provisioned with
    env = app_environment(database_url, f"http://{HOST}:{port}", twilio_url=twilio_fake.base_url,
                          account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, operator_token=OPERATOR_TOKEN,
                          extra={"OUTBOX_MAX_ATTEMPTS": "100"})  # a reply keeps retrying until the crash
    return processes.app("app", env, host=HOST, port=port).start()


def texts(twilio: RunningTwilioFake) -> list[str]:
    return [m["body"] for m in twilio.control.messages(to=CUSTOMER)]


def customer_says(twilio: RunningTwilioFake, tenant: dict[str, Any], body: str) -> None:
    answer = twilio.control.inbound_sms(from_=CUSTOMER, to=tenant["phone_number"], body=body)
    assert answer["status_code"] == 200, answer


def next_text(twilio: RunningTwilioFake, count: int) -> str:
    return str(wait_for(lambda: texts(twilio)[count - 1] if len(texts(twilio)) >= count else None,
                        what=f"text #{count} to the customer"))


def test_a_booking_flow_survives_a_restart_and_a_crash(served_app: AppProcess, twilio_fake: RunningTwilioFake) -> None:
    base = served_app.ready_url.rsplit("/", 1)[0] if served_app.ready_url else ""
    catalog = [{"name": "Drain cleaning", "aliases": ["drain", "clogged"], "price_cents": 15000,
                "duration_minutes": 60}]
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}, timeout=10) as operator:
        tenant = operator.post("/api/operator/tenants", json=tenant_spec(catalog=catalog)).json()
        token = operator.post(f"/api/operator/tenants/{tenant['id']}/sessions",
                              json={"user": owner_of(tenant)["email"]}).json()["cookie_value"]

    twilio_fake.control.missed_call(from_=CUSTOMER, to=tenant["phone_number"])
    assert tenant["name"] in next_text(twilio_fake, 1)

    served_app.kill(signal.SIGTERM)  # a deploy: stopped gracefully, started again
    served_app.start()
    customer_says(twilio_fake, tenant, "My kitchen drain is clogged")
    quote = next_text(twilio_fake, 2)
    assert quote.startswith("Drain cleaning: $150") and "2) " in quote

    # Twilio is down when the customer picks a slot: the reply waits in the outbox, retrying... and the app dies.
    twilio_fake.control.add_fault(MESSAGES_CREATE, "status", method="POST", code=503, times=10_000)
    customer_says(twilio_fake, tenant, "2")
    wait_for(lambda: len(message_creates(twilio_fake)) >= 2 + 2, what="the reply to fail twice")
    served_app.kill(signal.SIGKILL)
    twilio_fake.control.clear_faults()
    served_app.start()
    held = next_text(twilio_fake, 3)
    assert re.match(r"Holding .+ for you until .+\. Reply YES to book it\.", held), held

    customer_says(twilio_fake, tenant, "YES")
    booked = next_text(twilio_fake, 4)
    assert booked.startswith("You're booked: Drain cleaning"), booked

    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=10) as owner:
        appointments = owner.get("/api/v1/appointments").json()["appointments"]
    assert [a["customer_phone"] for a in appointments] == [CUSTOMER]
    assert len(texts(twilio_fake)) == 4  # each step's text exactly once, through two restarts
    assert served_app.starts == 3
