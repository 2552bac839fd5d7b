"""Outbound webhook delivery with optional hostile behaviour, journaled and replayable.

A provider fake builds a :class:`Webhook` (URL, exact body bytes, headers *including its
signature*) and hands it to the :class:`WebhookDispatcher`. Because the signature is computed once,
duplicates and redeliveries carry byte-identical bodies and headers, like a real provider retrying.

Hostile delivery (``POST /_fake/webhooks/config``) applies to every delivery:

* ``duplicate`` — post each webhook that many times (0 or 1 = once), one after another;
* ``delay_ms`` — wait that long before posting;
* ``reorder`` — a :class:`WebhookBurst` (the related webhooks of one event, e.g. a message's status
  callbacks) is delivered in reverse order once the burst is complete.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from fakes.core.http import control_error
from fakes.core.journal import Journal, iso_now
from fakes.core.validate import optional_bool, optional_int


@dataclass(frozen=True)
class Webhook:
    url: str
    body: bytes
    headers: Mapping[str, str]
    delivery_id: str = field(default_factory=lambda: "dlv_" + uuid.uuid4().hex)
    kind: str = ""
    method: str = "POST"

    @classmethod
    def form(cls, url: str, params: Mapping[str, str], headers: Mapping[str, str], *, kind: str = "") -> Webhook:
        """A form-encoded webhook (params in the given order)."""
        all_headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
        return cls(url=url, body=urlencode(list(params.items())).encode(), headers=all_headers, kind=kind)


@dataclass(frozen=True)
class DeliveryResult:
    delivery_id: str
    status_code: int | None
    error: str | None
    response_body: str = ""
    response_content_type: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "delivery_id": self.delivery_id,
            "status_code": self.status_code,
            "error": self.error,
        }


@dataclass
class WebhookConfig:
    duplicate: int = 1
    delay_ms: int = 0
    reorder: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"duplicate": self.duplicate, "delay_ms": self.delay_ms, "reorder": self.reorder}


class WebhookDispatcher:
    def __init__(self, journal: Journal, *, timeout_s: float = 10.0, max_workers: int = 16) -> None:
        self._journal = journal
        self._lock = threading.Lock()
        self._config = WebhookConfig()
        self._sent: dict[str, Webhook] = {}
        # One shared client: connection pooling keeps many small deliveries cheap.
        self._client = httpx.Client(timeout=timeout_s, follow_redirects=False)
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="webhook")

    # -- configuration ---------------------------------------------------------------------
    @property
    def config(self) -> WebhookConfig:
        with self._lock:
            return WebhookConfig(**self._config.to_dict())

    def configure_from_json(self, data: dict[str, Any]) -> WebhookConfig:
        """Apply a ``POST /_fake/webhooks/config`` body; fields left out keep their value."""
        current = self.config
        unknown = set(data) - {"duplicate", "delay_ms", "reorder"}
        if unknown:
            raise control_error(422, f"unknown webhook config field(s): {', '.join(sorted(unknown))}")
        new = WebhookConfig(
            duplicate=optional_int(data, "duplicate", current.duplicate, minimum=0, maximum=100),
            delay_ms=optional_int(data, "delay_ms", current.delay_ms, minimum=0, maximum=120_000),
            reorder=optional_bool(data, "reorder", current.reorder),
        )
        with self._lock:
            self._config = new
        return new

    def reset(self) -> None:
        """Back to normal delivery and forget sent webhooks (deliveries in flight still finish)."""
        with self._lock:
            self._config = WebhookConfig()
            self._sent.clear()

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._client.close()

    # -- delivery --------------------------------------------------------------------------
    def deliver(self, webhook: Webhook) -> DeliveryResult:
        """Post now on this thread (with the hostile config); the first copy's result is returned."""
        config = self.config
        self._remember(webhook)
        if config.delay_ms:
            time.sleep(config.delay_ms / 1000)
        results = [self._post(webhook, copy_index=i) for i in range(max(1, config.duplicate))]
        return results[0]

    def deliver_async(self, webhook: Webhook) -> None:
        """Post on a background thread; never blocks the caller."""
        self._executor.submit(self.deliver, webhook)

    def burst(self) -> WebhookBurst:
        """Group related webhooks so ``reorder`` can reverse them (see :class:`WebhookBurst`)."""
        return WebhookBurst(self, reorder=self.config.reorder)

    def redeliver(self, delivery_id: str) -> DeliveryResult:
        """Re-post a webhook exactly as first sent (same URL, body, headers). Unknown id -> 404."""
        with self._lock:
            webhook = self._sent.get(delivery_id)
        if webhook is None:
            raise control_error(404, f"no webhook delivery with id {delivery_id!r}")
        return self._post(webhook, redelivery=True)

    def get(self, delivery_id: str) -> Webhook | None:
        with self._lock:
            return self._sent.get(delivery_id)

    def _remember(self, webhook: Webhook) -> None:
        with self._lock:
            self._sent[webhook.delivery_id] = webhook

    def _post(self, webhook: Webhook, *, copy_index: int = 0, redelivery: bool = False) -> DeliveryResult:
        started_at, started_ts = iso_now(), time.time()
        status: int | None = None
        error: str | None = None
        response_body = content_type = ""
        try:
            response = self._client.request(webhook.method, webhook.url, content=webhook.body, headers=dict(webhook.headers))
            status, response_body = response.status_code, response.text
            content_type = response.headers.get("content-type", "")
        except Exception as exc:  # transport errors, and a client closed by shutdown: journal either
            error = f"{type(exc).__name__}: {exc}"
        self._journal.record_outbound(
            delivery_id=webhook.delivery_id,
            method=webhook.method,
            url=webhook.url,
            headers=webhook.headers,
            body=webhook.body,
            status=status,
            error=error,
            started_at=started_at,
            started_ts=started_ts,
            copy_index=copy_index,
            redelivery=redelivery,
            kind=webhook.kind,
            response_body=response_body,
            response_content_type=content_type,
        )
        return DeliveryResult(webhook.delivery_id, status, error, response_body, content_type)


class WebhookBurst:
    """Related webhooks sent in sequence from one (background) thread.

    Without ``reorder`` each :meth:`send` posts immediately, so callbacks go out as events happen.
    With ``reorder`` they are held and :meth:`close` posts them newest first. Use as a context
    manager so the burst is always flushed.
    """

    def __init__(self, dispatcher: WebhookDispatcher, *, reorder: bool) -> None:
        self._dispatcher = dispatcher
        self._reorder = reorder
        self._held: list[Webhook] = []
        self.results: list[DeliveryResult] = []

    def send(self, webhook: Webhook) -> None:
        if self._reorder:
            self._held.append(webhook)
        else:
            self.results.append(self._dispatcher.deliver(webhook))

    def close(self) -> None:
        held, self._held = self._held, []
        self.results.extend(self._dispatcher.deliver(webhook) for webhook in reversed(held))

    def __enter__(self) -> WebhookBurst:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
