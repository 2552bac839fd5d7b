"""Twilio webhook verification with the SDK's own RequestValidator.

The signature covers the exact URL Twilio posted to. Behind a proxy the app sees another host, so the
URL is rebuilt from PUBLIC_BASE_URL + path + query (the URL the app gave Twilio), never from the
request's Host header.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import Request
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

from app.deps import AppSettings
from app.errors import BadRequest, Forbidden
from app.settings import Settings

log = logging.getLogger("app.telephony")
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"


@dataclass(frozen=True)
class VerifiedWebhook:
    """A webhook whose signature checked out: its form fields (first value of each) and idempotency token."""

    url: str
    params: dict[str, str]
    idempotency_token: str | None


def public_url(settings: Settings, request: Request) -> str:
    query = request.url.query
    return settings.public_base_url.rstrip("/") + request.url.path + (f"?{query}" if query else "")


async def verified_webhook(request: Request, settings: AppSettings) -> VerifiedWebhook:
    """FastAPI dependency: 403 (and nothing stored) unless X-Twilio-Signature is right for this URL and body."""
    url = public_url(settings, request)
    signature = request.headers.get(SIGNATURE_HEADER, "")
    refused = Forbidden("Twilio signature missing or invalid.", code="invalid_signature")
    if not signature or not settings.twilio_auth_token:
        log.warning("webhook refused: %s", "no signature" if not signature else "TWILIO_AUTH_TOKEN not set",
                    extra={"path": request.url.path})
        raise refused
    form = await request.form()
    if any(not isinstance(value, str) for value in form.values()):
        # Twilio posts form fields only; the validator cannot sign a file part (it raised a TypeError: a 500
        # and a traceback per request). The uploaded parts are closed with the request.
        log.warning("webhook refused: file part in the form", extra={"path": request.url.path})
        raise BadRequest("Twilio webhooks carry form fields only, no files.", code="webhook_not_form")
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    if not RequestValidator(settings.twilio_auth_token).validate(url, form, signature, algorithm):
        log.warning("webhook refused: signature does not match", extra={"path": request.url.path})
        raise refused
    # Signed by Twilio, but a NUL can still not be stored (PostgreSQL text): drop it rather than fail.
    params = {key.replace("\x00", ""): value.replace("\x00", "") for key, value in form.items() if isinstance(value, str)}
    return VerifiedWebhook(url=url, params=params, idempotency_token=request.headers.get(IDEMPOTENCY_HEADER))
