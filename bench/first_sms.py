"""first_sms_latency_ms: a missed call's webhook leaves the Twilio fake -> the fake receives the app's Messages create.

Both instants come from the fake's own clock: the journal's `started_ts` of the voice-status webhook and
the created message's `created_ts`, so nothing on the bench's side (polling, HTTP) is counted. Calls are
made one at a time, each from a new caller, each after the previous text arrived: the latency of an idle
system, which is what a customer who just called sees.
"""

from __future__ import annotations

import time
from typing import Any

from bench.journal import first_sms_latencies
from bench.stats import summary
from bench.tenants import caller_numbers, seeder_for
from fakes.twilio.client import TwilioFakeClient
from seed.operator import OperatorClient
from stack.description import Stack

POLL_S = 0.005
TIMEOUT_S = 15.0


def wait_for_text(twilio: TwilioFakeClient, caller: str) -> bool:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        if twilio.messages(to=caller):
            return True
        time.sleep(POLL_S)
    return False


def measure(stack: Stack, *, samples: int, warmup: int = 3) -> dict[str, Any]:
    assert stack.twilio_url, "the stack has no Twilio fake"
    callers = caller_numbers("first-sms")
    with OperatorClient(stack.base_url, stack.operator_token) as operator, TwilioFakeClient(stack.twilio_url) as twilio:
        seeder = seeder_for(stack, operator, key="first-sms")
        tenant = seeder.create(compliance="approved")
        try:
            measured: list[str] = []
            timeouts = 0
            for index in range(warmup + samples):
                caller = callers.next()
                answer = twilio.missed_call(from_=caller, to=tenant.phone_number)
                if answer.get("status_code") != 200:
                    raise RuntimeError(f"the app answered the missed-call webhook with {answer}")
                arrived = wait_for_text(twilio, caller)
                if index >= warmup:
                    measured.append(caller)
                    timeouts += 0 if arrived else 1
            latencies, webhook_ms = first_sms_latencies(twilio, tenant.phone_number, measured)
        finally:
            seeder.delete_all()
    result: dict[str, Any] = summary(latencies)
    result["no_text_within_s"] = {"timeout_s": TIMEOUT_S, "count": timeouts}
    result["webhook_response_ms_p95"] = summary(webhook_ms)["p95"]
    return result
