"""Control client of the Jobber fake (its ``/_fake/jobber/...`` routes plus the standard ones)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fakes.core import ControlClient


class JobberFakeClient(ControlClient):
    """`account` is the Jobber account's email (what its owner typed on the consent page)."""

    def add_visit(self, account: str, *, start: datetime, end: datetime, title: str = "Visit") -> dict[str, Any]:
        """A visit scheduled in Jobber itself (not by the app); sends VISIT_CREATE."""
        return self._call("POST", "/_fake/jobber/visits", json={
            "account": account, "start": start.isoformat(), "end": end.isoformat(), "title": title})

    def move_visit(self, account: str, visit_id: str, *, start: datetime, end: datetime) -> dict[str, Any]:
        return self._call("PATCH", f"/_fake/jobber/visits/{visit_id}",
                          json={"account": account, "start": start.isoformat(), "end": end.isoformat()})

    def delete_visit(self, account: str, visit_id: str) -> dict[str, Any]:
        return self._call("DELETE", f"/_fake/jobber/visits/{visit_id}", params={"account": account})

    def visits(self, account: str) -> list[dict[str, Any]]:
        """The account's visits, earliest first."""
        return self._call("GET", "/_fake/jobber/visits", params={"account": account})["visits"]

    def account_id(self, account: str) -> str | None:
        """The id Jobber's webhooks name the account by (None before its first consent or visit)."""
        answer = self._call("GET", "/_fake/jobber/visits", params={"account": account})
        return answer["account_id"]

    def drop_webhooks(self, count: int = 1) -> None:
        """The next `count` webhooks are never sent (a lost webhook); 0 cancels a pending drop."""
        self._call("POST", "/_fake/jobber/drop-webhooks", json={"count": count})

    def limit_pages(self, account: str, size: int | None) -> None:
        """The account's visit lists answer at most `size` visits a page (None: as many as `first` asks)."""
        self._call("POST", "/_fake/jobber/page-size", json={"account": account, "size": size})

    def expire_access_tokens(self, account: str | None = None) -> int:
        """The account's (or every) access token answers 401 from now on; returns how many there were."""
        answer: dict[str, Any] = self._call("POST", "/_fake/jobber/expire-tokens", json={"account": account})
        return int(answer["expired"])

    def set_webhook_url(self, url: str) -> None:
        self._call("POST", "/_fake/jobber/webhook-url", json={"url": url})
