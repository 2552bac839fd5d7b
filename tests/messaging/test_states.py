"""The conversation state machine: every (state, trigger) pair, takeover through the API, auto-close."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.conversations.states import TRANSITIONS, IllegalTransition, State, Trigger, next_state
from app.db import Database
from app.providers import MemoryTelephony
from tests.messaging.conftest import CUSTOMER, Twilio, advance_clock, conversation_id_of

EXPECTED: dict[State, dict[Trigger, State | None]] = {
    # state: {trigger: next state, or None when refused}
    State.OPEN: {Trigger.TAKE_OVER: State.HUMAN, Trigger.RETURN_TO_ASSISTANT: State.OPEN,
                 Trigger.OPT_OUT: State.BLOCKED, Trigger.OPT_IN: State.OPEN, Trigger.AUTO_CLOSE: State.CLOSED},
    State.HUMAN: {Trigger.TAKE_OVER: State.HUMAN, Trigger.RETURN_TO_ASSISTANT: State.OPEN,
                  Trigger.OPT_OUT: State.BLOCKED, Trigger.OPT_IN: State.HUMAN, Trigger.AUTO_CLOSE: State.CLOSED},
    State.BLOCKED: {Trigger.TAKE_OVER: None, Trigger.RETURN_TO_ASSISTANT: None, Trigger.OPT_OUT: State.BLOCKED,
                    Trigger.OPT_IN: State.OPEN, Trigger.AUTO_CLOSE: None},
    State.CLOSED: {Trigger.TAKE_OVER: None, Trigger.RETURN_TO_ASSISTANT: None, Trigger.OPT_OUT: State.BLOCKED,
                   Trigger.OPT_IN: None, Trigger.AUTO_CLOSE: None},
}
PAIRS = list(itertools.product(State, Trigger))


@pytest.mark.parametrize(("state", "trigger"), PAIRS, ids=[f"{s.value}-{t.value}" for s, t in PAIRS])
def test_every_state_and_trigger(state: State, trigger: Trigger, caplog: pytest.LogCaptureFixture) -> None:
    expected = EXPECTED[state][trigger]
    if expected is None:
        with caplog.at_level(logging.WARNING), pytest.raises(IllegalTransition) as refused:
            next_state(state.value, trigger)
        assert refused.value.status_code == 409
        assert any("unexpected conversation transition" in r.getMessage() for r in caplog.records)
    else:
        assert next_state(state.value, trigger) == expected


def test_the_table_is_the_only_source_of_allowed_transitions() -> None:
    allowed = {(s, t) for s, row in EXPECTED.items() for t, target in row.items() if target is not None}
    assert set(TRANSITIONS) == allowed


def _conversation(twilio: Twilio, tenant: dict[str, Any], drain: Callable[[], int], database: Database) -> str:
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"])
    drain()
    return conversation_id_of(database, tenant["id"], CUSTOMER)


def test_take_over_and_return_through_the_api(
    make_tenant: Callable[..., dict[str, Any]], login_as: Callable[..., TestClient], twilio: Twilio,
    drain: Callable[[], int], database: Database,
) -> None:
    tenant = make_tenant()
    conversation_id = _conversation(twilio, tenant, drain, database)
    tech = login_as(tenant, "TECH")  # technicians may work conversations too
    headers = {"X-CSRF-Token": tech.cookies.get("nmc_csrf") or ""}
    taken = tech.post(f"/api/v1/conversations/{conversation_id}/takeover", headers=headers)
    assert taken.status_code == 200 and taken.json()["state"] == "human"
    again = tech.post(f"/api/v1/conversations/{conversation_id}/takeover", headers=headers)
    assert again.status_code == 200 and again.json()["state"] == "human"  # a double click is harmless
    released = tech.post(f"/api/v1/conversations/{conversation_id}/release", headers=headers)
    assert released.status_code == 200 and released.json()["state"] == "open"


def test_taking_over_a_blocked_conversation_is_a_409_with_the_reason(
    make_tenant: Callable[..., dict[str, Any]], login_as: Callable[..., TestClient], twilio: Twilio,
    drain: Callable[[], int], database: Database,
) -> None:
    tenant = make_tenant()
    conversation_id = _conversation(twilio, tenant, drain, database)
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="STOP")
    owner = login_as(tenant)
    response = owner.post(f"/api/v1/conversations/{conversation_id}/takeover",
                          headers={"X-CSRF-Token": owner.cookies.get("nmc_csrf") or ""})
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert "opted out" in response.json()["detail"]


def test_inactivity_closes_the_conversation_on_the_tenant_clock(
    make_tenant: Callable[..., dict[str, Any]], login_as: Callable[..., TestClient], twilio: Twilio,
    drain: Callable[[], int], database: Database, operator: TestClient, telephony: MemoryTelephony,
) -> None:
    tenant, other = make_tenant(), make_tenant()
    first = _conversation(twilio, tenant, drain, database)
    untouched = _conversation(twilio, other, drain, database)
    advance_clock(operator, tenant["id"], 23 * 3600)
    owner = login_as(tenant)
    assert owner.get(f"/api/v1/conversations/{first}").json()["state"] == "open"
    advance_clock(operator, tenant["id"], 2 * 3600)
    listed = owner.get("/api/v1/conversations").json()["conversations"]
    assert [(c["id"], c["state"]) for c in listed] == [(first, "closed")]
    assert login_as(other).get(f"/api/v1/conversations/{untouched}").json()["state"] == "open"  # other clocks untouched
    # The customer writes again: a new conversation, answered by the assistant.
    twilio.sms(from_=CUSTOMER, to=tenant["phone_number"], body="Hello again")
    drain()
    listed = owner.get("/api/v1/conversations").json()["conversations"]
    assert [c["state"] for c in listed] == ["open", "closed"]
    assert listed[0]["id"] != first
    composer = owner.get(f"/api/v1/conversations/{first}").json()["composer"]
    assert composer["can_send"] is False and composer["code"] == "conversation_closed"
