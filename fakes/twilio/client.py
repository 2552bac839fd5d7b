"""``TwilioFakeClient``: the Twilio fake's control API as typed Python methods (used by e2e)."""

from __future__ import annotations

from typing import Any

from fakes.core import ControlClient


class TwilioFakeClient(ControlClient):
    """Standard methods (requests, add_fault, configure_webhooks, redeliver, reset, ...) come from
    :class:`fakes.core.ControlClient`; non-2xx answers raise ``fakes.core.FakeControlError``."""

    def call(self, *, from_: str, to: str, status: str, duration: int = 0) -> dict[str, Any]:
        """Post the voice status callback of number ``to``.

        Returns ``{call_sid, status_code, delivery_id, error}``; ``status_code`` is the app's answer.
        """
        body = {"from": from_, "to": to, "status": status, "duration": duration}
        result: dict[str, Any] = self._call("POST", "/_fake/calls", json=body)
        return result

    def missed_call(self, *, from_: str, to: str, status: str = "no-answer", duration: int = 0) -> dict[str, Any]:
        """A call the business did not answer (``no-answer`` unless told ``busy``/``failed``)."""
        return self.call(from_=from_, to=to, status=status, duration=duration)

    def inbound_sms(self, *, from_: str, to: str, body: str, media: list[str] | None = None) -> dict[str, Any]:
        """A customer texts ``to`` (``media``: the URLs of an MMS's pictures; ``body`` may then be "").
        Returns ``{message_sid, opt_out_type, status_code, delivery_id, error}``."""
        json_body: dict[str, Any] = {"from": from_, "to": to, "body": body}
        if media:
            json_body["media"] = media
        result: dict[str, Any] = self._call("POST", "/_fake/sms", json=json_body)
        return result

    def set_brand_status(
        self, sid: str, status: str, *, callback_url: str | None = None, failure_reason: str | None = None
    ) -> dict[str, Any]:
        """``PENDING`` | ``IN_REVIEW`` | ``APPROVED`` | ``FAILED`` | ``SUSPENDED`` | ``DELETION_PENDING`` |
        ``DELETION_FAILED``; posts the compliance callback
        when a URL is known."""
        body: dict[str, Any] = {"status": status}
        if callback_url is not None:
            body["callback_url"] = callback_url
        if failure_reason is not None:
            body["failure_reason"] = failure_reason
        result: dict[str, Any] = self._call("POST", f"/_fake/brands/{sid}/status", json=body)
        return result

    def set_message_status(self, sid: str, status: str, *, error_code: int | None = None) -> dict[str, Any]:
        """Force ``sent`` | ``delivered`` | ``failed`` | ``undelivered`` (| ``queued``) and post the callback."""
        body: dict[str, Any] = {"status": status}
        if error_code is not None:
            body["error_code"] = error_code
        result: dict[str, Any] = self._call("POST", f"/_fake/messages/{sid}/status", json=body)
        return result

    def messages(
        self, *, to: str | None = None, from_: str | None = None, direction: str = "outbound"
    ) -> list[dict[str, Any]]:
        """Messages the app sent (oldest first), optionally filtered by recipient/sender."""
        params = {"to": to, "from": from_, "direction": direction}
        messages: list[dict[str, Any]] = self._call("GET", "/_fake/messages", params=params)["messages"]
        return messages

    def alerts(self, *, contains: str | None = None) -> list[dict[str, Any]]:
        """What Twilio's debugger would log about the app's answers to its webhooks (11200, 12300, 12100)."""
        found: list[dict[str, Any]] = self._call("GET", "/_fake/alerts", params={"contains": contains})["alerts"]
        return found

    def numbers(self) -> list[dict[str, Any]]:
        numbers: list[dict[str, Any]] = self._call("GET", "/_fake/numbers")["numbers"]
        return numbers

    def brands(self) -> list[dict[str, Any]]:
        brands: list[dict[str, Any]] = self._call("GET", "/_fake/brands")["brands"]
        return brands

    def opt_outs(self) -> list[dict[str, str]]:
        pairs: list[dict[str, str]] = self._call("GET", "/_fake/opt-outs")["opt_outs"]
        return pairs

    def configure(
        self,
        *,
        compliance_callback_url: str | None = None,
        status_interval_ms: int | None = None,
        auto_status: bool | None = None,
        idempotency_tokens: bool | None = None,
    ) -> dict[str, Any]:
        """Change runtime settings (omitted ones keep their value); returns the whole config."""
        changes = {
            "compliance_callback_url": compliance_callback_url,
            "status_interval_ms": status_interval_ms,
            "auto_status": auto_status,
            "idempotency_tokens": idempotency_tokens,
        }
        body = {key: value for key, value in changes.items() if value is not None}
        result: dict[str, Any] = self._call("POST", "/_fake/config", json=body)
        return result

    def __enter__(self) -> TwilioFakeClient:
        return self
