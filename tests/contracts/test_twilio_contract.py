"""Every body the Twilio fake answers, and every webhook it posts, matches what Twilio publishes.

One module-scoped run drives every endpoint the fake implements over plain HTTP (the exact JSON)
and every webhook it sends; each case then checks one answer against the response schema of that
operation in Twilio's OpenAPI documents, or one webhook form against Twilio's documented parameters
(``twilio_conformance``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from fakes.twilio import TwilioFakeConfig, running_twilio_fake
from fakes.twilio.control import BRAND_STATUSES
from tests.contracts.twilio_conformance import (
    API_2010,
    MESSAGING_V1,
    document,
    error_problems,
    response_problems,
    webhook_problems,
)
from tests.fakes.conftest import ReceivedWebhook, WebhookReceiver

BUSINESS, CUSTOMER = "+15550100001", "+15550100999"
BUNDLE_A, BUNDLE_B = "BU" + "a" * 32, "BU" + "b" * 32
MESSAGES = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
MESSAGE = "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json"
NUMBERS = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json"
NUMBER = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json"
BRANDS = "/v1/a2p/BrandRegistrations"
BRAND = "/v1/a2p/BrandRegistrations/{Sid}"


@dataclass
class Answer:
    doc: str
    path: str
    method: str
    status: int
    body: Any


@dataclass
class Run:
    answers: dict[str, Answer] = field(default_factory=dict)
    errors: dict[str, Any] = field(default_factory=dict)
    webhooks: dict[str, list[ReceivedWebhook]] = field(default_factory=dict)


@contextlib.contextmanager
def every_endpoint_answered(receiver: WebhookReceiver) -> Iterator[Run]:
    with running_twilio_fake(TwilioFakeConfig(status_interval_ms=5)) as fake:
        run = Run()
        account = fake.account_sid
        http = httpx.Client(base_url=fake.base_url, auth=(account, fake.auth_token), timeout=30)

        def call(case: str, doc: str, template: str, method: str, status: int, sid: str = "", **kw: Any) -> Any:
            url = template.replace("{AccountSid}", account).replace("{Sid}", sid)
            answer = http.request(method, url, **kw)
            assert answer.status_code == status, f"{case}: {method} {url} -> {answer.status_code} {answer.text}"
            body = answer.json() if answer.content else None
            run.answers[case] = Answer(doc, template, method, status, body)
            return body

        def error(case: str, method: str, url: str, status: int, **kw: Any) -> None:
            answer = http.request(method, url, **kw)
            assert answer.status_code == status, f"{case}: {answer.status_code} {answer.text}"
            run.errors[case] = answer.json()

        sms_url, voice_status_url = receiver.url("/sms"), receiver.url("/voice-status")
        number = call(
            "number.create", API_2010, NUMBERS, "POST", 201,
            data={"PhoneNumber": BUSINESS, "SmsUrl": sms_url, "StatusCallback": voice_status_url},
        )
        call("number.fetch", API_2010, NUMBER, "GET", 200, number["sid"])
        call("number.update", API_2010, NUMBER, "POST", 200, number["sid"], data={"FriendlyName": "Main line"})
        call("number.list", API_2010, NUMBERS, "GET", 200, params={"PhoneNumber": BUSINESS})
        spare = call("number.create.area_code", API_2010, NUMBERS, "POST", 201, data={"AreaCode": "555"})
        call("number.delete", API_2010, NUMBER, "DELETE", 204, spare["sid"])

        status_url = receiver.url("/message-status")
        sent = call(
            "message.create", API_2010, MESSAGES, "POST", 201,
            data={"From": BUSINESS, "To": CUSTOMER, "Body": "Sorry we missed your call!", "StatusCallback": status_url},
        )
        receiver.wait_for(2, path="/message-status")  # sent, delivered
        call("message.fetch.delivered", API_2010, MESSAGE, "GET", 200, sent["sid"])
        failing = call(
            "message.create.unicode", API_2010, MESSAGES, "POST", 201,
            data={"From": BUSINESS, "To": CUSTOMER, "Body": "Ünïcode ✓ " * 20, "StatusCallback": status_url},
        )
        fake.control.set_message_status(failing["sid"], "undelivered", error_code=30003)
        # the forced callback is posted before set_message_status returns, so it is among these
        run.webhooks["message-status"] = receiver.wait_for(3, path="/message-status")
        call("message.fetch.undelivered", API_2010, MESSAGE, "GET", 200, failing["sid"])

        fake.control.inbound_sms(from_=CUSTOMER, to=BUSINESS, body="Can you come today?")
        fake.control.inbound_sms(from_=CUSTOMER, to=BUSINESS, body="STOP")
        run.webhooks["inbound-sms"] = receiver.wait_for(2, path="/sms")
        call("message.list", API_2010, MESSAGES, "GET", 200, params={"PageSize": 2})
        inbound = call("message.list.inbound", API_2010, MESSAGES, "GET", 200, params={"From": CUSTOMER})
        call("message.fetch.inbound", API_2010, MESSAGE, "GET", 200, inbound["messages"][0]["sid"])
        call("message.delete", API_2010, MESSAGE, "DELETE", 204, sent["sid"])

        fake.control.missed_call(from_=CUSTOMER, to=BUSINESS, status="no-answer", duration=0)
        fake.control.call(from_=CUSTOMER, to=BUSINESS, status="completed", duration=95)
        run.webhooks["voice-status"] = receiver.wait_for(2, path="/voice-status")

        brand = call(
            "brand.create", MESSAGING_V1, BRANDS, "POST", 201,
            data={"CustomerProfileBundleSid": BUNDLE_A, "A2PProfileBundleSid": BUNDLE_B},
        )
        compliance_url = receiver.url("/compliance")
        fake.control.set_brand_status(brand["sid"], "APPROVED", callback_url=compliance_url)
        call("brand.fetch.approved", MESSAGING_V1, BRAND, "GET", 200, brand["sid"])
        other = call(
            "brand.create.sole_proprietor", MESSAGING_V1, BRANDS, "POST", 201,
            data={"CustomerProfileBundleSid": BUNDLE_A, "A2PProfileBundleSid": BUNDLE_B, "BrandType": "SOLE_PROPRIETOR"},
        )
        fake.control.set_brand_status(other["sid"], "FAILED", callback_url=compliance_url, failure_reason="Bad EIN")
        call("brand.fetch.failed", MESSAGING_V1, BRAND, "GET", 200, other["sid"])
        call("brand.list", MESSAGING_V1, BRANDS, "GET", 200)
        run.webhooks["compliance"] = receiver.wait_for(2, path="/compliance")

        messages = MESSAGES.replace("{AccountSid}", account)
        error("error.20003.wrong_auth", "GET", messages, 401, auth=(account, "wrong"))
        error("error.20404.unknown_message", "GET", messages.replace(".json", "/SM" + "0" * 32 + ".json"), 404)
        error("error.20404.unknown_route", "GET", "/2010-04-01/Nothing.json", 404)
        error("error.21211.bad_to", "POST", messages, 400, data={"From": BUSINESS, "To": "555", "Body": "x"})
        error("error.21602.no_body", "POST", messages, 400, data={"From": BUSINESS, "To": CUSTOMER})
        error("error.21606.not_our_number", "POST", messages, 400, data={"From": CUSTOMER, "To": BUSINESS, "Body": "x"})
        error("error.21610.opted_out", "POST", messages, 400, data={"From": BUSINESS, "To": CUSTOMER, "Body": "x"})
        error("error.20001.brand_fields", "POST", BRANDS, 400, data={})
        fake.control.add_fault(r"/Messages\.json$", "status", method="GET", code=503)
        error("error.20503.injected_fault", "GET", messages, 503)
        http.close()
        yield run


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    receiver = WebhookReceiver()
    try:
        with every_endpoint_answered(receiver) as result:
            yield result
    finally:
        receiver.close()


ANSWER_CASES = [
    "number.create", "number.create.area_code", "number.fetch", "number.update", "number.list", "number.delete",
    "message.create", "message.create.unicode", "message.fetch.delivered", "message.fetch.undelivered",
    "message.fetch.inbound", "message.list", "message.list.inbound", "message.delete",
    "brand.create", "brand.create.sole_proprietor", "brand.fetch.approved", "brand.fetch.failed", "brand.list",
]  # fmt: skip
ERROR_CASES = [
    "error.20003.wrong_auth", "error.20404.unknown_message", "error.20404.unknown_route", "error.21211.bad_to",
    "error.21602.no_body", "error.21606.not_our_number", "error.21610.opted_out", "error.20001.brand_fields",
    "error.20503.injected_fault",
]  # fmt: skip


@pytest.mark.parametrize("case", ANSWER_CASES)
def test_answer_matches_twilios_openapi_schema(run: Run, case: str) -> None:
    answer = run.answers[case]
    problems = response_problems(answer.doc, answer.path, answer.method, answer.status, answer.body)
    assert not problems, f"{case} differs from Twilio's published schema:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("case", ERROR_CASES)
def test_error_body_matches_twilios_documented_error(run: Run, case: str) -> None:
    body = run.errors[case]
    problems = error_problems(body)
    assert not problems, f"{case}: " + "\n  ".join(problems)
    assert case.split(".")[1] == str(body["code"]), f"{case}: code {body['code']}"


#: kind -> a parameter sent only when it applies, which the run must have exercised
CONDITIONAL = {"inbound-sms": "OptOutType", "message-status": "ErrorCode", "voice-status": "CallDuration",
               "compliance": "FailureReason"}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(CONDITIONAL))
def test_every_webhook_carries_twilios_documented_parameters(run: Run, kind: str) -> None:
    hits = run.webhooks[kind]
    assert len(hits) >= 2, f"the run should have posted at least two {kind} webhooks"
    assert any(CONDITIONAL[kind] in hit.form for hit in hits), f"no {kind} webhook carried {CONDITIONAL[kind]}"
    for hit in hits:
        problems = webhook_problems(kind, hit.form)
        assert not problems, f"{kind} webhook {hit.form}:\n  " + "\n  ".join(problems)


def test_the_fake_reports_every_brand_status_twilio_documents() -> None:
    documented = document(MESSAGING_V1)["components"]["schemas"]["brand_registrations_enum_status"]["enum"]
    assert sorted(BRAND_STATUSES) == sorted(documented)
