"""F9 (issue 23): the operator clock stays within a sane range. A clock at 9999-12-31 or year 1 used to be
accepted, and afterwards the tenant's GET /api/v1/offers answered 500 (OverflowError)."""

from __future__ import annotations

import pytest

from tests.security.conftest import RouteWorld

pytestmark = pytest.mark.security


@pytest.mark.parametrize("body", [
    {"now": "9999-12-31T23:59:59Z"},
    {"now": "0001-01-01T00:00:00Z"},
    {"now": "2100-01-01T00:00:00Z"},
    {"advance_seconds": 10 * 365 * 86400},  # ten years at a time, repeated (below)
])
def test_an_out_of_range_clock_is_a_422_and_the_tenant_keeps_working(world: RouteWorld, body: dict[str, object]) -> None:
    clock = f"/api/operator/tenants/{world.tenant['id']}/clock"
    statuses = [world.operator.put(clock, json=body).status_code for _ in range(10)]
    assert statuses[-1] == 422, statuses
    refused = world.operator.put(clock, json=body)
    assert refused.json()["code"] == "clock_out_of_range", refused.text
    owner = world.visitors["OWNER"]
    offers = owner.client.get("/api/v1/offers", params={"duration_minutes": 60},
                              headers={"Authorization": f"Bearer {owner.session}"})
    assert offers.status_code == 200, offers.text


def test_a_clock_in_range_is_accepted(world: RouteWorld) -> None:
    clock = f"/api/operator/tenants/{world.tenant['id']}/clock"
    assert world.operator.put(clock, json={"now": "2099-12-31T09:00:00Z"}).status_code == 200
    assert world.operator.put(clock, json={"now": "2000-01-03T09:00:00Z"}).status_code == 200
