"""TenantSeeder: creates ephemeral tenants through the operator API and deletes them again.

Fabricate through the API, exercise through the UI: a test asks for a tenant, gets a typed
:class:`~seed.handle.TenantHandle` with a logged-in browser storage state, and the seeder deletes the
tenant on teardown — also when the test failed. It only ever deletes tenants it created itself.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from seed.factories import CatalogItem, Person, TenantFactory, TenantOptions
from seed.handle import MintedSession, TenantHandle, UserCredentials
from seed.ledger import RunLedger
from seed.operator import OperatorClient, OperatorError
from seed.run import RunIdentity

#: Every seeded tenant carries this label; the sweeper only ever touches tenants that have it.
SEEDED_BY = "nmc-e2e"
#: A 409 for a taken number or email (another worker's or a leftover's) is retried with fresh values.
CREATE_ATTEMPTS = 5
RETRYABLE_CONFLICTS = frozenset({"phone_number_taken", "email_taken"})


class NotCreatedBySeeder(RuntimeError):
    """Refusal to delete a tenant this seeder did not create."""


class SeedingFailed(RuntimeError):
    pass


class TenantSeeder:
    """One per test (``seeder`` fixture); the operator client, ledger and run are shared per process.

    ``clock_offset_seconds`` starts every tenant's clock that far ahead of the app's (see
    ``e2e.plugins.tenants.TENANT_CLOCK_AHEAD``); 0 leaves it on the app's time.
    """

    _keys = itertools.count(1)

    def __init__(
        self,
        operator: OperatorClient,
        *,
        factory: TenantFactory,
        run: RunIdentity,
        ledger: RunLedger | None,
        target_id: str,
        disposable_target: bool,
        test_name: str = "",
        clock_offset_seconds: float = 0.0,
    ) -> None:
        self.operator = operator
        self.factory = factory
        self.run = run
        self.ledger = ledger
        self.target_id = target_id
        self.disposable_target = disposable_target
        self.test_name = test_name
        self.clock_offset_seconds = clock_offset_seconds
        self.created: list[TenantHandle] = []
        self._deleted: set[str] = set()

    @property
    def base_url(self) -> str:
        return self.operator.base_url

    # -- create ------------------------------------------------------------------------------------
    def create(self, options: TenantOptions | None = None, **kwargs: Any) -> TenantHandle:
        """Creates a tenant (options or keyword arguments of :class:`TenantOptions`) and returns its handle."""
        if options is not None and kwargs:
            raise TypeError("pass either a TenantOptions or keyword options, not both")
        options = options or TenantOptions.from_kwargs(**kwargs)
        catalog = self.factory.resolve_catalog(options)
        hours = options.business_hours if options.business_hours is not None else self.factory.business_hours()
        name = options.name or self.factory.business_name()
        last_error: OperatorError | None = None
        for _attempt in range(CREATE_ATTEMPTS):
            owner = self.factory.person("owner")
            techs = [self.factory.person("tech") for _ in range(options.techs)]
            number = options.phone_number or self.factory.phone_number()
            key = f"{self.run.run_id}.{self.run.worker}.{next(self._keys)}"
            body = self._body(options, key=key, name=name, owner=owner, techs=techs, number=number,
                              catalog=catalog, hours=hours)
            self._record("creating", key=key)
            try:
                created = self.operator.create_tenant(body)
            except OperatorError as exc:
                if 400 <= exc.status_code < 500:  # refused: nothing was created
                    self._record("create_failed", key=key, status=exc.status_code, code=exc.code)
                    if exc.code in RETRYABLE_CONFLICTS and options.phone_number is None:
                        last_error = exc
                        continue
                else:
                    self._adopt_half_created(key, name=name, options=options, owner=owner, techs=techs,
                                             catalog=catalog, hours=hours)
                raise SeedingFailed(f"could not create tenant {name!r}: {exc}") from exc
            self._record("created", key=key, tenant_id=created["id"])
            handle = self._handle(created, key=key, name=name, options=options, owner=owner, techs=techs,
                                  catalog=catalog, hours=hours)
            self.created.append(handle)
            if self.clock_offset_seconds:
                self.operator.set_clock(handle.id, advance_seconds=self.clock_offset_seconds)
            return handle
        raise SeedingFailed(f"could not create tenant {name!r} after {CREATE_ATTEMPTS} attempts: {last_error}")

    def adopt(self, created: dict[str, Any]) -> TenantHandle:
        """A tenant the test created through the operator API itself (`created`: the API's answer): from now on
        this seeder's, deleted with the others."""
        key = f"{self.run.run_id}.{self.run.worker}.{next(self._keys)}"
        self._record("created", key=key, tenant_id=created["id"])
        handle = self._bare_handle(created, key=key)
        self.created.append(handle)
        return handle

    def _adopt_half_created(self, key: str, **handle_parts: Any) -> None:
        """After a 5xx the tenant may exist anyway: find it by its labels so teardown deletes it too."""
        try:
            found = self.operator.list_tenants(labels={"seed_key": key, "run_id": self.run.run_id})
        except Exception:
            return  # the ledger's "creating" entry still lets the sweeper find it later
        for created in found:
            self._record("created", key=key, tenant_id=created["id"])
            try:
                self.created.append(self._handle(created, key=key, **handle_parts))
            except Exception:
                self.created.append(self._bare_handle(created, key=key))

    def _bare_handle(self, created: dict[str, Any], *, key: str) -> TenantHandle:
        """Enough of a handle to delete the tenant when building a full one failed."""
        nobody = UserCredentials(user_id="", email="", password="", name="", role="OWNER",
                                 session=MintedSession("", "", "", "", datetime.now(UTC)))
        return TenantHandle(id=created["id"], name=created.get("name", ""), timezone=created.get("timezone", "UTC"),
                            phone_number=created.get("phone_number") or "", base_url=self.base_url, owner=nobody,
                            techs=(), compliance="", compliance_status="", billing_state="", catalog=(),
                            business_hours={}, labels={}, expires_at=None, seed_key=key)

    def _body(self, options: TenantOptions, *, key: str, name: str, owner: Person, techs: list[Person], number: str,
              catalog: list[CatalogItem], hours: dict[str, list[str]]) -> dict[str, Any]:
        labels = {**options.labels, **self.run.labels, "seed_key": key, "seeded_by": SEEDED_BY}
        return {
            "name": name,
            "timezone": options.timezone,
            "owner": {"email": owner.email, "password": owner.password, "name": owner.name},
            "techs": [{"email": t.email, "password": t.password, "name": t.name} for t in techs],
            "phone_number": number,
            "compliance": options.compliance,
            "catalog": [item.to_api() for item in catalog],
            "business_hours": hours,
            "ephemeral": True,
            "ttl_seconds": options.ttl_seconds,
            "labels": labels,
            "sessions": True,  # each user's session comes back with the tenant: no POST .../sessions per user
        }

    def _handle(self, created: dict[str, Any], *, key: str, name: str, options: TenantOptions, owner: Person,
                techs: list[Person], catalog: list[CatalogItem], hours: dict[str, list[str]]) -> TenantHandle:
        # Names are the ones asked for, not the app's echo of them: a test that expects the business's or a
        # person's name on a page then fails when the app stored or shows another.
        users = {u["email"]: u for u in created["users"]}

        def credentials(person: Person) -> UserCredentials:
            user = users[person.email]
            minted = user.get("session")
            session = MintedSession.from_api(minted) if minted else self.operator.mint_session(created["id"], user["id"])
            return UserCredentials(user_id=user["id"], email=person.email, password=person.password,
                                   name=person.name, role=user["role"], session=session)

        expires = created.get("expires_at")
        return TenantHandle(
            id=created["id"], name=name, timezone=created["timezone"],
            phone_number=created["phone_number"], base_url=self.base_url,
            owner=credentials(owner), techs=tuple(credentials(t) for t in techs),
            compliance=options.compliance, compliance_status=created["compliance_status"],
            billing_state=created["billing_state"], catalog=tuple(catalog), business_hours=hours,
            labels=dict(created.get("labels") or {}), seed_key=key,
            expires_at=datetime.fromisoformat(expires) if expires else None,
            extra=dict(created.get("extra") or {}),
        )

    # -- use ---------------------------------------------------------------------------------------
    def set_clock(self, tenant: TenantHandle, *, now: datetime | None = None,
                  advance_seconds: float | None = None) -> datetime:
        """Moves this tenant's clock (holds, offers, auto-close read it); returns the tenant's new now."""
        self._own(tenant.id)
        result = self.operator.set_clock(tenant.id, now=now, advance_seconds=advance_seconds)
        return datetime.fromisoformat(result["now"])

    def set_active(self, tenant: TenantHandle, user: UserCredentials, active: bool) -> None:
        self._own(tenant.id)
        self.operator.set_user_active(tenant.id, user.user_id, active)

    def mint_session(self, tenant: TenantHandle, user: UserCredentials, *, ttl_seconds: int | None = None) -> MintedSession:
        """Another session for the user; `ttl_seconds` sets its life (0: already expired)."""
        self._own(tenant.id)
        return self.operator.mint_session(tenant.id, user.user_id, ttl_seconds=ttl_seconds)

    def fetch(self, tenant: TenantHandle) -> dict[str, Any]:
        """The operator API's current view of the tenant (compliance status, billing state, users...)."""
        return self.operator.get_tenant(tenant.id)

    # -- background work -------------------------------------------------------------------------
    def idle_within(self, horizon_s: float) -> bool:
        """True when no tenant of this seeder has background work (outbox events, calendar polls) due within
        ``horizon_s`` seconds. False when the operator API cannot tell (an older app): the caller then waits it out."""
        for handle in self.created:
            if handle.id in self._deleted:
                continue
            try:
                outbox = self.operator.outbox(handle.id)
            except OperatorError:
                return False
            due_in = outbox["next_due_in_seconds"]
            if outbox["pending"] and (due_in is None or due_in <= horizon_s):
                return False
            calendar_due_in = outbox.get("calendar_due_in_seconds")  # the calendar poll's next sync or renewal
            if calendar_due_in is not None and calendar_due_in <= horizon_s:
                return False
        return True

    # -- delete ------------------------------------------------------------------------------------
    def delete(self, tenant: TenantHandle | str) -> None:
        """Deletes one of this seeder's tenants (a tenant already gone counts as deleted)."""
        tenant_id = tenant if isinstance(tenant, str) else tenant.id
        handle = self._own(tenant_id)
        if tenant_id in self._deleted:
            return
        existed = self.operator.delete_tenant(tenant_id)
        self._deleted.add(tenant_id)
        self._record("deleted" if existed else "gone", key=handle.seed_key, tenant_id=tenant_id)

    def delete_all(self) -> None:
        """Deletes every tenant this seeder created, newest first; tries them all, then reports failures."""
        failures: list[str] = []
        for handle in reversed(self.created):
            try:
                self.delete(handle)
            except Exception as exc:  # keep going: one stuck tenant must not leak the others
                failures.append(f"{handle.id} ({handle.name}): {exc}")
        if failures:
            raise SeedingFailed("could not delete tenant(s); the ledger keeps them for "
                                "`python -m seed sweep`: " + "; ".join(failures))

    def _own(self, tenant_id: str) -> TenantHandle:
        for handle in self.created:
            if handle.id == tenant_id:
                return handle
        raise NotCreatedBySeeder(f"tenant {tenant_id} was not created by this seeder; refusing to touch it")

    def _record(self, event: str, *, key: str, **fields: Any) -> None:
        if self.ledger is not None:
            self.ledger.record(event, key=key, name=self.test_name, base_url=self.base_url,
                               target_id=self.target_id, disposable=self.disposable_target, **fields)
