"""Pages (inbox, conversation, escaping, buttons, composer, nav) and the JSON API (shapes, OpenAPI, auth)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.conversations.models import Conversation, Message
from app.db import Database
from app.providers import MemoryTelephony
from app.telephony.models import WebhookEvent
from tests.conftest import csrf_of
from tests.messaging.conftest import CUSTOMER, Twilio, conversation_id_of, count

HOSTILE = '<script>alert("x")</script> & <b>bold</b> \'quoted\''


def test_message_bodies_with_html_are_shown_escaped(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int], database: Database,
    login_as: Callable[..., TestClient],
) -> None:
    tenant = make_tenant()
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body=HOSTILE)
    drain()
    owner = login_as(tenant)
    conversation_id = conversation_id_of(database, tenant["id"], CUSTOMER)
    for page in (owner.get(f"/conversations/{conversation_id}").text, owner.get("/inbox").text):
        assert '<script>alert("x")</script>' not in page and "<b>bold</b>" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    # The API returns the text as it was written; the page script inserts it with textContent.
    bodies = [m["body"] for m in owner.get(f"/api/v1/conversations/{conversation_id}/messages").json()["messages"]]
    assert HOSTILE in bodies


def test_the_conversation_page_takes_over_and_returns_with_buttons(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int], database: Database,
    login_as: Callable[..., TestClient],
) -> None:
    tenant = make_tenant()
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"])
    drain()
    owner = login_as(tenant)
    conversation_id = conversation_id_of(database, tenant["id"], CUSTOMER)
    page = owner.get(f"/conversations/{conversation_id}").text
    assert ">Take over</button>" in page and 'data-testid="conversation-state" data-state="open"' in page
    assert '<label for="composer-body">Message</label>' in page
    assert 'data-testid="thread-event"' in page and "Missed call (no answer)" in page
    taken = owner.post(f"/conversations/{conversation_id}/takeover", data={"csrf_token": csrf_of(owner)},
                       follow_redirects=False)
    assert taken.status_code == 303 and taken.headers["location"] == f"/conversations/{conversation_id}"
    page = owner.get(f"/conversations/{conversation_id}").text
    assert ">Return to assistant</button>" in page and 'data-state="human"' in page
    owner.post(f"/conversations/{conversation_id}/release", data={"csrf_token": csrf_of(owner)})
    assert ">Take over</button>" in owner.get(f"/conversations/{conversation_id}").text


def test_the_composer_sends_as_the_signed_in_person_and_takes_over(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int], database: Database,
    login_as: Callable[..., TestClient], telephony: MemoryTelephony,
) -> None:
    tenant = make_tenant()
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="Can you come today?")
    drain()
    conversation_id = conversation_id_of(database, tenant["id"], CUSTOMER)
    owner = login_as(tenant)
    sent = owner.post(f"/conversations/{conversation_id}/messages",
                      data={"body": "Yes, around 3pm works", "csrf_token": csrf_of(owner)}, follow_redirects=False)
    assert sent.status_code == 303
    drain()
    assert telephony.sent[-1]["body"] == "Yes, around 3pm works"
    detail = owner.get(f"/api/v1/conversations/{conversation_id}").json()
    assert detail["state"] == "human" and detail["needs_attention"] is False
    mine = detail["messages"][-1]
    owner_name = next(u["name"] for u in tenant["users"] if u["role"] == "OWNER")
    assert mine["author"] == "human" and mine["author_label"] == mine["author_name"] == owner_name
    empty = owner.post(f"/conversations/{conversation_id}/messages", data={"body": "  ", "csrf_token": csrf_of(owner)})
    assert empty.status_code == 422 and "Write a message before sending." in empty.text


def test_forms_without_the_csrf_token_are_refused(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int], database: Database,
    login_as: Callable[..., TestClient],
) -> None:
    tenant = make_tenant()
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"])
    conversation_id = conversation_id_of(database, tenant["id"], CUSTOMER)
    owner = login_as(tenant)
    assert owner.post(f"/conversations/{conversation_id}/takeover", data={}).status_code == 403
    assert owner.post(f"/api/v1/conversations/{conversation_id}/takeover").status_code == 403
    assert owner.get(f"/api/v1/conversations/{conversation_id}").json()["state"] == "open"


def test_navigation_shows_compliance_to_owners_only_and_the_dashboard_to_everyone(
    make_tenant: Callable[..., dict[str, Any]], login_as: Callable[..., TestClient],
) -> None:
    tenant = make_tenant()
    owner_nav, tech_nav = login_as(tenant).get("/inbox").text, login_as(tenant, "TECH").get("/inbox").text
    assert 'href="/compliance"' in owner_nav and 'href="/compliance"' not in tech_nav
    assert 'href="/dashboard"' in owner_nav and 'href="/dashboard"' in tech_nav


def test_the_inbox_is_empty_at_first(
    make_tenant: Callable[..., dict[str, Any]], login_as: Callable[..., TestClient]
) -> None:
    page = login_as(make_tenant()).get("/inbox").text
    assert 'data-testid="inbox-empty"' in page and 'data-poll-url="/api/v1/conversations"' in page


def test_the_api_lists_and_details_conversations_with_a_bearer_token(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int], client: TestClient,
) -> None:
    tenant = make_tenant()
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"], status="busy")
    drain()
    owner_email = next(u["email"] for u in tenant["users"] if u["role"] == "OWNER")
    token = client.post("/api/v1/auth/token", json={"email": owner_email, "password": "correct horse"}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    listed = client.get("/api/v1/conversations", headers=headers).json()["conversations"]
    assert len(listed) == 1
    row = listed[0]
    assert row["customer_phone"] == CUSTOMER and row["business_phone"] == tenant["phone_number"]
    assert row["state"] == "open" and row["last_message"]["direction"] == "outbound"
    detail = client.get(f"/api/v1/conversations/{row['id']}", headers=headers).json()
    assert [m["direction"] for m in detail["messages"]] == ["event", "outbound"]
    assert detail["messages"][0]["body"] == "Missed call (busy)"
    assert detail["composer"] == {"can_send": True, "code": None, "reason": None}
    sent = client.post(f"/api/v1/conversations/{row['id']}/messages", json={"body": "On our way"}, headers=headers)
    assert sent.status_code == 201 and sent.json()["status"] == "queued" and sent.json()["author"] == "human"
    assert client.get("/api/v1/conversations?state=human", headers=headers).json()["conversations"][0]["id"] == row["id"]
    assert client.get("/api/v1/conversations?state=bogus", headers=headers).status_code == 422
    assert client.post(f"/api/v1/conversations/{row['id']}/messages", json={"body": ""}, headers=headers).status_code == 422
    assert client.post(f"/api/v1/conversations/{row['id']}/messages", json={"body": "x", "extra": 1},
                       headers=headers).status_code == 422
    assert client.get("/api/v1/conversations/does-not-exist", headers=headers).status_code == 404
    assert client.get("/api/v1/conversations").status_code == 401


def test_openapi_documents_the_messaging_api(app: FastAPI, client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in ("/api/v1/conversations", "/api/v1/conversations/{conversation_id}",
                 "/api/v1/conversations/{conversation_id}/messages", "/api/v1/conversations/{conversation_id}/takeover",
                 "/api/v1/conversations/{conversation_id}/release", "/api/v1/compliance",
                 "/api/v1/compliance/registration", "/api/v1/dashboard/first-response"):
        assert path in paths, path
    send = paths["/api/v1/conversations/{conversation_id}/messages"]["post"]
    assert set(send["responses"]) >= {"201", "401", "403", "404", "409", "422"}
    assert send["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/MessageOut")
    # Provider-facing, but documented with their refusals, so schemathesis checks them too (issue 23).
    assert {"400", "403"} <= set(paths["/webhooks/twilio/sms"]["post"]["responses"])


def test_deleting_the_tenant_removes_its_messaging_rows(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int], database: Database,
    operator: TestClient,
) -> None:
    tenant, keep = make_tenant(), make_tenant()
    for t in (tenant, keep):
        twilio.call(from_=CUSTOMER, to=t["phone_number"])
        twilio.sms(from_=CUSTOMER, to=t["phone_number"], body="STOP")
    drain()
    assert operator.delete(f"/api/operator/tenants/{tenant['id']}").status_code == 204
    for model in (Conversation, Message, WebhookEvent):
        assert count(database, model, tenant_id=tenant["id"]) == 0
        assert count(database, model, tenant_id=keep["id"]) > 0


def test_hostile_input_is_a_clear_4xx_never_a_500(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int], database: Database,
    login_as: Callable[..., TestClient],
) -> None:
    tenant = make_tenant(compliance="none")
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="nul \x00 inside")  # stored without the NUL
    conversation_id = conversation_id_of(database, tenant["id"], CUSTOMER)
    owner = login_as(tenant)
    headers = {"X-CSRF-Token": csrf_of(owner)}
    for bad_id in ("x" * 500, "%00", "0" * 31 + "Z", "../inbox"):
        assert owner.get(f"/api/v1/conversations/{bad_id}").status_code == 404
    nul = owner.post(f"/api/v1/conversations/{conversation_id}/messages", json={"body": "a\x00b"}, headers=headers)
    assert nul.status_code in (403, 422)  # texting is off for this tenant, whatever the body
    registration = {"legal_name": "Ace\x00 LLC", "ein": "12-3456789\x00", "website": "https://ace.example\x00",
                    "use_case": "MIXED"}
    response = owner.post("/api/v1/compliance/registration", json=registration, headers=headers)
    assert response.status_code == 201 and response.json()["registration"]["legal_name"] == "Ace LLC"
    detail = owner.get(f"/api/v1/conversations/{conversation_id}").json()
    assert detail["messages"][0]["body"] == "nul  inside"


def test_a_nul_in_a_message_is_a_422(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, database: Database, login_as: Callable[..., TestClient],
) -> None:
    tenant = make_tenant()
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="hi")
    owner = login_as(tenant)
    response = owner.post(f"/api/v1/conversations/{conversation_id_of(database, tenant['id'], CUSTOMER)}/messages",
                          json={"body": "a\x00b"}, headers={"X-CSRF-Token": csrf_of(owner)})
    assert response.status_code == 422 and response.json()["code"] == "invalid_message"


def test_the_pages_poll_at_the_configured_interval_or_their_own_default(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int], database: Database,
    login_as: Callable[..., TestClient], app: FastAPI,
) -> None:
    tenant = make_tenant()
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="hello")
    drain()
    owner = login_as(tenant)
    conversation_id = conversation_id_of(database, tenant["id"], CUSTOMER)
    for path in ("/inbox", f"/conversations/{conversation_id}"):
        assert "data-poll-ms" not in owner.get(path).text  # messaging.js's own 3 s / 1.5 s
    app.state.settings = app.state.settings.model_copy(update={"page_poll_interval_ms": 300})
    for path in ("/inbox", f"/conversations/{conversation_id}"):
        assert 'data-poll-ms="300"' in owner.get(path).text
