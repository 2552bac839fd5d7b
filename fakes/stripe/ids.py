"""Object ids with Stripe's real prefixes (``cus_``, ``price_``, ``cs_test_``, ``sub_``, ...).

Stripe ids are a prefix plus a random base62 tail; apps and SDKs only ever look at the prefix,
so random tails are enough. Checkout Session ids are long (about 66 characters) in Stripe; we
mimic that so URL-length assumptions in the app get exercised.
"""

from __future__ import annotations

import secrets
import string

_BASE62 = string.ascii_letters + string.digits

# Tail lengths close to what Stripe issues today.
_TAIL_LENGTH = {
    "cs_test": 58,
    "whsec": 32,
}
_DEFAULT_TAIL_LENGTH = 24


def random_tail(length: int) -> str:
    return "".join(secrets.choice(_BASE62) for _ in range(length))


def new_id(prefix: str) -> str:
    """A fresh id such as ``cus_N3k...``; ``prefix`` is given without the trailing underscore."""
    return f"{prefix}_{random_tail(_TAIL_LENGTH.get(prefix, _DEFAULT_TAIL_LENGTH))}"


def new_request_id() -> str:
    """Stripe answers every API call with a ``Request-Id: req_...`` header."""
    return f"req_{random_tail(14)}"
