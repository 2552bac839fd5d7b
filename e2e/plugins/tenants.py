"""Per-test data and the browsers that use it: seeder, tenant, owner/tech/customer pages, app_api,
plus the two timing helpers, settle and wait_until.

Options for ``tenant`` come from ``@pytest.mark.tenant(...)`` (keyword arguments of
:class:`seed.factories.TenantOptions`), overridden by an indirect parameter::

    @pytest.mark.tenant(compliance="pending", techs=0)
    def test_x(tenant): ...

    @pytest.mark.parametrize("tenant", [{"compliance": "none"}, {"compliance": "approved"}], indirect=True)
    def test_y(tenant): ...
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, TypeVar

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page
from pytest_playwright.pytest_playwright import CreateContextCallback

from e2e.plugins import traces
from e2e.plugins.common import profile_of, run_of
from seed import http
from seed.factories import TenantFactory, TenantOptions
from seed.handle import TenantHandle
from seed.ledger import RunLedger, ledger_dir
from seed.numbers import NumberPlan
from seed.operator import OperatorApiUnavailable, OperatorClient
from seed.run import RunIdentity
from seed.seeder import TenantSeeder
from seed.sweeper import find_leaks
from stack.description import Stack
from stack.waiting import Settle, wait_until

T = TypeVar("T")

SEEDER_KEY = pytest.StashKey[TenantSeeder]()
LEAKS_KEY = pytest.StashKey[list[dict[str, Any]]]()

#: A phone-sized viewport for the customer's browser (an iPhone 12-15 class screen).
PHONE_CONTEXT: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3,
                                 "is_mobile": True, "has_touch": True}

#: Every seeded tenant's clock starts this far ahead of the app's own (40 days, 7 h 13 min: not whole days, so
#: dates and times of day both differ). With the two clocks equal, the app stamping or comparing a time with
#: its own clock where the tenant's belongs (an offer's expiry, a takeover's time, a conversation's last
#: activity) would look right in every flow; ahead, a time stamped with the wrong clock is 40 days in the
#: tenant's past, so links are born expired and conversations idle. Tests that set the clock are unaffected.
TENANT_CLOCK_AHEAD = timedelta(days=40, hours=7, minutes=13)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "tenant(**options): options of the test's `tenant` (seed.factories.TenantOptions)")


@dataclass
class SeedingSession:
    """What every seeder of this process shares: one operator client, the ledger, the number plans."""

    operator: OperatorClient
    run: RunIdentity
    ledger: RunLedger
    tenant_numbers: NumberPlan
    customer_numbers: NumberPlan
    unique_prefix: str


@pytest.fixture(scope="session")
def _seeding(stack: Stack, pytestconfig: pytest.Config) -> Iterator[SeedingSession]:
    operator = OperatorClient(stack.base_url, stack.operator_token)
    try:
        operator.probe()
    except OperatorApiUnavailable as exc:
        pytest.exit(str(exc), returncode=3)
    run = run_of(pytestconfig)
    ledger = RunLedger(ledger_dir(), run)
    worker_digit = "".join(ch for ch in run.worker if ch.isdigit()) or "m"
    session = SeedingSession(
        operator=operator, run=run, ledger=ledger,
        tenant_numbers=NumberPlan(f"{run.run_id}/{run.worker}/tenant"),
        customer_numbers=NumberPlan(f"{run.run_id}/{run.worker}/customer"),
        unique_prefix=f"{run.run_id[-6:]}w{worker_digit}n",
    )
    yield session
    # Every test's teardown has run: whatever this worker seeded and is still there has leaked.
    try:
        leaks = find_leaks(operator, run)
    finally:
        operator.close()
    if leaks:
        record = [{"id": t["id"], "name": t["name"], "labels": t.get("labels", {})} for t in leaks]
        if hasattr(pytestconfig, "workeroutput"):
            pytestconfig.workeroutput["e2e_leaks"] = record
        pytestconfig.stash[LEAKS_KEY] = record
    ledger.close_if_settled()


@pytest.fixture
def seeder(request: pytest.FixtureRequest, stack: Stack, _seeding: SeedingSession) -> Iterator[TenantSeeder]:
    """Creates tenants for this test (Faker seeded from its node id) and deletes them all afterwards."""
    # Seeded from the node id, so a rerun sees the same data; pytest-repeat's "-<n>-<count>" (make flake-check)
    # is left out, so every repetition sees it too (the page snapshots depend on it).
    seed_name = re.sub(r"(\[|-)\d+-\d+\]$", lambda m: "]" if m.group(1) == "-" else "", request.node.nodeid)
    factory = TenantFactory(seed_name, numbers=_seeding.tenant_numbers, unique_prefix=_seeding.unique_prefix)
    tenant_seeder = TenantSeeder(_seeding.operator, factory=factory, run=_seeding.run, ledger=_seeding.ledger,
                                 target_id=stack.target_id, disposable_target=stack.disposable,
                                 test_name=request.node.nodeid,
                                 clock_offset_seconds=TENANT_CLOCK_AHEAD.total_seconds())
    request.node.stash[SEEDER_KEY] = tenant_seeder
    yield tenant_seeder
    tenant_seeder.delete_all()


def tenant_options(request: pytest.FixtureRequest) -> TenantOptions:
    """The marker's options, overridden by an indirect parameter's."""
    values: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("tenant"))):  # closest marker wins
        if marker.args:
            raise pytest.UsageError("@pytest.mark.tenant takes keyword arguments only, e.g. tenant(compliance='pending')")
        values.update(marker.kwargs)
    param = getattr(request, "param", None)
    if param is not None:
        if not isinstance(param, dict):
            raise pytest.UsageError(f"an indirect `tenant` parameter must be a dict of options, got {param!r}")
        values.update(param)
    try:
        return TenantOptions.from_kwargs(**values)
    except (TypeError, ValueError) as exc:
        raise pytest.UsageError(f"{request.node.nodeid}: bad tenant options: {exc}") from exc


@pytest.fixture
def tenant(request: pytest.FixtureRequest, seeder: TenantSeeder) -> TenantHandle:
    """A fresh ephemeral tenant: owner (+1 tech by default), a fictional number, a catalog, business hours."""
    return seeder.create(tenant_options(request))


@pytest.fixture
def customer_phone(_seeding: SeedingSession) -> str:
    """A fictional caller's number, unique in this run (for missed calls and inbound SMS)."""
    return _seeding.customer_numbers.next()


@pytest.fixture
def new_customer_phone(_seeding: SeedingSession) -> Callable[[], str]:
    """``new_customer_phone()`` -> another fictional caller's number, for flows with several customers."""
    return _seeding.customer_numbers.next


@pytest.fixture
def owner_context(new_context: CreateContextCallback, tenant: TenantHandle) -> BrowserContext:
    context = new_context(storage_state=tenant.owner_storage_state)  # type: ignore[arg-type]
    traces.name(context, "owner")
    return context


@pytest.fixture
def owner_page(owner_context: BrowserContext) -> Page:
    """A page signed in as the tenant's OWNER (minted session cookie; no login form)."""
    return owner_context.new_page()


@pytest.fixture
def tech_context(new_context: CreateContextCallback, tenant: TenantHandle) -> BrowserContext:
    context = new_context(storage_state=tenant.storage_state_for(tenant.tech))  # type: ignore[arg-type]
    traces.name(context, "technician")
    return context


@pytest.fixture
def tech_page(tech_context: BrowserContext) -> Page:
    """A page signed in as the tenant's first TECH (the tenant needs techs >= 1, the default)."""
    return tech_context.new_page()


@pytest.fixture
def customer_context(new_context: CreateContextCallback) -> BrowserContext:
    """A second browser, phone-sized and signed out: the customer who got the SMS."""
    context = new_context(**PHONE_CONTEXT)
    traces.name(context, "customer")
    return context


@pytest.fixture
def customer_page(customer_context: BrowserContext) -> Page:
    return customer_context.new_page()


@pytest.fixture
def app_api(stack: Stack, tenant: TenantHandle) -> Iterator[httpx.Client]:
    """httpx client of the app's JSON API, authenticated as the owner (bearer token of the minted session)."""
    with http.client(base_url=stack.base_url, timeout=30,
                     headers={"Authorization": f"Bearer {tenant.owner.session.token}"}) as client:
        yield client


@pytest.fixture
def settle(pytestconfig: pytest.Config, seeder: TenantSeeder) -> Settle:
    """The one helper for "nothing happened" (see stack.waiting.Settle); window from the profile. It ends
    early once the app has nothing due for this test's tenants before the window would end."""
    return Settle(profile_of(pytestconfig).settle_window_ms / 1000, idle=seeder.idle_within)


class WaitUntil(Protocol):
    def __call__(self, predicate: Callable[[], T], timeout: float | None = None, message: str = "condition") -> T: ...


@pytest.fixture(name="wait_until")
def wait_until_fixture(pytestconfig: pytest.Config) -> WaitUntil:
    """``wait_until(predicate, timeout=None, message=...)``: polls until truthy; default deadline from the profile."""
    default = profile_of(pytestconfig).wait_timeout_ms / 1000

    def wait(predicate: Callable[[], T], timeout: float | None = None, message: str = "condition") -> T:
        return wait_until(predicate, default if timeout is None else timeout, message)

    return wait
