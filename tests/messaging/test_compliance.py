"""Compliance: submission -> brand pending; the gate on every outbound path; approval releases held texts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.compliance.models import ComplianceRegistration
from app.db import Database
from app.providers import MemoryTelephony
from tests.conftest import csrf_of
from tests.messaging.conftest import (
    CUSTOMER,
    OTHER_CUSTOMER,
    Twilio,
    advance_clock,
    conversation_id_of,
    count,
    events_of_type,
    thread_of,
)

VALID = {"legal_name": "Ace Plumbing LLC", "ein": "12-3456789", "website": "https://aceplumbing.example",
         "use_case": "CUSTOMER_CARE"}


# --- submission ---------------------------------------------------------------------------------------
def test_the_operator_can_create_a_pending_tenant_with_a_brand(
    make_tenant: Callable[..., dict[str, Any]], telephony: MemoryTelephony,
) -> None:
    tenant = make_tenant(compliance="pending")
    assert tenant["compliance_status"] == "pending"
    assert tenant["extra"]["brand_sid"] == telephony.brands[0]["sid"]
    assert telephony.brands[0]["tenant_id"] == tenant["id"]


def test_the_owner_submits_the_registration_and_the_tenant_becomes_pending(
    make_tenant: Callable[..., dict[str, Any]], login_as: Callable[..., TestClient], telephony: MemoryTelephony,
) -> None:
    tenant = make_tenant(compliance="none")
    owner = login_as(tenant)
    before = owner.get("/api/v1/compliance").json()
    assert before["status"] == "none" and before["can_send"] is False and before["code"] == "compliance_required"
    response = owner.post("/api/v1/compliance/registration", json={**VALID, "ein": "123456789"},
                          headers={"X-CSRF-Token": csrf_of(owner)})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "pending" and body["code"] == "compliance_pending"
    assert body["registration"]["ein"] == "12-3456789" and body["registration"]["brand_sid"] == telephony.brands[0]["sid"]
    again = owner.post("/api/v1/compliance/registration", json=VALID, headers={"X-CSRF-Token": csrf_of(owner)})
    assert again.status_code == 409 and again.json()["code"] == "compliance_already_pending"


def test_invalid_details_are_a_422_listing_every_field(
    make_tenant: Callable[..., dict[str, Any]], login_as: Callable[..., TestClient], telephony: MemoryTelephony,
) -> None:
    owner = login_as(make_tenant(compliance="none"))
    bad = {"legal_name": " ", "ein": "12-34", "website": "aceplumbing", "use_case": "CUSTOMER_CARE"}
    response = owner.post("/api/v1/compliance/registration", json=bad, headers={"X-CSRF-Token": csrf_of(owner)})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"legal_name", "ein", "website"}
    assert telephony.brands == []


def test_technicians_cannot_see_or_submit_compliance(
    make_tenant: Callable[..., dict[str, Any]], login_as: Callable[..., TestClient],
) -> None:
    tech = login_as(make_tenant(compliance="none"), "TECH")
    assert tech.get("/api/v1/compliance").status_code == 403
    assert tech.post("/api/v1/compliance/registration", json=VALID,
                     headers={"X-CSRF-Token": csrf_of(tech)}).status_code == 403
    assert tech.get("/compliance").status_code == 403


def test_the_registration_form_page(
    make_tenant: Callable[..., dict[str, Any]], login_as: Callable[..., TestClient], database: Database,
) -> None:
    tenant = make_tenant(compliance="none")
    owner = login_as(tenant)
    page = owner.get("/compliance")
    assert page.status_code == 200 and 'for="legal_name">Legal business name<' in page.text
    invalid = owner.post("/compliance", data={**VALID, "ein": "nope", "csrf_token": csrf_of(owner)})
    assert invalid.status_code == 422
    assert "Enter the 9-digit EIN" in invalid.text and 'value="Ace Plumbing LLC"' in invalid.text
    done = owner.post("/compliance", data={**VALID, "csrf_token": csrf_of(owner)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/compliance?submitted=1"
    shown = owner.get("/compliance?submitted=1").text
    assert 'data-testid="compliance-status" data-state="pending"' in shown and "Registration submitted" in shown
    assert count(database, ComplianceRegistration, tenant_id=tenant["id"]) == 1


def test_a_provider_failure_is_a_502_and_nothing_is_stored(
    app: FastAPI, make_tenant: Callable[..., dict[str, Any]], login_as: Callable[..., TestClient], database: Database,
) -> None:
    tenant = make_tenant(compliance="none")

    def refuse(**_: Any) -> str:
        raise RuntimeError("Twilio is down")

    app.state.telephony.register_brand = refuse
    owner = login_as(tenant)
    response = owner.post("/api/v1/compliance/registration", json=VALID, headers={"X-CSRF-Token": csrf_of(owner)})
    assert response.status_code == 502 and "Twilio is down" in response.json()["detail"]
    assert count(database, ComplianceRegistration) == 0
    assert owner.get("/api/v1/compliance").json()["status"] == "none"


# --- the gate -----------------------------------------------------------------------------------------
def test_while_pending_first_replies_are_held_and_people_cannot_send(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int],
    telephony: MemoryTelephony, database: Database, login_as: Callable[..., TestClient],
) -> None:
    tenant = make_tenant(compliance="pending")
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"])
    drain()
    assert telephony.sent == []
    conversation_id = conversation_id_of(database, tenant["id"], CUSTOMER)
    held = [m for m in thread_of(database, conversation_id) if m.direction == "outbound"]
    assert [m.status for m in held] == ["held"] and "pending" in (held[0].status_reason or "")
    owner = login_as(tenant)
    response = owner.post(f"/api/v1/conversations/{conversation_id}/messages", json={"body": "Hi!"},
                          headers={"X-CSRF-Token": csrf_of(owner)})
    assert response.status_code == 403
    assert response.json()["code"] == "compliance_pending" and "pending" in response.json()["detail"]
    page = owner.get(f"/conversations/{conversation_id}").text
    assert 'data-testid="compliance-banner"' in page and 'data-state="pending"' in page
    assert 'data-testid="composer-disabled-reason" data-code="compliance_pending"' in page
    assert 'data-status="held"' in page
    # Technicians see the banner too, without the owner's link.
    tech_page = login_as(tenant, "TECH").get("/inbox").text
    assert 'data-testid="compliance-banner"' in tech_page and 'href="/compliance"' not in tech_page


@pytest.mark.parametrize("status", ["none", "rejected"])
def test_not_registered_or_rejected_tenants_cannot_text_either(
    status: str, make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int],
    telephony: MemoryTelephony, database: Database, login_as: Callable[..., TestClient],
) -> None:
    tenant = make_tenant(compliance="pending" if status == "rejected" else "none")
    if status == "rejected":
        twilio.brand(brand_sid=tenant["extra"]["brand_sid"], status="FAILED", failure_reason="EIN does not match")
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"])
    drain()
    assert telephony.sent == []
    owner = login_as(tenant)
    conversation_id = conversation_id_of(database, tenant["id"], CUSTOMER)
    response = owner.post(f"/api/v1/conversations/{conversation_id}/messages", json={"body": "Hi"},
                          headers={"X-CSRF-Token": csrf_of(owner)})
    expected_code = "compliance_required" if status == "none" else "compliance_rejected"
    assert response.status_code == 403 and response.json()["code"] == expected_code
    if status == "rejected":
        assert "EIN does not match" in owner.get("/compliance").text


# --- approval -----------------------------------------------------------------------------------------
def test_approval_sends_held_texts_younger_than_a_day_and_drops_older_ones_with_a_note(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int], operator: TestClient,
    telephony: MemoryTelephony, database: Database, login_as: Callable[..., TestClient],
) -> None:
    tenant = make_tenant(compliance="pending")
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"])  # held, will be 25 h old
    drain()
    advance_clock(operator, tenant["id"], 25 * 3600)
    twilio.call(from_=OTHER_CUSTOMER, to=tenant["phone_number"])  # held, fresh
    drain()
    assert telephony.sent == []
    for _ in range(5):  # Twilio may deliver the callback more than once
        assert twilio.brand(brand_sid=tenant["extra"]["brand_sid"], status="APPROVED", token="approval").status_code == 200
    assert [e.payload["status"] for e in events_of_type(database, tenant["id"], "ComplianceStatusChanged")] == ["approved"]
    drain()
    assert [m["to"] for m in telephony.sent] == [OTHER_CUSTOMER]
    old = [m for m in thread_of(database, conversation_id_of(database, tenant["id"], CUSTOMER)) if m.direction == "outbound"]
    assert [m.status for m in old] == ["dropped"] and "more than 24 hours" in (old[0].status_reason or "")
    owner = login_as(tenant)
    page = owner.get(f"/conversations/{conversation_id_of(database, tenant['id'], CUSTOMER)}").text
    assert 'data-testid="message-note"' in page and "more than 24 hours" in page
    assert 'data-testid="compliance-banner"' not in page  # banner gone
    assert owner.get("/api/v1/compliance").json()["can_send"] is True


def test_rejection_emits_the_event_and_keeps_texts_held(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int],
    telephony: MemoryTelephony, database: Database,
) -> None:
    tenant = make_tenant(compliance="pending")
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"])
    drain()
    twilio.brand(brand_sid=tenant["extra"]["brand_sid"], status="FAILED", failure_reason="Website unreachable")
    drain()
    events = events_of_type(database, tenant["id"], "ComplianceStatusChanged")
    assert [(e.payload["status"], e.payload["failure_reason"]) for e in events] == [("rejected", "Website unreachable")]
    assert events[0].schema_version == 1
    assert telephony.sent == []
    statuses = [m.status for m in thread_of(database, conversation_id_of(database, tenant["id"], CUSTOMER))
                if m.direction == "outbound"]
    assert statuses == ["held"]


def test_an_unknown_brand_status_word_changes_nothing(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, login_as: Callable[..., TestClient],
) -> None:
    tenant = make_tenant(compliance="pending")
    assert twilio.brand(brand_sid=tenant["extra"]["brand_sid"], status="MYSTERY").status_code == 200
    assert login_as(tenant).get("/api/v1/compliance").json()["status"] == "pending"
