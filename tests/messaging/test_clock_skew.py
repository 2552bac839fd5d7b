"""Clock skew (seed 003 §8): auto-close and the first-response tracker run on the database's clock.

See tests/clock_skew.py for how the app server's clock is skewed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db import Database
from app.reporting.models import FirstResponse
from tests.clock_skew import skew_app_clock
from tests.messaging.conftest import CUSTOMER, Twilio, advance_clock, conversation_id_of


def test_an_app_clock_running_ahead_does_not_close_a_conversation_early(
    make_tenant: Callable[..., dict[str, Any]], login_as: Callable[..., TestClient], twilio: Twilio,
    drain: Callable[[], int], database: Database, operator: TestClient, monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant = make_tenant()
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"])
    drain()
    conversation = conversation_id_of(database, tenant["id"], CUSTOMER)
    owner = login_as(tenant)
    advance_clock(operator, tenant["id"], 23 * 3600)  # an hour before auto-close...
    skew_app_clock(monkeypatch, timedelta(hours=2))  # ...on an app server two hours ahead
    assert owner.get(f"/api/v1/conversations/{conversation}").json()["state"] == "open"
    advance_clock(operator, tenant["id"], 2 * 3600)
    assert owner.get(f"/api/v1/conversations/{conversation}").json()["state"] == "closed"


def test_a_skewed_app_clock_does_not_inflate_the_first_response_time(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int], database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant = make_tenant()
    twilio.call(from_=CUSTOMER, to=tenant["phone_number"])  # the wait starts on a right clock
    skew_app_clock(monkeypatch, timedelta(hours=1))  # the reply goes out from a server an hour ahead
    drain()
    with database.session() as db:
        waits = list(db.scalars(select(FirstResponse.latency_ms).where(FirstResponse.tenant_id == tenant["id"])))
    assert len(waits) == 1 and waits[0] is not None
    assert waits[0] < 60_000, f"first response took {waits[0]} ms by the skewed clock"
