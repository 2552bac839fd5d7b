"""A small httpx client of the app's operator API (SPEC 2.2), shared by the seeder, sweeper and leak check."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from seed import http
from seed.handle import MintedSession


class OperatorApiUnavailable(RuntimeError):
    """The target has no usable operator API: the suite refuses to seed anything there."""


class OperatorError(RuntimeError):
    """The operator API answered with an error; keeps the status and the JSON body's code."""

    def __init__(self, method: str, path: str, response: httpx.Response) -> None:
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text[:500]
        self.status_code = response.status_code
        self.code = body.get("code") if isinstance(body, dict) else None
        self.body = body
        super().__init__(f"{method} {path} -> HTTP {response.status_code}: {body!r}")


class OperatorClient:
    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = http.client(base_url=self.base_url, timeout=timeout, transport=transport,
                                  headers={"Authorization": f"Bearer {token}"})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> OperatorClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise OperatorApiUnavailable(f"cannot reach {self.base_url}{path}: {exc!r}") from exc

    def _json(self, method: str, path: str, expected: int, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        if response.status_code != expected:
            raise OperatorError(method, path, response)
        return response.json()

    def probe(self) -> None:
        """Raises OperatorApiUnavailable with the reason unless the operator API answers our token."""
        response = self._request("GET", "/api/operator/tenants", params={"label": "probe:none"})
        if response.status_code == 200:
            return
        if response.status_code == 404:
            raise OperatorApiUnavailable(
                f"{self.base_url} has no operator API (GET /api/operator/tenants -> 404). The app mounts it only "
                "when OPERATOR_TOKEN is set; the suite never seeds a target without it."
            )
        if response.status_code == 401:
            raise OperatorApiUnavailable(
                f"{self.base_url} refused the operator token (401): set E2E_OPERATOR_TOKEN to the app's OPERATOR_TOKEN."
            )
        raise OperatorApiUnavailable(f"{self.base_url} operator API answered {response.status_code}: {response.text[:300]}")

    def create_tenant(self, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._json("POST", "/api/operator/tenants", 201, json=body)
        return result

    def get_tenant(self, tenant_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._json("GET", f"/api/operator/tenants/{tenant_id}", 200)
        return result

    def list_tenants(self, *, labels: dict[str, str] | None = None, ephemeral: bool | None = None,
                     expired: bool | None = None) -> list[dict[str, Any]]:
        params: list[tuple[str, str]] = [("label", f"{k}:{v}") for k, v in (labels or {}).items()]
        if ephemeral is not None:
            params.append(("ephemeral", str(ephemeral).lower()))
        if expired is not None:
            params.append(("expired", str(expired).lower()))
        tenants: list[dict[str, Any]] = self._json("GET", "/api/operator/tenants", 200, params=params)["tenants"]
        return tenants

    def delete_tenant(self, tenant_id: str) -> bool:
        """True when deleted now, False when it was already gone (404). 409 (not ephemeral) raises."""
        path = f"/api/operator/tenants/{tenant_id}"
        response = self._request("DELETE", path)
        if response.status_code == 204:
            return True
        if response.status_code == 404:
            return False
        raise OperatorError("DELETE", path, response)

    def outbox(self, tenant_id: str) -> dict[str, Any]:
        """The tenant's background work still to do: ``pending`` events, ``next_due_in_seconds`` (or None)."""
        result: dict[str, Any] = self._json("GET", f"/api/operator/tenants/{tenant_id}/outbox", 200)
        return result

    def mint_session(self, tenant_id: str, user: str, *, ttl_seconds: int | None = None) -> MintedSession:
        body: dict[str, Any] = {"user": user} if ttl_seconds is None else {"user": user, "ttl_seconds": ttl_seconds}
        data = self._json("POST", f"/api/operator/tenants/{tenant_id}/sessions", 201, json=body)
        return MintedSession.from_api(data)

    def set_clock(self, tenant_id: str, *, now: datetime | None = None,
                  advance_seconds: float | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if now is not None:
            body["now"] = now.isoformat()
        if advance_seconds is not None:
            body["advance_seconds"] = advance_seconds
        result: dict[str, Any] = self._json("PUT", f"/api/operator/tenants/{tenant_id}/clock", 200, json=body)
        return result

    def set_user_active(self, tenant_id: str, user_id: str, active: bool) -> dict[str, Any]:
        result: dict[str, Any] = self._json("PATCH", f"/api/operator/tenants/{tenant_id}/users/{user_id}", 200,
                                            json={"active": active})
        return result
