"""The Jobber fake, checked with a GraphQL client from PyPI (`gql` over its requests transport; Jobber has no
official Python SDK): OAuth code exchange and refresh rotation, visits in a window with cursor paging,
idempotent visitCreate, webhooks signed as Jobber signs them (checked with an HMAC computed here), dropped
webhooks, and clear errors for bad input."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError, TransportServerError
from gql.transport.requests import RequestsHTTPTransport

from fakes.core import FakeControlError
from fakes.jobber import RunningJobber, running_jobber
from tests.fakes.conftest import WebhookReceiver

T0 = datetime(2030, 1, 7, 15, 0, tzinfo=UTC)
REDIRECT = "http://127.0.0.1:9/calendar/jobber/callback"
ACCOUNT = "olive@example.test"
SECRET = "nmc-test-secret"
VERSION = {"X-JOBBER-GRAPHQL-VERSION": "2025-04-16"}

VISITS = gql("""
query Visits($first: Int, $after: String, $from: ISO8601DateTime, $to: ISO8601DateTime) {
  visits(first: $first, after: $after, filter: {startAt: {after: $from, before: $to}}) {
    nodes { id title startAt endAt }
    pageInfo { hasNextPage endCursor }
  }
}""")
CREATE = gql("""
mutation Create($input: VisitCreateInput!) {
  visitCreate(input: $input) { visit { id title startAt endAt } userErrors { message path } }
}""")


@pytest.fixture
def jobber(receiver: WebhookReceiver) -> Iterator[RunningJobber]:
    with running_jobber(webhook_url=receiver.url("/webhooks/jobber")) as fake:
        yield fake


def tokens(jobber: RunningJobber, account: str = ACCOUNT) -> dict[str, Any]:
    consent = httpx.get(jobber.base_url + "/api/oauth/authorize", params={
        "client_id": "nmc-test-client", "redirect_uri": REDIRECT, "response_type": "code", "state": "s1"})
    assert consent.status_code == 200 and "Allow Access" in consent.text
    approved = httpx.post(jobber.base_url + "/api/oauth/approve",
                          data={"redirect_uri": REDIRECT, "state": "s1", "email": account, "decision": "allow"})
    query = httpx.URL(approved.headers["location"]).params
    assert query["state"] == "s1"
    answer = httpx.post(jobber.base_url + "/api/oauth/token", data={
        "grant_type": "authorization_code", "code": query["code"], "redirect_uri": REDIRECT,
        "client_id": "nmc-test-client", "client_secret": SECRET})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert body["expires_in"] > 0 and body["refresh_token"]
    return body


def test_cancel_on_the_consent_page_needs_no_email_and_sends_back_access_denied(jobber: RunningJobber) -> None:
    consent = httpx.get(jobber.base_url + "/api/oauth/authorize", params={
        "client_id": "nmc-test-client", "redirect_uri": REDIRECT, "response_type": "code", "state": "s1"})
    # A browser would not submit the form with the required email empty, unless the button skips validation.
    assert "value=deny formnovalidate>Cancel" in consent.text, consent.text
    denied = httpx.post(jobber.base_url + "/api/oauth/approve", data={"redirect_uri": REDIRECT, "state": "s1",
                                                                      "decision": "deny"})
    assert dict(httpx.URL(denied.headers["location"]).params) == {"error": "access_denied", "state": "s1"}


def ask(request: GraphQLRequest, variables: dict[str, Any]) -> GraphQLRequest:
    return GraphQLRequest(request, variable_values=variables)


def client(jobber: RunningJobber, access_token: str, *, version: bool = True) -> Client:
    headers = {"Authorization": f"Bearer {access_token}", **(VERSION if version else {})}
    return Client(transport=RequestsHTTPTransport(url=jobber.base_url + "/api/graphql", headers=headers, timeout=5))


def test_visits_in_a_window_page_with_cursors_through_gql(jobber: RunningJobber) -> None:
    api = client(jobber, tokens(jobber)["access_token"])
    for hour in range(5):
        jobber.control.add_visit(ACCOUNT, start=T0 + timedelta(hours=hour), end=T0 + timedelta(hours=hour, minutes=30),
                                 title=f"Visit {hour}")
    jobber.control.add_visit(ACCOUNT, start=T0 + timedelta(days=3), end=T0 + timedelta(days=3, hours=1))  # outside
    window = {"from": T0.isoformat(), "to": (T0 + timedelta(days=1)).isoformat()}
    seen, after, pages = [], None, 0
    while True:
        page = api.execute(ask(VISITS, {"first": 2, "after": after, **window}))["visits"]
        seen += [node["title"] for node in page["nodes"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"Visit {h}" for h in range(5)] and pages == 3
    first = api.execute(ask(VISITS, {"first": 1, **window}))["visits"]["nodes"][0]
    assert first["startAt"] == "2030-01-07T15:00:00Z" and first["endAt"] == "2030-01-07T15:30:00Z"
    # Told to, the account's lists answer fewer visits than `first` asks, and say there are more.
    jobber.control.limit_pages(ACCOUNT, 2)
    capped = api.execute(ask(VISITS, {"first": 100, **window}))["visits"]
    assert [n["title"] for n in capped["nodes"]] == ["Visit 0", "Visit 1"] and capped["pageInfo"]["hasNextPage"]
    rest = api.execute(ask(VISITS, {"first": 100, "after": capped["pageInfo"]["endCursor"], **window}))["visits"]
    assert [n["title"] for n in rest["nodes"]] == ["Visit 2", "Visit 3"]
    jobber.control.limit_pages(ACCOUNT, None)
    assert len(api.execute(ask(VISITS, {"first": 100, **window}))["visits"]["nodes"]) == 5
    for size in (0, 101, "2"):
        with pytest.raises(FakeControlError) as refused:
            jobber.control._call("POST", "/_fake/jobber/page-size", json={"account": ACCOUNT, "size": size})
        assert refused.value.status == 422 and "size" in str(refused.value)


def test_accounts_do_not_see_each_others_visits(jobber: RunningJobber) -> None:
    jobber.control.add_visit(ACCOUNT, start=T0, end=T0 + timedelta(hours=1))
    other = client(jobber, tokens(jobber, "someone@example.test")["access_token"])
    assert other.execute(ask(VISITS, {}))["visits"]["nodes"] == []


def test_visit_create_is_idempotent_on_its_key_and_signs_one_webhook(
    jobber: RunningJobber, receiver: WebhookReceiver,
) -> None:
    api = client(jobber, tokens(jobber)["access_token"])
    given = {"title": "Leak repair", "startAt": T0.isoformat(), "endAt": (T0 + timedelta(minutes=90)).isoformat(),
             "idempotencyKey": "appt-1"}
    first = api.execute(ask(CREATE, {"input": given}))["visitCreate"]
    again = api.execute(ask(CREATE, {"input": given}))["visitCreate"]
    assert first["userErrors"] == [] and again["visit"]["id"] == first["visit"]["id"]
    assert [v["title"] for v in jobber.control.visits(ACCOUNT)] == ["Leak repair"]
    (hook,) = receiver.wait_for(1, path="/webhooks/jobber")
    # Jobber's signature: base64 of HMAC-SHA256 over the raw body, keyed with the app's client secret.
    expected = base64.b64encode(hmac.new(SECRET.encode(), hook.body, hashlib.sha256).digest()).decode()
    assert hook.headers["X-Jobber-Hmac-SHA256"] == expected
    event = json.loads(hook.body)["data"]["webHookEvent"]
    assert event["topic"] == "VISIT_CREATE" and event["itemId"] == first["visit"]["id"]
    assert event["appId"] and event["accountId"] and event["occurredAt"]


def test_visit_create_reports_user_errors(jobber: RunningJobber) -> None:
    api = client(jobber, tokens(jobber)["access_token"])
    bad = {"title": " ", "startAt": T0.isoformat(), "endAt": T0.isoformat()}
    result = api.execute(ask(CREATE, {"input": bad}))["visitCreate"]
    assert result["visit"] is None and {e["path"][1] for e in result["userErrors"]} == {"title", "endAt"}


def test_move_delete_and_dropped_webhooks(jobber: RunningJobber, receiver: WebhookReceiver) -> None:
    visit = jobber.control.add_visit(ACCOUNT, start=T0, end=T0 + timedelta(hours=1))
    jobber.control.drop_webhooks(1)
    jobber.control.move_visit(ACCOUNT, visit["id"], start=T0 + timedelta(hours=2), end=T0 + timedelta(hours=3))
    jobber.control.delete_visit(ACCOUNT, visit["id"])
    topics = [json.loads(h.body)["data"]["webHookEvent"]["topic"] for h in receiver.wait_for(2)]
    # The update's webhook was dropped. The other two are posted from the fake's delivery threads, so they may
    # arrive in either order (as Jobber's may: a receiver must not rely on it).
    assert sorted(topics) == ["VISIT_CREATE", "VISIT_DESTROY"], topics
    assert jobber.control.health()["dropped_webhooks"] == 1
    assert jobber.control.visits(ACCOUNT) == []


def test_refresh_rotates_and_expired_tokens_are_refused() -> None:
    with running_jobber(token_ttl_s=1) as jobber:
        issued = tokens(jobber)
        refreshed = httpx.post(jobber.base_url + "/api/oauth/token", data={
            "grant_type": "refresh_token", "refresh_token": issued["refresh_token"],
            "client_id": "nmc-test-client", "client_secret": SECRET}).json()
        assert refreshed["access_token"] != issued["access_token"]
        reused = httpx.post(jobber.base_url + "/api/oauth/token", data={
            "grant_type": "refresh_token", "refresh_token": issued["refresh_token"],
            "client_id": "nmc-test-client", "client_secret": SECRET})
        assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
        jobber.app.access_tokens[refreshed["access_token"]] = (ACCOUNT, 0.0)  # expired
        with pytest.raises(TransportServerError) as refused:
            client(jobber, refreshed["access_token"]).execute(ask(VISITS, {}))
        assert refused.value.code == 401


def test_expired_tokens_are_refused_until_refreshed(jobber: RunningJobber) -> None:
    issued, other = tokens(jobber), tokens(jobber, "someone-else@example.test")
    assert jobber.control.expire_access_tokens(ACCOUNT) == 1  # that account's only, at once
    with pytest.raises(TransportServerError) as refused:
        client(jobber, issued["access_token"]).execute(ask(VISITS, {}))
    assert refused.value.code == 401
    client(jobber, other["access_token"]).execute(ask(VISITS, {}))  # another account's token still works
    refreshed = httpx.post(jobber.base_url + "/api/oauth/token", data={
        "grant_type": "refresh_token", "refresh_token": issued["refresh_token"],
        "client_id": "nmc-test-client", "client_secret": SECRET}).json()
    client(jobber, refreshed["access_token"]).execute(ask(VISITS, {}))


def test_bad_input_gets_clear_errors(jobber: RunningJobber) -> None:
    token = tokens(jobber)["access_token"]
    url = jobber.base_url + "/api/graphql"
    auth = {"Authorization": f"Bearer {token}"}
    no_version = httpx.post(url, json={"query": "{ account { id } }"}, headers=auth)
    assert no_version.status_code == 400 and "X-JOBBER-GRAPHQL-VERSION" in no_version.json()["message"]
    assert httpx.post(url, json={"query": "{ account { id } }"}, headers=VERSION).status_code == 401
    malformed = httpx.post(url, content=b"{nope", headers={**auth, **VERSION, "Content-Type": "application/json"})
    assert malformed.status_code == 400 and "Traceback" not in malformed.text
    no_query = httpx.post(url, json={"variables": {}}, headers={**auth, **VERSION})
    assert no_query.status_code == 400 and "query" in no_query.json()["message"]
    with pytest.raises(TransportQueryError, match="Cannot query field"):
        client(jobber, token).execute(gql("{ invoices { nodes { id } } }"))
    with pytest.raises(TransportQueryError, match="Invalid cursor"):
        client(jobber, token).execute(ask(VISITS, {"after": "not-a-cursor"}))
    with pytest.raises(TransportQueryError, match="between 1 and 100"):
        client(jobber, token).execute(ask(VISITS, {"first": 1000}))
    wrong_secret = httpx.post(jobber.base_url + "/api/oauth/token", data={
        "grant_type": "authorization_code", "code": "x", "client_id": "nmc-test-client", "client_secret": "no"})
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"
    for bad in ({"account": ACCOUNT, "start": "tomorrow", "end": T0.isoformat()},
                {"account": ACCOUNT, "start": T0.isoformat(), "end": T0.isoformat()},
                {"start": T0.isoformat(), "end": (T0 + timedelta(hours=1)).isoformat()}):
        with pytest.raises(FakeControlError) as refused:
            jobber.control._call("POST", "/_fake/jobber/visits", json=bad)
        assert refused.value.status == 422
    with pytest.raises(FakeControlError) as missing:
        jobber.control.delete_visit(ACCOUNT, "nope")
    assert missing.value.status == 404


def test_the_cli_refuses_bad_options() -> None:
    run = subprocess.run([sys.executable, "-m", "fakes", "jobber", "--webhook-url", "ftp://x"],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 2 and "--webhook-url must be an http(s) URL" in run.stderr
