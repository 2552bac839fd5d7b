"""Injection and escaping: SQL-looking text and markup in every free-text field are stored verbatim (read back
through the JSON API) and rendered escaped on every page that shows them; fields reflected back in a form
after a validation error are escaped too. JSON answers are JSON, never HTML.

"Every free-text field" is checked, not assumed: every string the JSON API and the HTML forms accept is
listed either in FREE_TEXT (tested here) or in NOT_FREE_TEXT with the reason it cannot carry markup.
e2e/test_injection.py proves the same in a real browser: no script runs, no dialog opens.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.settings import Settings
from tests.conftest import csrf_of, tenant_spec
from tests.security.conftest import TWILIO_ACCOUNT_SID
from tests.security.signing import twilio_request

pytestmark = pytest.mark.security



def payload(tag: str) -> str:
    """SQL-looking text and markup, tagged so each field's text can be found on the page that shows it.
    Quotes break out of SQL string literals and HTML attributes; the tags run script if rendered raw."""
    return f"Robert'); DROP TABLE users;-- <script>alert('{tag}')</script><img src=x onerror=alert(1)> & 1=1"


def escaped(tag: str) -> str:
    """How the payload's script tag reads once HTML-escaped (what the page must contain)."""
    return f"&lt;script&gt;alert(&#39;{tag}&#39;)&lt;/script&gt;"


PAYLOAD = payload("any")
ALIAS_PAYLOAD = "drop table x;-- <script>alert('alias')</script>"  # aliases are stored lowercased, <= 60 chars
WEBSITE_PAYLOAD = "https://example.test/?q=<script>alert('website')</script>&x='--"
RAW_MARKUP = re.compile(r"<script>\s*alert|<img src=x", re.I)
CUSTOMER = "+15550108888"
TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"

#: Free-text inputs, as "METHOD path field" (JSON bodies, nested with dots) or "form template field".
FREE_TEXT = {
    "POST /api/operator/tenants name", "POST /api/operator/tenants owner.name", "POST /api/operator/tenants techs.name",
    "POST /api/operator/tenants catalog.name", "POST /api/operator/tenants catalog.aliases",
    "POST /api/operator/tenants labels",
    "POST /api/v1/conversations/{conversation_id}/messages body", "form conversations/detail.html body",
    "webhook /webhooks/twilio/sms Body",
    "POST /api/v1/catalog/items name", "POST /api/v1/catalog/items aliases",
    "PATCH /api/v1/catalog/items/{item_id} name", "PATCH /api/v1/catalog/items/{item_id} aliases",
    "form catalog/index.html name", "form catalog/index.html aliases",
    "POST /api/v1/compliance/registration legal_name", "POST /api/v1/compliance/registration website",
    "form compliance/index.html legal_name", "form compliance/index.html website",
    "POST /api/v1/booking-links text", "POST /api/v1/bookings customer_name", "form booking/held.html name",
    "form login.html email",
}
#: Strings that are not free text: validated to a strict shape before use, enums, ids, or never stored/shown.
NOT_FREE_TEXT = {
    "POST /api/v1/auth/token email": "credentials: looked up, never stored or shown",
    "POST /api/v1/auth/token password": "credentials: hashed, never shown",
    "POST /api/operator/tenants owner.email": "validated email address (422 otherwise)",
    "POST /api/operator/tenants owner.password": "hashed",
    "POST /api/operator/tenants techs.email": "validated email address",
    "POST /api/operator/tenants techs.password": "hashed",
    "POST /api/operator/tenants timezone": "must be an IANA zone name",
    "POST /api/operator/tenants phone_number": "must be E.164",
    "POST /api/operator/tenants compliance": "enum",
    **{f"POST /api/operator/tenants business_hours.{day}": "HH:MM times, validated"
       for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    "POST /api/operator/tenants/{tenant_id}/sessions user": "an id or email that must exist",
    "PUT /api/operator/tenants/{tenant_id}/clock now": "ISO date-time",
    "POST /api/v1/compliance/registration ein": "9 digits",
    "POST /api/v1/compliance/registration use_case": "enum",
    "form compliance/index.html ein": "9 digits",
    "form compliance/index.html use_case": "enum (select)",
    "POST /api/v1/catalog/match text": "matched against the catalog, never stored",
    "POST /api/v1/catalog/quote text": "matched against the catalog, never stored",
    "POST /api/v1/catalog/quote item_id": "id",
    "POST /api/v1/booking-links item_id": "id",
    "POST /api/v1/booking-links customer_phone": "must be a phone number",
    "POST /api/v1/holds item_id": "id",
    "POST /api/v1/holds starts_at": "date-time",
    "POST /api/v1/holds customer_phone": "must be a phone number",
    "POST /api/v1/bookings hold_id": "id",
    "POST /api/v1/bookings customer_phone": "must be a phone number",
    "form booking/held.html phone": "must be a phone number (reflected on error: tested for escaping)",
    "form booking/held.html hold_id": "id",
    "form booking/offers.html start": "date-time of an offered slot",
    "form catalog/index.html price": "a decimal amount (reflected on error: tested for escaping)",
    "form catalog/index.html duration": "minutes from a select",
    "form catalog/index.html priority": "an integer (reflected on error: tested for escaping)",
    "form login.html password": "never shown",
    "form login.html next": "a same-site path only (reflected: tested for escaping)",
    "form billing/index.html attempt": "an idempotency key the page made",
}


# --- the inventory ----------------------------------------------------------------------------------------------
def _string_leaves(schema: dict[str, Any], schemas: dict[str, Any], prefix: str = "") -> Iterator[str]:
    if "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        for option in options:
            yield from _string_leaves(option, schemas, prefix)
        return
    kind = schema.get("type")
    if kind == "object" and "properties" in schema:
        for name, sub in schema["properties"].items():
            yield from _string_leaves(sub, schemas, f"{prefix}.{name}" if prefix else name)
    elif kind == "object" and schema.get("additionalProperties") is not False:
        yield prefix  # free-form mapping (labels)
    elif kind == "array":
        yield from _string_leaves(schema.get("items", {}), schemas, prefix)
    elif kind == "string" and schema.get("format") not in ("date-time", "date"):
        yield prefix


def api_string_inputs(app: FastAPI) -> set[str]:
    spec = app.openapi()
    schemas = spec.get("components", {}).get("schemas", {})
    found = set()
    for path, operations in spec["paths"].items():
        if path.startswith("/webhooks"):
            continue
        for method, operation in operations.items():
            for content in operation.get("requestBody", {}).get("content", {}).values():
                found |= {f"{method.upper()} {path} {leaf}" for leaf in _string_leaves(content["schema"], schemas) if leaf}
    return found


FORM_FIELD = re.compile(r"<(?:input|textarea|select)\b([^>]*)>", re.I)


def form_inputs() -> set[str]:
    found = set()
    for template in TEMPLATES.rglob("*.html"):
        for attrs in FORM_FIELD.findall(template.read_text(encoding="utf-8")):
            name = re.search(r'name="([^"]+)"', attrs)
            if name and name.group(1) != "csrf_token":
                found.add(f"form {template.relative_to(TEMPLATES)} {name.group(1)}")
    return found


def test_every_text_input_is_classified(app: FastAPI) -> None:
    inputs = api_string_inputs(app) | form_inputs()
    unclassified = sorted(inputs - FREE_TEXT - NOT_FREE_TEXT.keys())
    assert not unclassified, f"classify these inputs in FREE_TEXT (and test them) or NOT_FREE_TEXT: {unclassified}"
    assert not (FREE_TEXT & NOT_FREE_TEXT.keys())


# --- storing and rendering ----------------------------------------------------------------------------------------
def assert_escaped(page: Any, where: str, *tags: str) -> None:
    """No payload renders raw on the page, and each tagged field's text is there, escaped."""
    assert page.status_code < 500, f"{where}: {page.status_code}"
    raw = RAW_MARKUP.search(page.text)
    assert raw is None, f"{where} renders markup raw: ...{page.text[max(0, raw.start() - 80):raw.end() + 40]}..."
    missing = [tag for tag in tags if escaped(tag) not in page.text]
    assert not missing, f"{where} does not show (escaped) the text of: {missing}"


def assert_json(response: Any, where: str) -> Any:
    assert response.status_code < 400, f"{where}: {response.status_code} {response.text[:200]}"
    assert response.headers["content-type"].startswith("application/json"), where
    return response.json()


@pytest.fixture
def owner(operator: TestClient, login_as: Callable[..., TestClient]) -> tuple[dict[str, Any], TestClient]:
    spec = tenant_spec(name=payload("tenant"), labels={"run_id": "unit", "note": payload("label")})
    spec["owner"]["name"] = payload("owner")
    spec["techs"][0]["name"] = payload("tech")
    spec["catalog"] = [{"name": payload("seeded"), "aliases": [ALIAS_PAYLOAD], "price_cents": 9900,
                        "duration_minutes": 60}]
    created = operator.post("/api/operator/tenants", json=spec)
    assert created.status_code == 201, created.text
    tenant = created.json()
    assert tenant["name"] == payload("tenant") and tenant["labels"]["note"] == payload("label")
    assert {u["name"] for u in tenant["users"]} == {payload("owner"), payload("tech")}
    return tenant, login_as(tenant, "OWNER")


def test_free_text_is_stored_verbatim_and_rendered_escaped(
    owner: tuple[dict[str, Any], TestClient], client: TestClient, settings: Settings,
    make_tenant: Callable[..., dict[str, Any]], login_as: Callable[..., TestClient],
) -> None:
    tenant, browser = owner
    csrf = {"X-CSRF-Token": csrf_of(browser)}

    # the customer's text, through the signed webhook, and the owner's reply through the composer form
    sms = twilio_request(settings, "/webhooks/twilio/sms", {
        "MessageSid": "SM" + "7" * 32, "AccountSid": TWILIO_ACCOUNT_SID, "From": CUSTOMER,
        "To": tenant["phone_number"], "Body": payload("sms"), "NumMedia": "0"})
    assert client.post("/webhooks/twilio/sms", content=sms.content, headers=sms.headers).status_code == 200
    [conversation] = assert_json(browser.get("/api/v1/conversations"), "conversations")["conversations"]
    reply = browser.post(f"/conversations/{conversation['id']}/messages",
                         data={"body": payload("reply"), "csrf_token": csrf_of(browser)}, follow_redirects=False)
    assert reply.status_code == 303, reply.text
    bodies = [m["body"] for m in assert_json(browser.get(f"/api/v1/conversations/{conversation['id']}/messages"),
                                             "messages")["messages"]]
    assert payload("sms") in bodies and payload("reply") in bodies

    # catalog through the API, then quoted on a booking link with a job description, then booked by name
    item = assert_json(browser.post("/api/v1/catalog/items", headers=csrf, json={
        "name": payload("item"), "aliases": [ALIAS_PAYLOAD], "price_cents": 12500, "duration_minutes": 60}),
        "catalog item")
    assert item["name"] == payload("item") and item["aliases"] == [ALIAS_PAYLOAD]
    link = assert_json(browser.post("/api/v1/booking-links", headers=csrf, json={"text": payload("item")}),
                       "booking link")
    hold = assert_json(browser.post("/api/v1/holds", headers=csrf, json={
        "item_id": item["id"], "starts_at": link["offers"][0]["starts_at"], "customer_phone": CUSTOMER}), "hold")
    booked = assert_json(browser.post("/api/v1/bookings", headers=csrf,
                                      json={"hold_id": hold["id"], "customer_name": payload("customer")}), "booking")
    assert booked["customer_name"] == payload("customer")
    appointment = assert_json(browser.get(f"/api/v1/appointments/{booked['id']}"), "appointment")
    assert appointment["customer_name"] == payload("customer")

    pages = {
        "/inbox": ("owner", "tenant", "reply"),  # the preview shows the last message
        f"/conversations/{conversation['id']}": ("owner", "tenant", "sms", "reply"),
        "/catalog": ("seeded", "item", "alias"),
        f"/catalog/{item['id']}/edit": ("item",),
        "/appointments": ("item", "customer"),
        "/dashboard": ("tenant",), "/billing": ("tenant",), "/compliance": ("tenant",),
    }
    for path, tags in pages.items():
        assert_escaped(browser.get(path), path, *tags)
    with TestClient(browser.app) as customer:  # the public booking page, signed out
        assert_escaped(customer.get(f"/book/{link['token']}"), "the booking page", "tenant", "item")

    # compliance registration, by a business that has not registered yet
    unregistered = login_as(make_tenant(compliance="none"), "OWNER")
    registration = assert_json(unregistered.post(
        "/api/v1/compliance/registration", headers={"X-CSRF-Token": csrf_of(unregistered)},
        json={"legal_name": PAYLOAD, "ein": "12-3456789", "website": WEBSITE_PAYLOAD, "use_case": "CUSTOMER_CARE"}),
        "registration")
    assert registration["registration"]["legal_name"] == PAYLOAD
    assert registration["registration"]["website"] == WEBSITE_PAYLOAD
    assert_escaped(unregistered.get("/compliance"), "/compliance", "any", "website")


def test_fields_reflected_after_a_validation_error_are_escaped(
    owner: tuple[dict[str, Any], TestClient], client: TestClient,
    make_tenant: Callable[..., dict[str, Any]], login_as: Callable[..., TestClient],
) -> None:
    _, browser = owner
    token = csrf_of(browser)
    html = {"Accept": "text/html"}  # what a browser sends with a form
    short = '"><i>x'  # fits the short numeric fields (price 50, priority 10 characters)
    bad_catalog = browser.post("/catalog", headers=html, data={
        "name": PAYLOAD, "aliases": ALIAS_PAYLOAD, "price": short, "duration": "60", "priority": short,
        "csrf_token": token})
    assert bad_catalog.status_code == 422
    assert_escaped(bad_catalog, "the catalog form after an error", "any")
    assert short not in bad_catalog.text
    unregistered = login_as(make_tenant(compliance="none"), "OWNER")
    bad_compliance = unregistered.post("/compliance", headers=html, data={
        "legal_name": PAYLOAD, "ein": short, "website": PAYLOAD, "use_case": short, "csrf_token": csrf_of(unregistered)})
    assert bad_compliance.status_code == 422
    assert_escaped(bad_compliance, "the compliance form after an error", "any")
    assert short not in bad_compliance.text
    client.get("/login")
    wrong_login = client.post("/login", headers=html, data={
        "email": PAYLOAD, "password": "whatever1", "next": f"/inbox?{PAYLOAD}", "csrf_token": csrf_of(client)})
    assert wrong_login.status_code == 401
    assert_escaped(wrong_login, "the login form after a failure", "any")


def test_a_website_that_is_script_is_refused(owner: tuple[dict[str, Any], TestClient]) -> None:
    """The website becomes a link on the compliance page: a javascript: URL must never be stored."""
    _, browser = owner
    response = browser.post("/api/v1/compliance/registration", headers={"X-CSRF-Token": csrf_of(browser)}, json={
        "legal_name": "Acme", "ein": "12-3456789", "website": "javascript:alert(1)//example.test",
        "use_case": "CUSTOMER_CARE"})
    assert response.status_code == 422
