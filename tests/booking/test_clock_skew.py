"""Clock skew (seed 003 §8): holds and bookings are judged on the database's clock, not the app server's.

See tests/clock_skew.py for how the app server's clock is skewed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests import clock_skew
from tests.booking.test_scheduling import at_local, csrf

SKEW = timedelta(hours=1)


@pytest.fixture
def skew_app_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[timedelta], None]:
    return lambda by: clock_skew.skew_app_clock(monkeypatch, by)


def _hold(client: TestClient, shop: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/holds", json={"item_id": shop["items"]["Leak repair"],
                                                  "starts_at": at_local(7, 15).isoformat()}, headers=csrf(client))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_an_app_clock_running_behind_cannot_book_an_expired_hold(
    shop: dict[str, Any], login_as: Callable[..., TestClient], set_clock: Callable[..., datetime],
    skew_app_clock: Callable[[timedelta], None],
) -> None:
    owner = login_as(shop, "OWNER")
    held = _hold(owner, shop)
    set_clock(shop, advance=16 * 60)  # the hold expired a minute ago
    skew_app_clock(-SKEW)  # ...but the app server's clock is an hour behind
    assert owner.get(f"/api/v1/holds/{held['id']}").json()["live"] is False
    response = owner.post("/api/v1/bookings", json={"hold_id": held["id"]}, headers=csrf(owner))
    assert response.status_code == 410 and response.json()["code"] == "hold_expired", response.text


def test_an_app_clock_running_ahead_cannot_extend_a_hold(
    shop: dict[str, Any], login_as: Callable[..., TestClient], set_clock: Callable[..., datetime],
    skew_app_clock: Callable[[timedelta], None],
) -> None:
    owner = login_as(shop, "OWNER")
    skew_app_clock(SKEW)  # the hold is placed while the app server's clock is an hour ahead
    held = _hold(owner, shop)
    skew_app_clock(timedelta(0))
    set_clock(shop, advance=16 * 60)
    assert owner.get(f"/api/v1/holds/{held['id']}").json()["live"] is False
    response = owner.post("/api/v1/bookings", json={"hold_id": held["id"]}, headers=csrf(owner))
    assert response.status_code == 410 and response.json()["code"] == "hold_expired", response.text


def test_a_skewed_app_clock_still_books_a_live_hold(
    shop: dict[str, Any], login_as: Callable[..., TestClient], set_clock: Callable[..., datetime],
    skew_app_clock: Callable[[timedelta], None],
) -> None:
    """The other side of the two above: skew neither shortens a hold nor fails a booking within its 15 minutes."""
    owner = login_as(shop, "OWNER")
    held = _hold(owner, shop)
    set_clock(shop, advance=14 * 60)
    skew_app_clock(SKEW)
    response = owner.post("/api/v1/bookings", json={"hold_id": held["id"]}, headers=csrf(owner))
    assert response.status_code == 201, response.text
