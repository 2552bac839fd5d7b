"""Requests signed the way Twilio and Stripe sign their webhooks (with the SDKs' own helpers)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import stripe
from twilio.request_validator import RequestValidator

from app.settings import Settings
from tests.security.conftest import STRIPE_WEBHOOK_SECRET, TWILIO_AUTH_TOKEN


@dataclass
class SignedRequest:
    """What a provider would post: the body and the headers, built so each part can be spoiled separately."""

    content: bytes
    headers: dict[str, str]


def twilio_request(settings: Settings, path: str, params: dict[str, str], *, token: str = TWILIO_AUTH_TOKEN,
                   signed_url: str | None = None) -> SignedRequest:
    url = signed_url or settings.public_base_url + path
    signature = RequestValidator(token).compute_signature(url, params)
    return SignedRequest(urlencode(params).encode(), {
        "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature,
        "I-Twilio-Idempotency-Token": str(uuid.uuid4())})


def stripe_request(event: dict[str, Any], *, secret: str = STRIPE_WEBHOOK_SECRET,
                   timestamp: int | None = None) -> SignedRequest:
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)
    return SignedRequest(payload.encode(), {"Content-Type": "application/json", "Stripe-Signature": header})
