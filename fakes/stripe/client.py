"""``StripeFakeClient``: typed access to the Stripe fake's ``/_fake/`` control API, over httpx.

It extends core's :class:`~fakes.core.ControlClient` (journal, faults, hostile webhooks, reset,
health) with the Stripe routes::

    control = StripeFakeClient("http://127.0.0.1:8123")
    control.payment_failed("sub_...")                  # -> invoice.payment_failed + subscription.updated
    control.events(type="invoice.paid")
    control.configure_webhooks(duplicate=2, reorder=True)

Every non-2xx answer raises :class:`fakes.core.FakeControlError` (``.status``, ``.payload``).
"""

from __future__ import annotations

from typing import Any

from fakes.core import ControlClient
from fakes.stripe.cards import SUCCESS_CARD


class StripeFakeClient(ControlClient):
    def __init__(self, base_url: str, *, timeout: float = 180.0) -> None:
        # Generous: a ``wait=True`` call lasts as long as the hostile delivery it waits for.
        super().__init__(base_url, timeout=timeout)

    def _get(self, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._call("GET", f"/_fake/{path}", params=params)[key]
        return found

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = self._call("POST", f"/_fake/{path}", json=body)
        return answer

    # -- subscription lifecycle -----------------------------------------------------------------
    def payment_failed(self, subscription_id: str, *, wait: bool = False) -> dict[str, Any]:
        """Renewal charge fails: ``invoice.payment_failed`` + ``customer.subscription.updated`` (past_due).

        Returns ``{"subscription", "events"}``; with ``wait`` also ``"deliveries"`` once the webhooks were posted.
        """
        return self._post(f"subscriptions/{subscription_id}/payment_failed", {"wait": wait})

    def payment_succeeded(self, subscription_id: str, *, wait: bool = False) -> dict[str, Any]:
        """Open invoice paid (or a renewal): ``invoice.paid`` + ``customer.subscription.updated`` (active)."""
        return self._post(f"subscriptions/{subscription_id}/payment_succeeded", {"wait": wait})

    def cancel(self, subscription_id: str, *, wait: bool = False) -> dict[str, Any]:
        """Cancel now: ``customer.subscription.deleted`` (canceled)."""
        return self._post(f"subscriptions/{subscription_id}/cancel", {"wait": wait})

    def cancel_at_period_end(self, subscription_id: str, *, wait: bool = False) -> dict[str, Any]:
        """Cancel at the end of the period (still active until then): ``customer.subscription.updated``."""
        return self._post(f"subscriptions/{subscription_id}/cancel_at_period_end", {"wait": wait})

    def move_subscription(self, subscription_id: str, status: str, *, wait: bool = False) -> dict[str, Any]:
        """What Stripe does without the app: ``trialing`` (a trial given in the Dashboard), ``unpaid`` (a past-due
        renewal's retries exhausted), ``paused`` (a trial ended without a card): ``customer.subscription.updated``."""
        return self._post(f"subscriptions/{subscription_id}/status", {"status": status, "wait": wait})

    def complete_checkout(self, session_id: str, *, card_number: str = SUCCESS_CARD, wait: bool = False) -> dict[str, Any]:
        """Pay a checkout session without a browser (same effects as Pay on the hosted page).

        Returns ``{"session", "events", "redirect_url"}`` (+ ``"deliveries"`` with ``wait``).
        """
        return self._post(f"checkout_sessions/{session_id}/complete", {"card_number": card_number, "wait": wait})

    # -- inspection ------------------------------------------------------------------------------
    def events(self, type: str | None = None) -> list[dict[str, Any]]:
        """Every event the fake emitted, oldest first (optionally of one type)."""
        return self._get("events", "events", type=type)

    def checkout_sessions(self, client_reference_id: str | None = None) -> list[dict[str, Any]]:
        """Created sessions as ``{"session", "params" (as the app sent them, nested), "line_items"}``."""
        return self._get("checkout_sessions", "checkout_sessions", client_reference_id=client_reference_id)

    def subscriptions(self, *, customer: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        return self._get("subscriptions", "subscriptions", customer=customer, status=status)

    def webhook_endpoints(self) -> list[dict[str, Any]]:
        """Registered endpoints, secrets included."""
        return self._get("webhook_endpoints", "webhook_endpoints")

    def deliveries(self, *, event_type: str | None = None) -> list[dict[str, Any]]:
        """Outbound webhook posts from the journal (``kind`` is the event type), oldest first."""
        return [
            entry for entry in self.requests(direction="outbound") if event_type is None or entry.get("kind") == event_type
        ]

    # -- webhooks ----------------------------------------------------------------------------------
    def redeliver(self, event_id: str) -> dict[str, Any]:
        """Send event ``evt_...`` again, freshly signed, to every endpoint listening for it.

        Returns ``{"event_id", "deliveries": [{endpoint_id, url, status_code, error, ...}]}``. A
        ``dlv_...`` id re-posts that one delivery byte-identical instead (core's behaviour).
        """
        if event_id.startswith("dlv_"):
            return super().redeliver(event_id)
        return self._post("webhooks/redeliver", {"event_id": event_id})
