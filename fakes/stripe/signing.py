"""Stripe's webhook signature: ``Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.payload")>``.

This is exactly what ``stripe.Webhook.construct_event`` recomputes, keyed by the endpoint's ``whsec_``
secret (the whole string, prefix included, is the HMAC key).
"""

from __future__ import annotations

import hashlib
import hmac
import time

from fakes.stripe.ids import new_id


def new_webhook_secret() -> str:
    return new_id("whsec")


def compute_signature(payload: str, secret: str, timestamp: int) -> str:
    signed = f"{timestamp}.{payload}".encode()
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The header value for ``payload`` (the exact JSON text that will be sent)."""
    signed_at = int(time.time()) if timestamp is None else timestamp
    return f"t={signed_at},v1={compute_signature(payload, secret, signed_at)}"
