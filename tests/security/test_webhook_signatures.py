"""Every webhook endpoint (generated from the route table) refuses missing, tampered, wrong-secret and - for
Stripe, whose signatures carry a timestamp - stale signatures, and stores nothing: every table's row count is
the same before and after. The correctly signed request is accepted and stored, so the refusals are real.

Twilio signatures have no timestamp, so "stale" does not apply to them; a captured Twilio webhook replayed
later is answered 200 and changes nothing (deduplicated by its idempotency token / provider ids).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.calendars.models import CalendarConnection
from app.db import Database
from app.settings import Settings
from tests.security.conftest import JOBBER_CLIENT_SECRET, TWILIO_ACCOUNT_SID
from tests.security.routes import Access, routes_with
from tests.security.signing import SignedRequest, stripe_request, twilio_request
from tests.security.snapshots import row_counts

pytestmark = pytest.mark.security

CUSTOMER = "+15550107777"


def twilio_params(path: str, tenant: dict[str, Any]) -> dict[str, str]:
    """A webhook of each kind that the app would act on if it were genuine."""
    number, sid = tenant["phone_number"], uuid.uuid4().hex
    common = {"AccountSid": TWILIO_ACCOUNT_SID, "ApiVersion": "2010-04-01"}
    return {
        "/webhooks/twilio/voice-status": {**common, "CallSid": f"CA{sid}", "From": CUSTOMER, "To": number,
                                          "CallStatus": "no-answer", "CallDuration": "0", "Direction": "inbound"},
        "/webhooks/twilio/sms": {**common, "MessageSid": f"SM{sid}", "From": CUSTOMER, "To": number,
                                 "Body": "My sink is leaking", "NumMedia": "0"},
        "/webhooks/twilio/message-status": {**common, "MessageSid": f"SM{sid}", "MessageStatus": "delivered",
                                            "From": number, "To": CUSTOMER},
        "/webhooks/twilio/compliance": {**common, "BrandRegistrationSid": tenant["extra"].get("brand_sid", ""),
                                        "Status": "APPROVED"},
    }[path]


def stripe_event(tenant: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"evt_{uuid.uuid4().hex}", "object": "event", "type": "checkout.session.completed",
            "created": int(time.time()), "livemode": False, "api_version": "2024-06-20",
            "data": {"object": {"id": f"cs_test_{uuid.uuid4().hex}", "object": "checkout.session",
                                "client_reference_id": tenant["id"], "customer": f"cus_{uuid.uuid4().hex[:14]}",
                                "subscription": f"sub_{uuid.uuid4().hex[:14]}", "mode": "subscription",
                                "status": "complete"}}}


def spoiled_twilio(settings: Settings, path: str, tenant: dict[str, Any]) -> dict[str, SignedRequest]:
    good = twilio_request(settings, path, twilio_params(path, tenant))
    missing = SignedRequest(good.content, {k: v for k, v in good.headers.items() if k != "X-Twilio-Signature"})
    # Signed, then changed on the way: the caller's number swapped.
    tampered = SignedRequest(good.content.replace(b"%2B15550107777", b"%2B15550107778").replace(b"APPROVED", b"FAILED"),
                             good.headers)
    assert tampered.content != good.content
    other_endpoint = "/webhooks/twilio/sms" if path != "/webhooks/twilio/sms" else "/webhooks/twilio/voice-status"
    return {
        "missing": missing,
        "tampered": tampered,
        "wrong secret": twilio_request(settings, path, twilio_params(path, tenant), token="someone_elses_auth_token_0000"),
        "signed for another URL": twilio_request(settings, path, twilio_params(path, tenant),
                                                 signed_url=settings.public_base_url + other_endpoint),
        "garbage": SignedRequest(good.content, {**good.headers, "X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}),
    }


def spoiled_stripe(tenant: dict[str, Any]) -> dict[str, SignedRequest]:
    event = stripe_event(tenant)
    good = stripe_request(event)
    return {
        "missing": SignedRequest(good.content, {"Content-Type": "application/json"}),
        "tampered": SignedRequest(good.content.replace(b"checkout.session.completed", b"customer.subscription.deleted"),
                                  good.headers),
        "wrong secret": stripe_request(event, secret="whsec_someone_else_0123456789"),
        "stale": stripe_request(event, timestamp=int(time.time()) - 301),  # outside the SDK's 300 s tolerance
        "garbage": SignedRequest(good.content, {**good.headers, "Stripe-Signature": "t=1,v1=00"}),
    }


Genuine = Callable[[Settings, dict[str, Any]], SignedRequest]
Spoilers = Callable[[Settings, dict[str, Any]], dict[str, SignedRequest]]


def twilio_webhook(path: str) -> tuple[Genuine, Spoilers]:
    def genuine(settings: Settings, tenant: dict[str, Any]) -> SignedRequest:
        return twilio_request(settings, path, twilio_params(path, tenant))

    def spoilers(settings: Settings, tenant: dict[str, Any]) -> dict[str, SignedRequest]:
        return spoiled_twilio(settings, path, tenant)

    return genuine, spoilers


def stripe_webhook() -> tuple[Genuine, Spoilers]:
    def genuine(settings: Settings, tenant: dict[str, Any]) -> SignedRequest:
        return stripe_request(stripe_event(tenant))

    def spoilers(settings: Settings, tenant: dict[str, Any]) -> dict[str, SignedRequest]:
        return spoiled_stripe(tenant)

    return genuine, spoilers


def google_webhook() -> tuple[Genuine, Spoilers]:
    """Google's push notifications are not signed: the channel id and the token the app chose are the credential."""

    def channel(settings: Settings, tenant: dict[str, Any]) -> tuple[str, str]:
        database = Database(settings.database_url)
        try:
            with database.session() as db:
                connection = db.query(CalendarConnection).filter_by(tenant_id=tenant["id"]).one_or_none()
                if connection is None:
                    connection = CalendarConnection(tenant_id=tenant["id"], access_token="ya29.test",
                                                    channel_id=uuid.uuid4().hex, channel_token=uuid.uuid4().hex)
                    db.add(connection)
                    db.commit()
                return connection.channel_id or "", connection.channel_token or ""
        finally:
            database.dispose()

    def notification(channel_id: str, token: str | None) -> SignedRequest:
        headers = {"X-Goog-Channel-ID": channel_id, "X-Goog-Resource-State": "exists", "X-Goog-Message-Number": "2"}
        return SignedRequest(b"", headers if token is None else {**headers, "X-Goog-Channel-Token": token})

    def genuine(settings: Settings, tenant: dict[str, Any]) -> SignedRequest:
        return notification(*channel(settings, tenant))

    def spoilers(settings: Settings, tenant: dict[str, Any]) -> dict[str, SignedRequest]:
        channel_id, token = channel(settings, tenant)
        return {"missing": notification(channel_id, None), "tampered": notification(channel_id, token[:-1] + "x"),
                "wrong-secret": notification(uuid.uuid4().hex, token)}

    return genuine, spoilers


def jobber_webhook() -> tuple[Genuine, Spoilers]:
    """Jobber signs the raw body: base64(HMAC-SHA256(the app's client secret, body)), computed here on its own."""

    def account(settings: Settings, tenant: dict[str, Any]) -> str:
        database = Database(settings.database_url)
        try:
            with database.session() as db:
                connection = db.query(CalendarConnection).filter_by(tenant_id=tenant["id"], provider="jobber").one_or_none()
                if connection is None:
                    connection = CalendarConnection(tenant_id=tenant["id"], provider="jobber", access_token="test",
                                                    calendar_id=base64.b64encode(uuid.uuid4().bytes).decode())
                    db.add(connection)
                    db.commit()
                return connection.calendar_id
        finally:
            database.dispose()

    def webhook(account_id: str, *, secret: str | None = JOBBER_CLIENT_SECRET, tamper: bool = False) -> SignedRequest:
        body = json.dumps({"data": {"webHookEvent": {"topic": "VISIT_CREATE", "appId": "app", "accountId": account_id,
                                                     "itemId": "Z2lkOi8vSm9iYmVyL1Zpc2l0LzE=",
                                                     "occurredAt": "2030-01-07T15:00:00Z"}}}).encode()
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Jobber-Hmac-SHA256"] = base64.b64encode(
                hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        return SignedRequest(body.replace(b"VISIT_CREATE", b"VISIT_UPDATE") if tamper else body, headers)

    def genuine(settings: Settings, tenant: dict[str, Any]) -> SignedRequest:
        return webhook(account(settings, tenant))

    def spoilers(settings: Settings, tenant: dict[str, Any]) -> dict[str, SignedRequest]:
        account_id = account(settings, tenant)
        good = webhook(account_id)
        return {"missing": webhook(account_id, secret=None), "tampered": webhook(account_id, tamper=True),
                "wrong secret": webhook(account_id, secret="someone-elses-client-secret"),
                "garbage": SignedRequest(good.content, {**good.headers, "X-Jobber-Hmac-SHA256": "bm90IGEgc2lnbmF0dXJl"})}

    return genuine, spoilers


#: One entry per webhook endpoint: a genuine request, and the spoiled variants of it.
WEBHOOKS: dict[str, tuple[Genuine, Spoilers]] = {
    "/webhooks/twilio/voice-status": twilio_webhook("/webhooks/twilio/voice-status"),
    "/webhooks/twilio/sms": twilio_webhook("/webhooks/twilio/sms"),
    "/webhooks/twilio/message-status": twilio_webhook("/webhooks/twilio/message-status"),
    "/webhooks/twilio/compliance": twilio_webhook("/webhooks/twilio/compliance"),
    "/webhooks/stripe": stripe_webhook(),
    "/webhooks/google/calendar": google_webhook(),
    "/webhooks/jobber": jobber_webhook(),
}


def post(client: TestClient, path: str, request: SignedRequest) -> Any:
    return client.post(path, content=request.content, headers=request.headers)


def test_every_webhook_endpoint_is_covered(app: FastAPI) -> None:
    served = {route.path for route in routes_with(app, Access.WEBHOOK)}
    assert served == set(WEBHOOKS), f"webhook endpoints without signature tests: {sorted(served - set(WEBHOOKS))}"


def test_spoiled_signatures_are_refused_and_store_nothing(
    app: FastAPI, client: TestClient, database: Database, settings: Settings,
    make_tenant: Callable[..., dict[str, Any]],
) -> None:
    tenant = make_tenant(compliance="pending")
    problems = []
    for path, (genuine, spoilers) in WEBHOOKS.items():
        for name, request in spoilers(settings, tenant).items():
            before = row_counts(database)
            response = post(client, path, request)
            if response.status_code not in (400, 403) or response.json().get("code") != "invalid_signature":
                problems.append(f"{path} with a {name} signature answered {response.status_code} {response.text[:100]}")
            if row_counts(database) != before:
                problems.append(f"{path} with a {name} signature stored something")
        before = row_counts(database)
        accepted = post(client, path, genuine(settings, tenant))
        if accepted.status_code != 200 or row_counts(database) == before:
            problems.append(f"{path}: the genuine request was not accepted and stored ({accepted.status_code}), "
                            "so the refusals above prove nothing")
    assert not problems, "\n".join(problems)


def test_a_captured_twilio_webhook_replayed_later_changes_nothing(
    client: TestClient, database: Database, settings: Settings, make_tenant: Callable[..., dict[str, Any]],
) -> None:
    tenant = make_tenant()
    captured = twilio_request(settings, "/webhooks/twilio/voice-status",
                              twilio_params("/webhooks/twilio/voice-status", tenant))
    assert post(client, "/webhooks/twilio/voice-status", captured).status_code == 200
    after_first = row_counts(database)
    for _ in range(3):
        assert post(client, "/webhooks/twilio/voice-status", captured).status_code == 200
    assert row_counts(database) == after_first


def test_without_secrets_configured_every_webhook_is_refused(
    app: FastAPI, database: Database, settings: Settings, make_tenant: Callable[..., dict[str, Any]],
) -> None:
    """A server started without provider secrets must refuse, not accept unverified webhooks."""
    tenant = make_tenant(compliance="pending")
    requests = {path: genuine(settings, tenant) for path, (genuine, _) in WEBHOOKS.items()}
    settings.twilio_auth_token = ""
    settings.stripe_webhook_secret = ""
    settings.google_client_id = ""
    settings.jobber_client_secret = ""
    before = row_counts(database)
    with TestClient(app) as client:
        answers = {path: post(client, path, request).status_code for path, request in requests.items()}
    assert all(status in (400, 403) for status in answers.values()), answers
    assert row_counts(database) == before
