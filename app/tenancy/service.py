"""Tenant operations. Other modules call these; none of them touch the tenant tables directly."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session, object_session

from app.db import database_now, utcnow
from app.errors import Conflict, NotFound, ValidationFailed
from app.tenancy.models import PhoneNumber, Tenant

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
COMPLIANCE_STATUSES = ("none", "pending", "approved", "rejected")

# Hooks other domains register to clean up outside the database (e.g. release numbers at Twilio).
TenantDeleteHook = Callable[[Session, Tenant], None]
_delete_hooks: list[TenantDeleteHook] = []


def on_tenant_delete(hook: TenantDeleteHook) -> TenantDeleteHook:
    """Registers a hook called before a tenant's rows are deleted."""
    _delete_hooks.append(hook)
    return hook


def validate_e164(number: str) -> str:
    """Returns the number if it is E.164, else raises a 422."""
    if not isinstance(number, str) or not E164.match(number):
        raise ValidationFailed(f"phone number {number!r} is not in E.164 format (e.g. +15550100123)")
    return number


def validate_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(f"unknown time zone {name!r}") from exc
    return name


def create(
    *,
    db: Session,
    name: str,
    timezone: str,
    ephemeral: bool,
    ttl_seconds: int | None,
    labels: dict[str, Any],
    business_hours: dict[str, Any],
    compliance_status: str = "none",
) -> Tenant:
    """Creates a tenant (not committed)."""
    if compliance_status not in COMPLIANCE_STATUSES:
        raise ValidationFailed(f"compliance must be one of {', '.join(COMPLIANCE_STATUSES)}")
    tenant = Tenant(
        name=name,
        timezone=validate_timezone(timezone),
        ephemeral=ephemeral,
        expires_at=utcnow() + timedelta(seconds=ttl_seconds) if ttl_seconds else None,
        labels=labels,
        business_hours=business_hours,
        compliance_status=compliance_status,
    )
    db.add(tenant)
    db.flush()
    return tenant


def get(*, db: Session, tenant_id: str) -> Tenant:
    """Gets a tenant by id or raises 404."""
    tenant = db.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("tenant not found")
    return tenant


def add_phone_number(*, db: Session, tenant: Tenant, e164: str, provider_sid: str | None = None,
                     check_free: bool = True) -> PhoneNumber:
    """Maps a number to the tenant; a number already mapped to any tenant is a 409.

    `check_free=False` for a caller that has just called ensure_number_free itself.
    """
    validate_e164(e164)
    if check_free:
        ensure_number_free(db=db, e164=e164)
    number = PhoneNumber(tenant_id=tenant.id, e164=e164, provider_sid=provider_sid)
    db.add(number)
    db.flush()
    return number


def ensure_number_free(*, db: Session, e164: str) -> None:
    """Raises 409 when the number already belongs to a tenant."""
    if db.scalar(select(PhoneNumber).where(PhoneNumber.e164 == e164)) is not None:
        raise Conflict(f"phone number {e164} is already assigned", code="phone_number_taken")


def phone_numbers(*, db: Session, tenant_id: str) -> list[PhoneNumber]:
    return list(db.scalars(select(PhoneNumber).where(PhoneNumber.tenant_id == tenant_id)))


def _held(query: Select[Any]) -> Select[Any]:
    """The query's tenant row kept from being deleted until the transaction ends.

    For work that arrives on its own (webhooks) and may race an operator deleting the tenant: rows written
    after this cannot lose their tenant halfway (a foreign-key error, a 500). PostgreSQL: FOR KEY SHARE on
    the tenant's row, which the DELETE waits for; a DELETE already under way is waited for instead, and a
    committed one leaves no row. SQLite needs no lock: BEGIN IMMEDIATE already serialises the transactions.
    """
    return query.with_for_update(read=True, key_share=True, of=Tenant)


def tenant_for_number(*, db: Session, e164: str) -> Tenant | None:
    """The tenant a number belongs to, held against deletion (see `_held`); None for a number nobody owns,
    including one whose tenant was deleted meanwhile."""
    # One statement: every Twilio webhook starts here.
    return db.scalar(_held(select(Tenant).join(PhoneNumber, PhoneNumber.tenant_id == Tenant.id)
                           .where(PhoneNumber.e164 == e164)))


def hold_against_deletion(*, db: Session, tenant_id: str) -> bool:
    """Keeps the tenant from being deleted until this transaction ends (see `_held`); False when it is gone."""
    return db.scalar(_held(select(Tenant.id).where(Tenant.id == tenant_id))) is not None


def now(*, tenant: Tenant) -> datetime:
    """The tenant's clock: the DATABASE's UTC time shifted by the tenant's offset.

    Read through the session the tenant was loaded in, so no caller has to pass one; the database's clock
    rather than this process's (see `database_now`) so a skewed app server cannot move an invariant.
    """
    return database_now(_session_of(tenant)) + timedelta(seconds=tenant.clock_offset_seconds)


def _session_of(tenant: Tenant) -> Session:
    db = object_session(tenant)
    if db is None:
        raise RuntimeError(f"tenant {tenant.id} is detached from its session: load it in the session that asks "
                           "for its time")
    return db


def local_now(*, tenant: Tenant) -> datetime:
    return now(tenant=tenant).astimezone(ZoneInfo(tenant.timezone))


def set_clock(*, db: Session, tenant: Tenant, at: datetime | None = None, advance_seconds: float | None = None) -> datetime:
    """Moves this tenant's clock to `at` or forward by `advance_seconds`; other tenants are untouched."""
    if (at is None) == (advance_seconds is None):
        raise ValidationFailed("give exactly one of 'now' or 'advance_seconds'")
    if at is not None:
        if at.tzinfo is None:
            raise ValidationFailed("'now' must include a UTC offset, e.g. 2026-01-05T09:00:00Z")
        tenant.clock_offset_seconds = (at - database_now(db)).total_seconds()
    else:
        assert advance_seconds is not None
        tenant.clock_offset_seconds += advance_seconds
    db.flush()
    return now(tenant=tenant)


def set_compliance_status(*, db: Session, tenant: Tenant, status: str) -> None:
    if status not in COMPLIANCE_STATUSES:
        raise ValidationFailed(f"unknown compliance status {status!r}")
    tenant.compliance_status = status
    db.flush()


def set_billing_state(*, db: Session, tenant: Tenant, state: str) -> None:
    tenant.billing_state = state
    db.flush()


def list_tenants(
    *, db: Session, ephemeral: bool | None = None, expired: bool | None = None, labels: dict[str, str] | None = None
) -> list[Tenant]:
    """Tenants matching every filter given; label filters match exactly."""
    query = select(Tenant).order_by(Tenant.created_at)
    if ephemeral is not None:
        query = query.where(Tenant.ephemeral.is_(ephemeral))
    if expired is True:
        query = query.where(Tenant.expires_at.is_not(None), Tenant.expires_at <= utcnow())
    elif expired is False:
        query = query.where((Tenant.expires_at.is_(None)) | (Tenant.expires_at > utcnow()))
    tenants = list(db.scalars(query))
    if labels:
        tenants = [t for t in tenants if all(str((t.labels or {}).get(k)) == v for k, v in labels.items())]
    return tenants


def delete_tenant(*, db: Session, tenant: Tenant) -> None:
    """Deletes an ephemeral tenant and, through ON DELETE CASCADE, every row it owns.

    A tenant that is not ephemeral is never deleted here, whoever asks: 409.
    """
    if not tenant.ephemeral:
        raise Conflict("tenant is not ephemeral; refusing to delete a real customer", code="not_ephemeral")
    for hook in _delete_hooks:
        hook(db, tenant)
    db.execute(delete(Tenant).where(Tenant.id == tenant.id))
    db.flush()
