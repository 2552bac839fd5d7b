"""Twilio webhook signing: ``X-Twilio-Signature`` and ``I-Twilio-Idempotency-Token``.

The signature is base64(HMAC-SHA1(auth_token, url + key1 + value1 + key2 + value2 ...)) with the
form keys sorted (and, as ``twilio.request_validator.RequestValidator`` does, the values of a
repeated key sorted too), computed over the exact URL the webhook is posted to.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Mapping

from fakes.core import Webhook

SIGNATURE_HEADER = "X-Twilio-Signature"
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"


def compute_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    payload = url + "".join(key + params[key] for key in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signed_webhook(url: str, params: Mapping[str, str], auth_token: str, *, kind: str,
                   idempotency_token: bool = True) -> Webhook:
    """A form webhook carrying its signature and a fresh idempotency token (kept on redelivery); without
    ``idempotency_token`` none, as a proxy in front of the app may strip it: the receiver must then tell a
    replay from news by the webhook's own fields."""
    headers = {
        SIGNATURE_HEADER: compute_signature(auth_token, url, params),
        "User-Agent": "TwilioProxy/1.1",
        "Accept": "*/*",
    }
    if idempotency_token:
        headers[IDEMPOTENCY_HEADER] = str(uuid.uuid4())
    return Webhook.form(url, params, headers, kind=kind)
