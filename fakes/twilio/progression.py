"""Outbound message life: queued -> sent -> delivered, each step followed by its status callback.

Runs on the fake's progression pool, never on the request thread. A step only happens if the
message is still in the state before it and was not forced through the control API, so a forced
``failed`` (or a reset) stops the automatic progression.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fakes.core import DeliveryResult, Webhook, WebhookBurst
from fakes.twilio.callbacks import message_status_params

if TYPE_CHECKING:
    from fakes.twilio.app import TwilioFake

STEPS = (("queued", "sent"), ("sent", "delivered"))


def start(app: TwilioFake, sid: str) -> None:
    if app.config.auto_status:
        app.progressions.submit(_progress, app, sid)


def _progress(app: TwilioFake, sid: str) -> None:
    with app.webhooks.burst() as burst:
        for before, after in STEPS:
            time.sleep(app.config.status_interval_ms / 1000)
            if not _advance(app, sid, before, after, burst):
                return


def _advance(app: TwilioFake, sid: str, before: str, after: str, burst: WebhookBurst) -> bool:
    with app.lock:
        message = app.messages.get(sid)
        if message is None or message.forced or message.status != before:
            return False
        message.set_status(after)
        webhook = status_webhook(app, sid)
    if webhook is not None:
        burst.send(webhook)
    return True


def status_webhook(app: TwilioFake, sid: str) -> Webhook | None:
    """The signed status callback for the message's current status (caller holds ``app.lock``)."""
    message = app.messages[sid]
    if not message.status_callback:
        return None
    params = message_status_params(message)
    return app.signed(message.status_callback, params, kind="message-status")


@dataclass(frozen=True)
class ForcedStatus:
    result: DeliveryResult | None
    webhook: Webhook | None


def force_status(app: TwilioFake, sid: str, status: str, error_code: int | None) -> ForcedStatus | None:
    """Set a status now (stopping automatic progression) and post its callback on this thread.

    None when there is no such outbound message.
    """
    with app.lock:
        message = app.messages.get(sid)
        if message is None or message.direction == "inbound":
            return None
        message.forced = True
        error_message = "Delivery failed (status forced by the fake)" if error_code is not None else None
        message.set_status(status, error_code, error_message)
        webhook = status_webhook(app, sid)
    if webhook is None:
        return ForcedStatus(None, None)
    return ForcedStatus(app.webhooks.deliver(webhook), webhook)
