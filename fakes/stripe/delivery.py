"""Events -> signed webhook posts, through core's :class:`~fakes.core.webhooks.WebhookDispatcher`.

Each operation's events go out as one burst (so ``reorder`` reverses exactly that burst), and
bursts go out one after another on a single background thread, so the app sees events in the order
they happened unless hostile delivery says otherwise. Signatures are computed when the burst is
prepared; a duplicate (``duplicate`` > 1) is byte-identical, a redelivery is freshly signed.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from fakes.core.webhooks import Webhook, WebhookDispatcher
from fakes.stripe.objects import Obj
from fakes.stripe.signing import signature_header
from fakes.stripe.state import Outgoing

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


@dataclass(frozen=True)
class PreparedDelivery:
    webhook: Webhook
    event_id: str
    event_type: str
    endpoint_id: str


def build_webhook(event: Obj, url: str, secret: str) -> Webhook:
    # Stripe posts pretty-printed JSON; the signature covers these exact bytes.
    payload = json.dumps(event, indent=2)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Accept": "*/*; q=0.5, application/xml",
        "Cache-Control": "no-cache",
        "Stripe-Signature": signature_header(payload, secret),
    }
    return Webhook(url=url, body=payload.encode(), headers=headers, kind=str(event["type"]))


def prepare(outgoing: list[Outgoing]) -> list[PreparedDelivery]:
    """Serialize and sign now (call with the account lock held, so the snapshot is consistent)."""
    return [
        PreparedDelivery(build_webhook(item.event, url, secret), item.event["id"], item.event["type"], endpoint_id)
        for item in outgoing
        for endpoint_id, url, secret in item.endpoints
    ]


class EventSender:
    def __init__(self, dispatcher: WebhookDispatcher, on_success: Callable[[str], None]) -> None:
        self._dispatcher = dispatcher
        self._on_success = on_success
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stripe-webhooks")
        self._generation = 0
        self._lock = threading.Lock()

    def submit(self, burst: list[PreparedDelivery]) -> Future[list[dict[str, Any]]]:
        """Queue one burst; the future resolves to one result per delivery, in the order they were posted."""
        with self._lock:
            generation = self._generation
        return self._executor.submit(self._send, burst, generation)

    def forget_queued(self) -> None:
        """On reset: bursts queued before it are dropped instead of reaching the app later."""
        with self._lock:
            self._generation += 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _send(self, burst: list[PreparedDelivery], generation: int) -> list[dict[str, Any]]:
        with self._lock:
            if generation != self._generation:
                return []
        if not burst:
            return []
        by_delivery = {item.webhook.delivery_id: item for item in burst}
        with self._dispatcher.burst() as sending:
            for item in burst:
                sending.send(item.webhook)
        results = []
        for result in sending.results:
            item = by_delivery[result.delivery_id]
            delivered = result.status_code is not None and 200 <= result.status_code < 300
            if delivered:
                self._on_success(item.event_id)
            results.append(
                {
                    "event_id": item.event_id,
                    "type": item.event_type,
                    "endpoint_id": item.endpoint_id,
                    "url": item.webhook.url,
                    **result.to_dict(),
                }
            )
        return results
