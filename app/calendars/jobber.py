"""Jobber's OAuth 2.0 and GraphQL API, the calls the app makes (httpx; the base URL comes from settings, so the
stack points it at `python -m fakes jobber`), and the check of Jobber's webhook signature.

Errors are app/calendars/http.py's. A GraphQL answer with `errors` (HTTP 200 at Jobber) is a CalendarRefused:
the query is wrong, and retrying it cannot help.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from app.calendars import http
from app.calendars.http import CalendarRefused, CalendarUnavailable
from app.settings import Settings

SIGNATURE_HEADER = "X-Jobber-Hmac-SHA256"
PAGE_SIZE = 50
MAX_PAGES = 40  # 2,000 visits in the sync window; a cursor that never ends must not loop forever

VISITS_QUERY = """
query Visits($first: Int!, $after: String, $from: ISO8601DateTime!, $to: ISO8601DateTime!) {
  visits(first: $first, after: $after, filter: {startAt: {after: $from, before: $to}}) {
    nodes { id title instructions startAt endAt allDay }
    pageInfo { hasNextPage endCursor }
  }
}"""
ACCOUNT_QUERY = "query Account { account { id name } }"
CREATE_MUTATION = """
mutation Book($input: VisitCreateInput!) {
  visitCreate(input: $input) { visit { id } userErrors { message path } }
}"""


def authorize_url(*, settings: Settings, redirect_uri: str, state: str) -> str:
    query = {"client_id": settings.jobber_client_id, "redirect_uri": redirect_uri, "response_type": "code",
             "state": state}
    return f"{_base(settings)}/api/oauth/authorize?{urlencode(query)}"


def exchange_code(*, settings: Settings, code: str, redirect_uri: str) -> dict[str, Any]:
    """The token response ({access_token, refresh_token, expires_in}) for an authorization code."""
    return _token(settings, {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri})


def refresh(*, settings: Settings, refresh_token: str) -> dict[str, Any]:
    """New tokens; Jobber rotates refresh tokens, so the old one must be replaced at once."""
    return _token(settings, {"grant_type": "refresh_token", "refresh_token": refresh_token})


def _token(settings: Settings, grant: dict[str, str]) -> dict[str, Any]:
    answer = http.call("Jobber", "POST", f"{_base(settings)}/api/oauth/token",
                       timeout=settings.jobber_http_timeout_seconds,
                       data={**grant, "client_id": settings.jobber_client_id,
                             "client_secret": settings.jobber_client_secret})
    if not isinstance(answer.get("access_token"), str):
        raise CalendarRefused("Jobber answered without an access token")
    return answer


def signature_valid(*, settings: Settings, body: bytes, signature: str) -> bool:
    """Jobber signs the raw body: base64(HMAC-SHA256(the app's client secret, body))."""
    if not settings.jobber_client_secret or not signature:
        return False
    expected = base64.b64encode(hmac.new(settings.jobber_client_secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, signature.encode())


class JobberApi:
    def __init__(self, *, settings: Settings, access_token: str) -> None:
        self.settings = settings
        self.headers = {"Authorization": f"Bearer {access_token}",
                        "X-JOBBER-GRAPHQL-VERSION": settings.jobber_graphql_version}

    def account_id(self) -> str:
        account = self._query(ACCOUNT_QUERY, {}).get("account") or {}
        if not isinstance(account.get("id"), str):
            raise CalendarRefused("Jobber answered without an account id")
        return str(account["id"])

    def visits(self, *, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Every visit starting in [start, end], all pages."""
        found: list[dict[str, Any]] = []
        after: str | None = None
        for _ in range(MAX_PAGES):
            page = self._query(VISITS_QUERY, {"first": PAGE_SIZE, "after": after, "from": start.isoformat(),
                                              "to": end.isoformat()}).get("visits") or {}
            found.extend(n for n in page.get("nodes") or [] if isinstance(n, dict))
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return found
            after = info.get("endCursor")
        raise CalendarUnavailable(f"Jobber kept paging past {MAX_PAGES * PAGE_SIZE} visits")

    def create_visit(self, *, key: str, title: str, instructions: str, start: datetime, end: datetime) -> str:
        """Books the visit under `key`; a repeat returns the visit the first call made (no duplicate)."""
        result = self._query(CREATE_MUTATION, {"input": {
            "title": title, "instructions": instructions, "startAt": start.isoformat(), "endAt": end.isoformat(),
            "idempotencyKey": key}}).get("visitCreate") or {}
        errors = result.get("userErrors") or []
        if errors:
            raise CalendarRefused("Jobber refused the visit: " + "; ".join(str(e.get("message")) for e in errors))
        return str((result.get("visit") or {}).get("id") or "")

    def _query(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        body = http.call("Jobber", "POST", f"{_base(self.settings)}/api/graphql",
                         timeout=self.settings.jobber_http_timeout_seconds, headers=self.headers,
                         json={"query": query, "variables": variables})
        if body.get("errors"):
            first = body["errors"][0] if isinstance(body["errors"], list) else body["errors"]
            message = first.get("message") if isinstance(first, dict) else first
            raise CalendarRefused(f"Jobber refused the query: {message}")
        data = body.get("data")
        if not isinstance(data, dict):
            raise CalendarUnavailable("Jobber answered without data")
        return data


def _base(settings: Settings) -> str:
    return settings.jobber_api_base.rstrip("/")
