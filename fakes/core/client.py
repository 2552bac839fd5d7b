"""``ControlClient``: typed access to the standard ``/_fake/`` routes, for tests and the e2e suite.

Provider clients (``fakes.twilio.TwilioFakeClient``, the Stripe one) subclass it and add their own
methods with :meth:`ControlClient._call`. Any non-2xx answer raises :class:`FakeControlError`.
"""

from __future__ import annotations

from typing import Any

import httpx


class FakeControlError(RuntimeError):
    def __init__(self, status: int, payload: Any, method: str, path: str) -> None:
        super().__init__(f"{method} {path} -> HTTP {status}: {payload!r}")
        self.status = status
        self.payload = payload


class ControlClient:
    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout)

    def _call(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        clean_params = {k: v for k, v in (params or {}).items() if v is not None}
        response = self._http.request(method, path, json=json, params=clean_params or None)
        try:
            payload = response.json()
        except ValueError:
            payload = response.text
        if response.status_code >= 300:
            raise FakeControlError(response.status_code, payload, method, path)
        return payload

    # -- standard control routes -----------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/_fake/health")
        return result

    def requests(
        self, *, since_id: int | None = None, contains: str | None = None, direction: str | None = None
    ) -> list[dict[str, Any]]:
        """Journal entries, oldest first (see ``fakes.core.journal``)."""
        params = {"since_id": since_id, "contains": contains, "direction": direction}
        entries: list[dict[str, Any]] = self._call("GET", "/_fake/requests", params=params)["requests"]
        return entries

    def journal_end(self) -> int:
        """The newest journal entry's id (0 while the journal is empty): as ``since_id``, it reads only what follows."""
        return max((entry["id"] for entry in self.requests()), default=0)

    def add_fault(
        self,
        path: str,
        action: str,
        *,
        method: str = "*",
        times: int = 1,
        code: int | None = None,
        body: Any = None,
        ms: int | None = None,
        hold_ms: int | None = None,
    ) -> dict[str, Any]:
        """Add a fault rule (``action``: status | delay | late | timeout | reset); returns the rule."""
        rule: dict[str, Any] = {"path": path, "action": action, "method": method, "times": times}
        optional = {"code": code, "body": body, "ms": ms, "hold_ms": hold_ms}
        rule.update({key: value for key, value in optional.items() if value is not None})
        result: dict[str, Any] = self._call("POST", "/_fake/faults", json=rule)
        return result

    def faults(self) -> list[dict[str, Any]]:
        rules: list[dict[str, Any]] = self._call("GET", "/_fake/faults")["faults"]
        return rules

    def clear_faults(self) -> None:
        self._call("DELETE", "/_fake/faults")

    def configure_webhooks(
        self, *, duplicate: int | None = None, delay_ms: int | None = None, reorder: bool | None = None
    ) -> dict[str, Any]:
        """Hostile delivery for every outbound webhook; omitted fields keep their value."""
        changes = {"duplicate": duplicate, "delay_ms": delay_ms, "reorder": reorder}
        body = {key: value for key, value in changes.items() if value is not None}
        result: dict[str, Any] = self._call("POST", "/_fake/webhooks/config", json=body)
        return result

    def redeliver(self, delivery_id: str) -> dict[str, Any]:
        """Re-post a webhook exactly as first sent; returns ``{delivery_id, status_code, error}``."""
        result: dict[str, Any] = self._call("POST", "/_fake/webhooks/redeliver", json={"delivery_id": delivery_id})
        return result

    def reset(self) -> None:
        self._call("POST", "/_fake/reset")

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
