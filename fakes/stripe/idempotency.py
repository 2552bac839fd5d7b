"""Stripe's ``Idempotency-Key``: the first successful answer to a key is stored and replayed.

Rules taken from Stripe's docs: only POST requests use keys; a result is saved only once the
endpoint ran (so a request refused by validation can be retried with the same key); replaying a key
with different parameters or on another endpoint is a 400 ``idempotency_error``. The stripe SDK
sends a fresh key with every POST, which is how network retries become safe.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from fakes.stripe.errors import idempotency_mismatch, invalid_request

#: Oldest keys are forgotten beyond this (Stripe forgets after 24 hours), bounding memory in load tests.
MAX_KEYS = 50_000


@dataclass(frozen=True)
class StoredResponse:
    method: str
    path: str
    params: dict[str, Any]
    status: int
    body: bytes
    request_id: str


class IdempotencyStore:
    """Not thread-safe by itself; used under the fake's lock."""

    def __init__(self) -> None:
        self._responses: OrderedDict[str, StoredResponse] = OrderedDict()

    def lookup(self, key: str, method: str, path: str, params: dict[str, Any]) -> StoredResponse | None:
        if len(key) > 255:
            raise invalid_request("Idempotency keys must be at most 255 characters long.")
        stored = self._responses.get(key)
        if stored is None:
            return None
        if (stored.method, stored.path, stored.params) != (method, path, params):
            raise idempotency_mismatch(key)
        return stored

    def save(self, key: str, response: StoredResponse) -> None:
        self._responses[key] = response
        while len(self._responses) > MAX_KEYS:
            self._responses.popitem(last=False)

    def clear(self) -> None:
        self._responses.clear()
