"""Billing pages, the banner on every page, the status API, and who may see them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.tenancy import service as tenancy_service
from tests.billing.conftest import Billing
from tests.conftest import csrf_of

MakeTenant = Callable[..., dict[str, Any]]
LoginAs = Callable[[dict[str, Any], str], TestClient]

BANNER = re.compile(r'<div class="banner banner-(?P<level>\w+)" role="status" data-testid="billing-banner" '
                    r'data-state="(?P<state>\w+)">\s*<span>(?P<message>[^<]*)</span>\s*(?P<link>(<a [^>]*>[^<]*</a>)?)')


def banner_on(html: str) -> dict[str, str]:
    found = BANNER.search(html)
    assert found, "no billing banner on the page"
    return found.groupdict()


def set_state(billing: Billing, tenant_id: str, state: str) -> None:
    with billing.database.session() as db:
        tenancy_service.set_billing_state(db=db, tenant=tenancy_service.get(db=db, tenant_id=tenant_id), state=state)
        db.commit()


def test_tech_gets_403_on_billing_pages_and_api(billing: Billing, make_tenant: MakeTenant, login_as: LoginAs) -> None:
    tech = login_as(make_tenant(), "TECH")

    page = tech.get("/billing")
    assert page.status_code == 403
    assert 'data-testid="error-page"' in page.text and "Only the business owner" in page.text
    assert tech.get("/billing/success?session_id=cs_test_x").status_code == 403
    for response in (
        tech.get("/api/v1/billing/status"),
        tech.post("/api/v1/billing/checkout", headers={"X-CSRF-Token": csrf_of(tech)}),
        tech.post("/api/v1/billing/portal", headers={"X-CSRF-Token": csrf_of(tech)}),
    ):
        assert response.status_code == 403
        assert response.json() == {"detail": "Only the business owner can open this page.", "code": "owner_only"}
    assert tech.post("/billing/checkout", data={"csrf_token": csrf_of(tech)}).status_code == 403
    assert billing.stripe.control.checkout_sessions() == []


def test_anonymous_is_sent_to_login_or_gets_401(billing: Billing) -> None:
    page = billing.client.get("/billing", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/billing"
    assert billing.client.get("/api/v1/billing/status").status_code == 401


def test_nav_shows_billing_to_owners_only(make_tenant: MakeTenant, login_as: LoginAs, billing: Billing) -> None:
    tenant = make_tenant()
    assert '<a href="/billing"' in login_as(tenant, "OWNER").get("/inbox").text
    assert '<a href="/billing"' not in login_as(tenant, "TECH").get("/inbox").text


@pytest.mark.parametrize(
    ("state", "level", "message", "owner_link"),
    [
        ("none", "info", "No plan yet — subscribe to keep texting back callers", "Choose a plan"),
        ("active", "success", "Your NeverMissCall plan is active.", ""),
        ("past_due", "warning", "Payment failed — update your card", "Update card"),
        ("canceled", "danger", "Your plan is canceled — subscribe again to keep texting back callers", "Subscribe again"),
    ],
)
def test_banner_on_every_page_reflects_the_state(
    billing: Billing, make_tenant: MakeTenant, login_as: LoginAs,
    state: str, level: str, message: str, owner_link: str,
) -> None:
    tenant = make_tenant()
    set_state(billing, tenant["id"], state)
    owner, tech = login_as(tenant, "OWNER"), login_as(tenant, "TECH")

    for path in ("/inbox", "/billing"):
        banner = banner_on(owner.get(path).text)
        assert (banner["level"], banner["state"], banner["message"]) == (level, state, message)
        if owner_link:
            assert banner["link"] == f'<a href="/billing">{owner_link}</a>'
        else:
            assert banner["link"] == ""
    tech_banner = banner_on(tech.get("/inbox").text)
    assert (tech_banner["state"], tech_banner["link"]) == (state, "")  # techs cannot act on it: no link


def test_banner_follows_webhooks(billing: Billing, make_tenant: MakeTenant, login_as: LoginAs) -> None:
    tenant = make_tenant()
    owner = login_as(tenant, "OWNER")
    assert banner_on(owner.get("/inbox").text)["state"] == "none"

    subscription_id = billing.subscribe(owner)
    assert banner_on(owner.get("/inbox").text)["state"] == "active"

    billing.deliver_all(billing.stripe.control.payment_failed(subscription_id)["events"])
    assert banner_on(owner.get("/inbox").text)["state"] == "past_due"


def test_billing_page_per_state(billing: Billing, make_tenant: MakeTenant, login_as: LoginAs) -> None:
    tenant = make_tenant()
    owner = login_as(tenant, "OWNER")
    page = owner.get("/billing").text
    assert 'data-testid="billing-state" data-state="none"' in page
    assert ">Subscribe</button>" in page and "Manage billing" not in page

    subscription_id = billing.subscribe(owner)
    page = owner.get("/billing").text
    assert 'data-testid="billing-state" data-state="active"' in page
    assert ">Subscribe</button>" not in page and ">Manage billing</button>" in page
    assert re.search(r"Renews on \w+ \d{1,2}, \d{4}\.", page)

    billing.deliver_all(billing.stripe.control.payment_failed(subscription_id)["events"])
    page = owner.get("/billing").text
    assert 'data-state="past_due"' in page and "Your last payment failed" in page
    assert '<button type="submit" class="button-primary">Manage billing</button>' in page

    billing.deliver_all(billing.stripe.control.cancel(subscription_id)["events"])
    page = owner.get("/billing").text
    assert 'data-state="canceled"' in page and ">Subscribe again</button>" in page and "Manage billing" in page


def test_billing_page_messages_come_from_codes_only(billing: Billing, make_tenant: MakeTenant, login_as: LoginAs) -> None:
    owner = login_as(make_tenant(), "OWNER")
    assert "Checkout canceled — you were not charged." in owner.get("/billing?canceled=1").text
    unknown = owner.get("/billing?error=<script>alert(1)</script>")
    assert unknown.status_code == 200
    assert "<script>alert(1)" not in unknown.text and 'data-testid="billing-error"' not in unknown.text


def test_success_page_before_the_webhook_says_finishing_up_and_polls(
    billing: Billing, make_tenant: MakeTenant, login_as: LoginAs
) -> None:
    tenant = make_tenant()
    owner = login_as(tenant, "OWNER")
    subscription_id, events = billing.pay(owner)
    session_id = events[0]["data"]["object"]["id"]

    early = owner.get(f"/billing/success?session_id={session_id}")
    assert early.status_code == 200
    assert "Finishing up…" in early.text
    assert 'data-testid="checkout-result" data-state="none"' in early.text
    assert 'data-status-url="/api/v1/billing/status"' in early.text
    assert '<script src="/static/billing.js" defer></script>' in early.text
    assert owner.get("/static/billing.js").status_code == 200
    assert owner.get("/api/v1/billing/status").json()["state"] == "none"

    billing.deliver_all(events)

    status = owner.get("/api/v1/billing/status").json()
    assert status["state"] == "active"
    assert status["subscription"]["id"] == subscription_id
    assert status["banner"] == {"level": "success", "message": "Your NeverMissCall plan is active.",
                                "link_text": "", "link_path": "", "state": "active"}
    late = owner.get(f"/billing/success?session_id={session_id}")
    assert 'data-testid="checkout-result" data-state="active"' in late.text


def test_success_page_tolerates_a_missing_or_odd_session_id(
    billing: Billing, make_tenant: MakeTenant, login_as: LoginAs
) -> None:
    owner = login_as(make_tenant(), "OWNER")
    for path in ("/billing/success", "/billing/success?session_id=", "/billing/success?session_id=%3Cb%3E"):
        response = owner.get(path)
        assert response.status_code == 200 and "Finishing up…" in response.text
        assert "<b>" not in response.text


def test_status_api_shape(billing: Billing, make_tenant: MakeTenant, login_as: LoginAs) -> None:
    owner = login_as(make_tenant(), "OWNER")
    status = owner.get("/api/v1/billing/status").json()
    assert status == {
        "state": "none", "subscription": None, "can_subscribe": True, "has_customer": False,
        "banner": {"level": "info", "message": "No plan yet — subscribe to keep texting back callers",
                   "link_text": "Choose a plan", "link_path": "/billing", "state": "none"},
    }


def test_openapi_documents_the_billing_api(billing: Billing) -> None:
    spec = billing.client.get("/openapi.json").json()
    paths = spec["paths"]
    assert set(paths["/api/v1/billing/status"]) == {"get"}
    checkout = paths["/api/v1/billing/checkout"]["post"]
    assert {"201", "401", "403", "409", "422", "502", "503"} <= set(checkout["responses"])
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in checkout["parameters"])
    assert "400" in paths["/webhooks/stripe"]["post"]["responses"]
    assert "/billing" not in paths  # pages are not part of the API
