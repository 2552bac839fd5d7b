"""TenantSeeder against a real app: create, sessions that work, delete, refusals, the ledger."""

from __future__ import annotations

import httpx
import pytest

from seed.handle import TenantHandle
from seed.ledger import fold, read_events
from seed.numbers import NumberPlan
from seed.operator import OperatorApiUnavailable, OperatorClient
from seed.seeder import SEEDED_BY, NotCreatedBySeeder
from stack.description import Stack


def test_create_returns_a_usable_handle(make_seeder, live_stack: Stack, run_identity) -> None:  # type: ignore[no-untyped-def]
    seeder = make_seeder()
    tenant = seeder.create(compliance="approved", techs=2, catalog=["Drain cleaning", "Leak repair"])
    assert tenant.base_url == live_stack.base_url
    assert tenant.phone_number.startswith("+1") and tenant.phone_number[5:10] == "55501"
    assert tenant.owner.role == "OWNER" and [t.role for t in tenant.techs] == ["TECH", "TECH"]
    assert [i.name for i in tenant.catalog] == ["Drain cleaning", "Leak repair"]
    assert tenant.labels["run_id"] == run_identity.run_id and tenant.labels["worker"] == run_identity.worker
    assert tenant.labels["seeded_by"] == SEEDED_BY and tenant.labels["seed_key"] == tenant.seed_key
    assert tenant.expires_at is not None
    # The bearer token of the minted session is the owner's...
    me = httpx.get(f"{live_stack.base_url}/api/v1/me", headers={"Authorization": f"Bearer {tenant.owner.session.token}"})
    assert me.json()["tenant_id"] == tenant.id and me.json()["role"] == "OWNER"
    # ...and so is the cookie of the storage state a browser context starts with.
    cookie = tenant.owner_storage_state["cookies"][0]
    assert cookie["domain"] == "127.0.0.1" and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    inbox = httpx.get(f"{live_stack.base_url}/inbox", cookies={cookie["name"]: cookie["value"]})
    assert inbox.status_code == 200 and tenant.owner.name in inbox.text
    tech_state = tenant.storage_state_for(tenant.techs[1])
    assert tech_state["cookies"][0]["value"] == tenant.techs[1].session.cookie_value


def test_password_of_the_handle_signs_in(make_seeder, live_stack: Stack) -> None:  # type: ignore[no-untyped-def]
    tenant = make_seeder().create(techs=0)
    token = httpx.post(f"{live_stack.base_url}/api/v1/auth/token",
                       json={"email": tenant.owner.email, "password": tenant.owner.password})
    assert token.status_code == 200
    with pytest.raises(LookupError, match="no TECH user"):
        _ = tenant.tech


def test_delete_removes_the_tenant_and_records_it(make_seeder, live_operator: OperatorClient) -> None:  # type: ignore[no-untyped-def]
    seeder = make_seeder()
    tenant = seeder.create()
    seeder.delete(tenant)
    seeder.delete(tenant)  # twice is fine
    assert tenant.id not in {t["id"] for t in live_operator.list_tenants()}
    states = {t.key: t.state for t in fold(read_events(seeder.ledger.path))}
    assert states[tenant.seed_key] == "deleted"


def test_ledger_entry_is_written_before_the_tenant_exists(make_seeder, live_operator: OperatorClient,  # type: ignore[no-untyped-def]
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    seeder = make_seeder()
    seen_before_create: list[str] = []
    original = live_operator.create_tenant

    def spy(body):  # type: ignore[no-untyped-def]
        key = body["labels"]["seed_key"]
        seen_before_create.extend(e["event"] for e in read_events(seeder.ledger.path) if e["key"] == key)
        return original(body)

    monkeypatch.setattr(live_operator, "create_tenant", spy)
    seeder.create()
    assert seen_before_create == ["creating"]


def test_never_deletes_a_tenant_it_did_not_create(make_seeder, live_operator: OperatorClient) -> None:  # type: ignore[no-untyped-def]
    mine, someone_elses_seeder = make_seeder(), make_seeder()
    other: TenantHandle = someone_elses_seeder.create()
    with pytest.raises(NotCreatedBySeeder):
        mine.delete(other)
    with pytest.raises(NotCreatedBySeeder):
        mine.delete(other.id)
    assert other.id in {t["id"] for t in live_operator.list_tenants()}


def test_a_taken_number_is_retried_with_the_next_one(make_seeder, run_identity) -> None:  # type: ignore[no-untyped-def]
    key = f"{run_identity.run_id}/collide"
    first = make_seeder(numbers=NumberPlan(key)).create(techs=0)
    second = make_seeder(numbers=NumberPlan(key)).create(techs=0)  # same plan: its first number is taken
    assert second.phone_number != first.phone_number
    events = [e for e in read_events(make_seeder().ledger.path) if e.get("code") == "phone_number_taken"]
    assert len(events) == 1 and events[0]["event"] == "create_failed"


def test_teardown_deletes_every_tenant_even_after_a_failed_delete(make_seeder, live_operator: OperatorClient) -> None:  # type: ignore[no-untyped-def]
    seeder = make_seeder()
    a, b = seeder.create(techs=0), seeder.create(techs=0)
    seeder.created.insert(0, a)  # a duplicate handle: its second delete is a no-op, not an error
    seeder.delete_all()
    remaining = {t["id"] for t in live_operator.list_tenants()}
    assert a.id not in remaining and b.id not in remaining


def test_refuses_a_target_without_operator_api() -> None:
    no_api = OperatorClient("http://app.test", "t", transport=httpx.MockTransport(
        lambda request: httpx.Response(404, json={"detail": "Not Found", "code": "not_found"})))
    with pytest.raises(OperatorApiUnavailable, match="has no operator API"):
        no_api.probe()


def test_refuses_a_wrong_operator_token(live_stack: Stack) -> None:
    with OperatorClient(live_stack.base_url, "not-the-token") as wrong, \
            pytest.raises(OperatorApiUnavailable, match="refused the operator token"):
        wrong.probe()


def test_refuses_an_unreachable_target() -> None:
    with OperatorClient("http://127.0.0.1:9", "t", timeout=2) as nowhere, \
            pytest.raises(OperatorApiUnavailable, match="cannot reach"):
        nowhere.probe()


def test_tenant_clock_and_user_activation_pass_through(make_seeder, live_stack: Stack) -> None:  # type: ignore[no-untyped-def]
    seeder = make_seeder()
    tenant = seeder.create()
    before = seeder.set_clock(tenant, advance_seconds=0)
    after = seeder.set_clock(tenant, advance_seconds=3600)
    assert 3590 < (after - before).total_seconds() < 3700
    seeder.set_active(tenant, tenant.tech, False)
    me = httpx.get(f"{live_stack.base_url}/api/v1/me", headers={"Authorization": f"Bearer {tenant.tech.session.token}"})
    assert me.status_code == 403


def test_a_clock_offset_starts_each_tenant_ahead_of_the_app(make_seeder, live_operator: OperatorClient) -> None:  # type: ignore[no-untyped-def]
    plain = make_seeder().create(techs=0)
    ahead = make_seeder(clock_offset_seconds=40 * 86400).create(techs=0)
    assert live_operator.set_clock(plain.id, advance_seconds=0)["offset_seconds"] == 0
    assert live_operator.set_clock(ahead.id, advance_seconds=0)["offset_seconds"] == 40 * 86400


def test_idle_within_asks_about_every_live_tenant_and_waits_when_it_cannot_tell(make_seeder) -> None:  # type: ignore[no-untyped-def]
    seeder = make_seeder()
    first, second = seeder.create(techs=0), seeder.create(techs=0)
    pending: dict[str, dict[str, object]] = {}

    def answer(request: httpx.Request) -> httpx.Response:
        tenant_id = request.url.path.split("/")[-2]
        if tenant_id not in pending:
            return httpx.Response(404, json={"code": "not_found", "message": "no such tenant"})
        return httpx.Response(200, json={"tenant_id": tenant_id, **pending[tenant_id]})

    real = seeder.operator
    seeder.operator = OperatorClient("http://app.test", "t", transport=httpx.MockTransport(answer))
    try:
        pending[first.id] = {"pending": 0, "next_due_in_seconds": None}
        pending[second.id] = {"pending": 1, "next_due_in_seconds": 0.2}
        assert seeder.idle_within(1.5) is False  # the second tenant's retry is due within the window
        pending[second.id] = {"pending": 1, "next_due_in_seconds": 600}
        assert seeder.idle_within(1.5) is True  # due only after the window: nothing to wait for
        del pending[first.id]
        assert seeder.idle_within(1.5) is False  # cannot tell: the caller watches the whole window
        seeder._deleted.add(first.id)
        assert seeder.idle_within(1.5) is True  # a tenant deleted during the test is not asked about
    finally:
        seeder.operator.close()
        seeder.operator = real
