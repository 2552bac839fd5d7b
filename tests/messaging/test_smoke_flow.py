"""The shortest path end to end inside the app: missed call -> first SMS at the provider -> inbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from app.providers import MemoryTelephony
from tests.messaging.conftest import CUSTOMER, Twilio


def test_missed_call_texts_the_caller_back_and_shows_in_the_inbox(
    make_tenant: Callable[..., dict[str, Any]], twilio: Twilio, drain: Callable[[], int],
    telephony: MemoryTelephony, login_as: Callable[..., TestClient],
) -> None:
    tenant = make_tenant()
    response = twilio.call(from_=CUSTOMER, to=tenant["phone_number"], status="no-answer")
    assert response.status_code == 200, response.text
    drain()
    assert [m["to"] for m in telephony.sent] == [CUSTOMER]
    assert tenant["name"] in telephony.sent[0]["body"]
    page = login_as(tenant).get("/inbox")
    assert page.status_code == 200
    assert CUSTOMER in page.text and 'data-testid="conversation-row"' in page.text
