"""Webhook signatures, checked with twilio's RequestValidator: valid -> 200, tampered/missing -> 403, nothing stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from twilio.request_validator import RequestValidator

from app.conversations.models import Conversation, Message
from app.db import Database
from app.outbox.models import OutboxEvent
from app.telephony.models import WebhookEvent
from tests.messaging.conftest import ACCOUNT_SID, CUSTOMER, Twilio, count, signature_for

PATHS = ["/webhooks/twilio/voice-status", "/webhooks/twilio/sms", "/webhooks/twilio/message-status",
         "/webhooks/twilio/compliance"]


def params_for(path: str, tenant: dict[str, Any]) -> dict[str, str]:
    number = tenant["phone_number"]
    return {
        "/webhooks/twilio/voice-status": {"CallSid": "CA" + "a" * 32, "CallStatus": "no-answer", "From": CUSTOMER,
                                          "To": number, "AccountSid": ACCOUNT_SID},
        "/webhooks/twilio/sms": {"MessageSid": "SM" + "b" * 32, "Body": "hello", "From": CUSTOMER, "To": number,
                                 "AccountSid": ACCOUNT_SID},
        "/webhooks/twilio/message-status": {"MessageSid": "SM" + "c" * 32, "MessageStatus": "sent", "From": number,
                                            "To": CUSTOMER, "AccountSid": ACCOUNT_SID},
        "/webhooks/twilio/compliance": {"BrandRegistrationSid": "BN" + "d" * 32, "Status": "APPROVED",
                                        "AccountSid": ACCOUNT_SID},
    }[path]


def snapshot(database: Database) -> tuple[int, ...]:
    return tuple(count(database, model) for model in (WebhookEvent, Conversation, Message, OutboxEvent))


@pytest.mark.parametrize("path", PATHS)
def test_a_valid_signature_is_accepted(path: str, twilio: Twilio, make_tenant: Callable[..., dict[str, Any]]) -> None:
    response = twilio.post(path, params_for(path, make_tenant()))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")


@pytest.mark.parametrize("path", PATHS)
def test_a_tampered_body_is_refused_and_nothing_is_stored(
    path: str, twilio: Twilio, make_tenant: Callable[..., dict[str, Any]], database: Database
) -> None:
    params = params_for(path, make_tenant())
    before = snapshot(database)
    signature = signature_for(twilio.settings.public_base_url + path, params)
    tampered = {**params, "From": "+15550109999"} if "From" in params else {**params, "Status": "FAILED"}
    response = twilio.post(path, tampered, signature=signature)
    assert response.status_code == 403
    assert response.json()["code"] == "invalid_signature"
    assert snapshot(database) == before


@pytest.mark.parametrize("path", PATHS)
def test_a_missing_signature_is_refused(
    path: str, twilio: Twilio, make_tenant: Callable[..., dict[str, Any]], database: Database
) -> None:
    params = params_for(path, make_tenant())
    before = snapshot(database)
    response = twilio.post(path, params, sign=False)
    assert response.status_code == 403
    assert snapshot(database) == before


def test_the_signature_covers_the_public_url_not_the_host_the_app_sees(
    twilio: Twilio, make_tenant: Callable[..., dict[str, Any]], database: Database
) -> None:
    path = PATHS[0]
    params = params_for(path, make_tenant())
    before = snapshot(database)
    # Signed for another URL (e.g. the internal host behind a proxy): refused.
    wrong = signature_for("http://internal:8000" + path, params)
    assert twilio.post(path, params, signature=wrong).status_code == 403
    assert snapshot(database) == before


def test_a_signature_with_another_auth_token_is_refused(
    twilio: Twilio, make_tenant: Callable[..., dict[str, Any]]
) -> None:
    path = PATHS[1]
    params = params_for(path, make_tenant())
    forged = signature_for(twilio.settings.public_base_url + path, params, token="not-the-auth-token")
    assert twilio.post(path, params, signature=forged).status_code == 403


def test_the_query_string_is_part_of_the_signed_url(
    twilio: Twilio, make_tenant: Callable[..., dict[str, Any]]
) -> None:
    path = PATHS[0] + "?source=pstn"
    params = params_for(PATHS[0], make_tenant())
    assert twilio.post(path, params).status_code == 200
    unsigned_query = signature_for(twilio.settings.public_base_url + PATHS[0], params)
    assert twilio.post(path, params, signature=unsigned_query).status_code == 403


def test_sha256_signatures_are_accepted_when_announced(
    twilio: Twilio, make_tenant: Callable[..., dict[str, Any]]
) -> None:
    path = PATHS[1]
    params = params_for(path, make_tenant())
    url = twilio.settings.public_base_url + path
    signature = RequestValidator(twilio.settings.twilio_auth_token).compute_signature(url, params, "HMAC_SHA256")
    headers = {"X-Twilio-Signature": signature, "X-Twilio-Webhooks-Signature-Settings": "algorithm=HMAC_SHA256"}
    assert twilio.client.post(path, data=params, headers=headers).status_code == 200


def test_without_an_auth_token_configured_every_webhook_is_refused(
    app: FastAPI, twilio: Twilio, make_tenant: Callable[..., dict[str, Any]], database: Database
) -> None:
    params = params_for(PATHS[0], make_tenant())
    before = snapshot(database)
    app.state.settings = app.state.settings.model_copy(update={"twilio_auth_token": ""})
    assert twilio.post(PATHS[0], params).status_code == 403
    assert snapshot(database) == before
