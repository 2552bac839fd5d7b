"""Hostile input on the catalog, scheduling and booking JSON APIs: always a 4xx JSON error or a success,
never a 5xx (schemathesis-style, with hypothesis strategies aimed at what breaks databases and dates)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

nasty_text = st.one_of(
    st.text(max_size=40), st.just("\x00"), st.just("a\x00b"), st.just(" " * 5), st.just("💧" * 30),
    st.just("'; DROP TABLE appointments; --"), st.text(alphabet="0123456789abcdef", min_size=32, max_size=32),
)
nasty_int = st.one_of(st.integers(-(2**70), 2**70), st.sampled_from([0, 1, 15, 60, 480, 10_000_000, 2**31, -1]))
nasty_date = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()), st.just("2030-01-08T15:00:00Z"),
    st.just("0001-01-01T00:00:00+14:00"), st.just("9999-12-31T23:59:59-14:00"), nasty_text,
)
anything = st.one_of(nasty_text, nasty_int, st.none(), st.booleans(), st.lists(nasty_text, max_size=3))

REQUESTS = st.one_of(
    st.tuples(st.just("POST"), st.just("/api/v1/catalog/items"), st.fixed_dictionaries(
        {"name": nasty_text, "price_cents": nasty_int, "duration_minutes": nasty_int},
        optional={"aliases": st.lists(nasty_text, max_size=25), "priority": nasty_int, "active": anything})),
    st.tuples(st.just("POST"), st.just("/api/v1/catalog/match"), st.fixed_dictionaries({"text": nasty_text})),
    st.tuples(st.just("POST"), st.just("/api/v1/catalog/quote"), st.fixed_dictionaries(
        {}, optional={"item_id": nasty_text, "text": nasty_text})),
    st.tuples(st.just("POST"), st.just("/api/v1/holds"), st.fixed_dictionaries(
        {"item_id": nasty_text, "starts_at": nasty_date}, optional={"customer_phone": nasty_text})),
    st.tuples(st.just("POST"), st.just("/api/v1/bookings"), st.fixed_dictionaries(
        {"hold_id": nasty_text}, optional={"customer_phone": nasty_text, "customer_name": nasty_text})),
    st.tuples(st.just("POST"), st.just("/api/v1/booking-links"), st.fixed_dictionaries(
        {}, optional={"item_id": nasty_text, "text": nasty_text, "customer_phone": nasty_text})),
    st.tuples(st.just("GET"), st.just("/api/v1/offers"), st.fixed_dictionaries(
        {}, optional={"item_id": nasty_text, "duration_minutes": nasty_int, "count": nasty_int})),
    st.tuples(st.just("GET"), st.just("/api/v1/availability"), st.fixed_dictionaries(
        {}, optional={"date": nasty_date, "duration_minutes": nasty_int})),
    st.tuples(st.just("GET"), st.just("/api/v1/appointments"), st.fixed_dictionaries(
        {}, optional={"from": nasty_date, "to": nasty_date, "limit": nasty_int})),
    st.tuples(st.sampled_from(["GET", "PATCH", "DELETE"]), st.just("/api/v1/catalog/items/{id}"),
              st.fixed_dictionaries({}, optional={"price_cents": nasty_int, "name": nasty_text})),
    st.tuples(st.sampled_from(["GET", "DELETE"]), st.just("/api/v1/holds/{id}"), st.just({})),
    st.tuples(st.just("GET"), st.just("/api/v1/appointments/{id}"), st.just({})),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request=REQUESTS, path_id=nasty_text)
def test_no_input_makes_a_5xx(shop: dict[str, Any], login_as: Callable[..., TestClient],
                              request: tuple[str, str, dict[str, Any]], path_id: str) -> None:
    owner = login_as(shop, "OWNER")
    method, path, body = request
    url = path.replace("{id}", quote(path_id, safe="") or "x")
    headers = {"X-CSRF-Token": owner.cookies["nmc_csrf"]}
    if method == "GET":
        response = owner.get(url, params={k: str(v) for k, v in body.items()}, headers=headers)
    else:
        response = owner.request(method, url, json=body, headers=headers)
    assert response.status_code < 500, (method, url, body, response.text)
    if response.status_code >= 400:
        assert {"detail", "code"} <= set(response.json())
