"""The operator API: what the seeder relies on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.calendars.models import CalendarConnection
from app.db import Database, utcnow
from app.identity.models import User
from app.outbox import service as outbox_service
from app.providers import MemoryTelephony
from app.tenancy.models import PhoneNumber, Tenant
from tests.conftest import OPERATOR_TOKEN, make_settings, tenant_spec


def test_create_returns_ids_number_and_users(operator: TestClient, telephony: MemoryTelephony) -> None:
    spec = tenant_spec(phone_number="+15550100001", labels={"run_id": "r1", "worker": "gw0"}, ttl_seconds=600)
    response = operator.post("/api/operator/tenants", json=spec)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == spec["name"]
    assert body["phone_number"] == "+15550100001"
    assert body["ephemeral"] is True
    assert body["labels"] == {"run_id": "r1", "worker": "gw0"}
    assert body["expires_at"] is not None
    assert sorted(u["role"] for u in body["users"]) == ["OWNER", "TECH"]
    # the number was provisioned at the provider with the app's webhook URLs
    assert [n.e164 for n in telephony.numbers.values()] == ["+15550100001"]


def test_missing_or_wrong_token_is_401(app: Any) -> None:
    with TestClient(app) as anonymous:
        assert anonymous.get("/api/operator/tenants").status_code == 401
        wrong = anonymous.get("/api/operator/tenants", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert wrong.json()["code"] == "operator_unauthorized"
        almost = anonymous.get("/api/operator/tenants", headers={"Authorization": f"Bearer {OPERATOR_TOKEN[:-1]}x"})
        assert almost.status_code == 401


def test_operator_api_absent_without_token(database_url: str, database: Database) -> None:
    from app.main import create_app

    app = create_app(make_settings(database_url, operator_token=""), database=database,
                     telephony=MemoryTelephony(), start_worker=False)
    with TestClient(app) as client:
        response = client.post("/api/operator/tenants", json=tenant_spec(),
                               headers={"Authorization": "Bearer anything"})
        assert response.status_code == 404


def test_delete_removes_every_row_and_releases_the_number(
    operator: TestClient, database: Database, telephony: MemoryTelephony
) -> None:
    created = operator.post("/api/operator/tenants", json=tenant_spec()).json()
    keep = operator.post("/api/operator/tenants", json=tenant_spec()).json()
    with database.session() as db:
        outbox_service.emit(db=db, event_type="Probe", payload={}, tenant_id=created["id"])
        db.commit()
    assert operator.delete(f"/api/operator/tenants/{created['id']}").status_code == 204
    with database.session() as db:
        assert db.get(Tenant, created["id"]) is None
        assert db.scalar(select(func.count()).select_from(User).where(User.tenant_id == created["id"])) == 0
        assert db.scalar(select(func.count()).select_from(PhoneNumber).where(PhoneNumber.tenant_id == created["id"])) == 0
        assert outbox_service.events_for_tenant(db=db, tenant_id=created["id"]) == []
        assert db.get(Tenant, keep["id"]) is not None  # the other tenant is untouched
    assert len(telephony.released) == 1
    assert operator.delete(f"/api/operator/tenants/{created['id']}").status_code == 404


def test_non_ephemeral_tenant_is_never_deleted(operator: TestClient) -> None:
    real = operator.post("/api/operator/tenants", json=tenant_spec(ephemeral=False)).json()
    response = operator.delete(f"/api/operator/tenants/{real['id']}")
    assert response.status_code == 409
    assert response.json()["code"] == "not_ephemeral"
    assert operator.get(f"/api/operator/tenants/{real['id']}").status_code == 200


def test_list_filters_by_label_ephemeral_and_expiry(operator: TestClient, database: Database) -> None:
    a = operator.post("/api/operator/tenants", json=tenant_spec(labels={"run_id": "A"})).json()
    b = operator.post("/api/operator/tenants", json=tenant_spec(labels={"run_id": "B"})).json()
    operator.post("/api/operator/tenants", json=tenant_spec(labels={"run_id": "A"}, ephemeral=False))
    by_label = operator.get("/api/operator/tenants", params={"label": "run_id:A", "ephemeral": "true"}).json()
    assert [t["id"] for t in by_label["tenants"]] == [a["id"]]
    with database.session() as db:  # expiry is wall-clock time, so put b's in the past
        db.get(Tenant, b["id"]).expires_at = utcnow() - timedelta(seconds=1)  # type: ignore[union-attr]
        db.commit()
    expired = operator.get("/api/operator/tenants", params={"expired": "true"}).json()["tenants"]
    assert [t["id"] for t in expired] == [b["id"]]
    bad = operator.get("/api/operator/tenants", params={"label": "no-colon"})
    assert bad.status_code == 422


def test_duplicate_number_is_409_and_nothing_is_kept(operator: TestClient, telephony: MemoryTelephony) -> None:
    operator.post("/api/operator/tenants", json=tenant_spec(phone_number="+15550100777"))
    before = operator.get("/api/operator/tenants").json()["tenants"]
    second = operator.post("/api/operator/tenants", json=tenant_spec(phone_number="+15550100777"))
    assert second.status_code == 409
    assert second.json()["code"] == "phone_number_taken"
    assert len(operator.get("/api/operator/tenants").json()["tenants"]) == len(before)
    assert len(telephony.numbers) == 1


def test_duplicate_email_is_409_and_nothing_is_kept(operator: TestClient) -> None:
    first = tenant_spec()
    operator.post("/api/operator/tenants", json=first)
    count = len(operator.get("/api/operator/tenants").json()["tenants"])
    second = operator.post("/api/operator/tenants", json=tenant_spec(owner=first["owner"]))
    assert second.status_code == 409
    assert len(operator.get("/api/operator/tenants").json()["tenants"]) == count


def test_an_email_twice_in_one_request_is_409_and_nothing_is_kept(operator: TestClient) -> None:
    spec = tenant_spec()
    count = len(operator.get("/api/operator/tenants").json()["tenants"])
    same = {**spec["techs"][0], "email": spec["owner"]["email"].upper()}  # emails compare case-insensitively
    response = operator.post("/api/operator/tenants", json={**spec, "techs": [same]})
    assert response.status_code == 409 and response.json()["code"] == "email_taken"
    assert len(operator.get("/api/operator/tenants").json()["tenants"]) == count


def test_create_answers_what_a_later_read_returns(operator: TestClient) -> None:
    """The create response is built before the commit, from the flushed rows: it must match the stored tenant."""
    spec = tenant_spec(techs=[{"email": f"t{i}-{tenant_spec()['owner']['email']}", "password": "correct horse",
                               "name": f" Tech {i} "} for i in range(3)], ttl_seconds=900)
    created = operator.post("/api/operator/tenants", json=spec).json()
    stored = operator.get(f"/api/operator/tenants/{created['id']}").json()
    assert {k: v for k, v in created.items() if k != "extra"} == {k: v for k, v in stored.items() if k != "extra"}
    assert sorted(u["name"] for u in created["users"]) == [spec["owner"]["name"], "Tech 0", "Tech 1", "Tech 2"]


def test_mint_session_logs_the_user_in(operator: TestClient, app: Any) -> None:
    tenant = operator.post("/api/operator/tenants", json=tenant_spec()).json()
    minted = operator.post(f"/api/operator/tenants/{tenant['id']}/sessions", json={"user": tenant["users"][0]["email"]})
    assert minted.status_code == 201
    with TestClient(app) as browser:
        browser.cookies.set(minted.json()["cookie_name"], minted.json()["cookie_value"])
        me = browser.get("/api/v1/me")
        assert me.status_code == 200
        assert me.json()["tenant_id"] == tenant["id"]


def test_mint_session_with_a_ttl_lives_that_long(operator: TestClient, app: Any) -> None:
    tenant = operator.post("/api/operator/tenants", json=tenant_spec()).json()
    url, user = f"/api/operator/tenants/{tenant['id']}/sessions", tenant["users"][0]["email"]
    for bad in (-1, 30 * 86400 + 1, "soon"):
        refused = operator.post(url, json={"user": user, "ttl_seconds": bad})
        assert refused.status_code == 422 and "ttl_seconds" in refused.text, refused.text
    sessions = {ttl: operator.post(url, json={"user": user, "ttl_seconds": ttl}).json() for ttl in (0, 60)}
    with TestClient(app) as client:
        ended = client.get("/api/v1/me", headers={"Authorization": f"Bearer {sessions[0]['token']}"})
        alive = client.get("/api/v1/me", headers={"Authorization": f"Bearer {sessions[60]['token']}"})
    assert (ended.status_code, ended.json()["code"]) == (401, "token_expired"), ended.text
    assert alive.status_code == 200, alive.text
    lives = datetime.fromisoformat(sessions[60]["expires_at"]) - datetime.fromisoformat(sessions[0]["expires_at"])
    assert 59 <= lives.total_seconds() <= 61


def test_create_with_sessions_returns_one_per_user_that_logs_in(operator: TestClient, app: Any) -> None:
    plain = operator.post("/api/operator/tenants", json=tenant_spec()).json()
    assert all(u["session"] is None for u in plain["users"]), "sessions only when asked for"
    tenant = operator.post("/api/operator/tenants", json=tenant_spec(sessions=True)).json()
    for user in tenant["users"]:
        session = user["session"]
        assert session["user_id"] == user["id"] and session["token"] == session["cookie_value"]
        with TestClient(app) as browser:
            browser.cookies.set(session["cookie_name"], session["cookie_value"])
            me = browser.get("/api/v1/me")
            assert me.status_code == 200, me.text
            assert (me.json()["tenant_id"], me.json()["role"]) == (tenant["id"], user["role"])


def test_catalog_comes_in_one_batch_and_a_duplicate_name_keeps_nothing(operator: TestClient) -> None:
    items = [{"name": "Drain cleaning", "price_cents": 15000, "duration_minutes": 60},
             {"name": "Water heater install", "price_cents": 120000, "duration_minutes": 180, "aliases": ["boiler"]}]
    created = operator.post("/api/operator/tenants", json=tenant_spec(catalog=items))
    assert created.status_code == 201, created.text
    assert [i["name"] for i in created.json()["extra"]["catalog_items"]] == ["Drain cleaning", "Water heater install"]
    count = len(operator.get("/api/operator/tenants").json()["tenants"])
    twice = [*items, {"name": "  drain CLEANING ", "price_cents": 100, "duration_minutes": 30}]
    refused = operator.post("/api/operator/tenants", json=tenant_spec(catalog=twice))
    assert refused.status_code == 409 and refused.json()["code"] == "duplicate_name"
    bad = operator.post("/api/operator/tenants", json=tenant_spec(catalog=[{**items[0], "price_cents": -1}]))
    assert bad.status_code == 422
    assert len(operator.get("/api/operator/tenants").json()["tenants"]) == count


def test_session_for_another_tenants_user_is_404(operator: TestClient) -> None:
    a = operator.post("/api/operator/tenants", json=tenant_spec()).json()
    b = operator.post("/api/operator/tenants", json=tenant_spec()).json()
    response = operator.post(f"/api/operator/tenants/{a['id']}/sessions", json={"user": b["users"][0]["email"]})
    assert response.status_code == 404


def test_clock_moves_only_that_tenant(operator: TestClient) -> None:
    a = operator.post("/api/operator/tenants", json=tenant_spec()).json()
    b = operator.post("/api/operator/tenants", json=tenant_spec()).json()
    moved = operator.put(f"/api/operator/tenants/{a['id']}/clock", json={"now": "2030-01-07T14:00:00Z"})
    assert moved.status_code == 200
    assert moved.json()["now"].startswith("2030-01-07T14:00")
    advanced = operator.put(f"/api/operator/tenants/{a['id']}/clock", json={"advance_seconds": 900})
    assert advanced.json()["now"].startswith("2030-01-07T14:15")
    assert operator.get(f"/api/operator/tenants/{b['id']}/clock").json()["offset_seconds"] == 0
    both = operator.put(f"/api/operator/tenants/{a['id']}/clock", json={"now": "2030-01-07T14:00:00Z", "advance_seconds": 1})
    assert both.status_code == 422
    naive = operator.put(f"/api/operator/tenants/{a['id']}/clock", json={"now": "2030-01-07T14:00:00"})
    assert naive.status_code == 422


def test_outbox_reports_the_tenants_pending_work_and_when_it_is_due(operator: TestClient, database: Database) -> None:
    a = operator.post("/api/operator/tenants", json=tenant_spec()).json()
    b = operator.post("/api/operator/tenants", json=tenant_spec()).json()
    idle = operator.get(f"/api/operator/tenants/{a['id']}/outbox")
    assert idle.status_code == 200
    assert idle.json() == {"tenant_id": a["id"], "pending": 0, "next_due_in_seconds": None,
                           "calendar_due_in_seconds": None}
    with database.session() as db:
        later = outbox_service.emit(db=db, event_type="Probe", payload={}, tenant_id=a["id"])
        later.available_at = utcnow() + timedelta(seconds=60)
        outbox_service.emit(db=db, event_type="Probe", payload={}, tenant_id=b["id"])
        handled = outbox_service.emit(db=db, event_type="Probe", payload={}, tenant_id=a["id"])
        handled.status = "done"
        db.commit()
    body = operator.get(f"/api/operator/tenants/{a['id']}/outbox").json()
    assert body["pending"] == 1  # b's event and a's handled one are not a's pending work
    assert 55 < body["next_due_in_seconds"] <= 60
    with database.session() as db:
        outbox_service.emit(db=db, event_type="Probe", payload={}, tenant_id=a["id"])
        db.commit()
    body = operator.get(f"/api/operator/tenants/{a['id']}/outbox").json()
    assert body["pending"] == 2 and body["next_due_in_seconds"] <= 0  # the earliest is due now
    assert operator.get("/api/operator/tenants/nope/outbox").status_code == 404


def test_outbox_reports_when_the_calendar_poll_next_has_work_on_the_tenants_clock(operator: TestClient,
                                                                                 database: Database) -> None:
    a = operator.post("/api/operator/tenants", json=tenant_spec()).json()
    operator.put(f"/api/operator/tenants/{a['id']}/clock", json={"now": "2030-01-07T14:00:00Z"})
    tenant_now = datetime(2030, 1, 7, 14, tzinfo=UTC)
    with database.session() as db:
        db.add(CalendarConnection(tenant_id=a["id"], access_token="x", next_poll_at=tenant_now + timedelta(minutes=5),
                                  channel_expires_at=tenant_now + timedelta(days=1, minutes=2)))
        db.commit()
    # The renewal is due a day before the channel expires: in 2 minutes, before the poll's 5.
    assert 110 < operator.get(f"/api/operator/tenants/{a['id']}/outbox").json()["calendar_due_in_seconds"] <= 120
    with database.session() as db:
        connection = db.scalars(select(CalendarConnection).where(CalendarConnection.tenant_id == a["id"])).one()
        connection.failures = 1  # after a failure the renewal waits for the backed-off poll
        db.commit()
    assert 290 < operator.get(f"/api/operator/tenants/{a['id']}/outbox").json()["calendar_due_in_seconds"] <= 300
    with database.session() as db:
        connection = db.scalars(select(CalendarConnection).where(CalendarConnection.tenant_id == a["id"])).one()
        connection.next_poll_at = None  # never synced yet: due now
        db.commit()
    assert operator.get(f"/api/operator/tenants/{a['id']}/outbox").json()["calendar_due_in_seconds"] <= 0


def test_deactivated_user_gets_403_with_a_valid_session(operator: TestClient, app: Any) -> None:
    tenant = operator.post("/api/operator/tenants", json=tenant_spec()).json()
    owner = next(u for u in tenant["users"] if u["role"] == "OWNER")
    cookie = operator.post(f"/api/operator/tenants/{tenant['id']}/sessions", json={"user": owner["id"]}).json()
    patched = operator.patch(f"/api/operator/tenants/{tenant['id']}/users/{owner['id']}", json={"active": False})
    assert patched.status_code == 200 and patched.json()["active"] is False
    with TestClient(app) as browser:
        browser.cookies.set(cookie["cookie_name"], cookie["cookie_value"])
        response = browser.get("/api/v1/me")
        assert response.status_code == 403
        assert response.json()["code"] == "user_inactive"
