"""Operator API routes. Mounted only when OPERATOR_TOKEN is set; every route needs the bearer token."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.background import BackgroundTask

from app.api_errors import error_responses
from app.calendars import service as calendars_service
from app.db import utcnow
from app.deps import AppSettings, DbSession, TelephonyDep
from app.errors import NotAuthenticated, ValidationFailed
from app.identity import security
from app.identity import service as identity_service
from app.identity.models import User
from app.operator import schemas
from app.operator import service as operator_service
from app.outbox import service as outbox_service
from app.settings import Settings
from app.tenancy import service as tenancy_service
from app.tenancy.models import PhoneNumber, Tenant

log = logging.getLogger("app.operator")


def require_operator(request: Request, settings: AppSettings) -> None:
    header = request.headers.get("authorization", "")
    supplied = header[7:].strip() if header.lower().startswith("bearer ") else ""
    # compare_digest takes time independent of where the strings differ.
    if not settings.operator_token or not hmac.compare_digest(supplied.encode(), settings.operator_token.encode()):
        raise NotAuthenticated("operator token missing or wrong", code="operator_unauthorized")


# Every operator route answers 401 without the token and 422 to a malformed request.
router = APIRouter(prefix="/api/operator", tags=["operator"], dependencies=[Depends(require_operator)],
                   responses=error_responses(401, 422))


def tenant_out(db: DbSession, tenant: Tenant, extra: dict[str, object] | None = None) -> schemas.TenantOut:
    numbers = tenancy_service.phone_numbers(db=db, tenant_id=tenant.id)
    return tenant_body(tenant, numbers=numbers, users=identity_service.users_of(db=db, tenant_id=tenant.id), extra=extra)


def tenant_body(tenant: Tenant, *, numbers: Sequence[PhoneNumber], users: Sequence[User],
                extra: dict[str, object] | None = None) -> schemas.TenantOut:
    e164s = [n.e164 for n in numbers]
    return schemas.TenantOut(
        id=tenant.id, name=tenant.name, timezone=tenant.timezone, phone_number=e164s[0] if e164s else None,
        phone_numbers=e164s, compliance_status=tenant.compliance_status, billing_state=tenant.billing_state,
        ephemeral=tenant.ephemeral, expires_at=tenant.expires_at, labels=tenant.labels or {},
        users=[schemas.UserOut(id=u.id, email=u.email, name=u.name, role=u.role, active=u.active) for u in users],
        created_at=tenant.created_at, extra=dict(extra or {}),
    )


@router.post("/tenants", status_code=201, response_model=schemas.TenantOut, responses=error_responses(409, 502))
def create_tenant(
    body: schemas.CreateTenantRequest, db: DbSession, settings: AppSettings, telephony: TelephonyDep
) -> schemas.TenantOut:
    """Creates a tenant with its users, number and domain data; nothing is kept if any part fails."""
    ctx = operator_service.create_tenant(db=db, settings=settings, telephony=telephony, spec=body)
    # Built from the flushed rows before the commit expires them: reading them back would be three more queries.
    out = tenant_body(ctx.tenant, numbers=ctx.numbers, users=ctx.users, extra=ctx.report)
    try:
        db.commit()
    except Exception:
        db.rollback()
        operator_service.release_provisioned(ctx)
        raise
    log.info("tenant created", extra={"tenant_id": ctx.tenant.id})
    if body.sessions:
        for user in out.users:
            user.session = session_out(settings, user_id=user.id, tenant_id=ctx.tenant.id, role=user.role,
                                       session_version=0)  # users created just now: nobody signed out yet
    return out


@router.get("/tenants", response_model=schemas.TenantList)
def list_tenants(
    db: DbSession,
    ephemeral: bool | None = None,
    expired: bool | None = None,
    label: Annotated[list[str] | None, Query(description="key:value, repeatable")] = None,
) -> schemas.TenantList:
    labels: dict[str, str] = {}
    for item in label or []:
        key, sep, value = item.partition(":")
        if not sep or not key:
            raise ValidationFailed(f"label filter {item!r} must look like key:value")
        labels[key] = value
    tenants = tenancy_service.list_tenants(db=db, ephemeral=ephemeral, expired=expired, labels=labels)
    return schemas.TenantList(tenants=[tenant_out(db, t) for t in tenants])


@router.get("/tenants/{tenant_id}", response_model=schemas.TenantOut, responses=error_responses(404))
def get_tenant(tenant_id: str, db: DbSession) -> schemas.TenantOut:
    return tenant_out(db, tenancy_service.get(db=db, tenant_id=tenant_id))


@router.get("/tenants/{tenant_id}/outbox", response_model=schemas.OutboxOut, responses=error_responses(404))
def get_outbox(tenant_id: str, db: DbSession) -> schemas.OutboxOut:
    """What the tenant's background work still has to do: lets a test wait until the app is idle."""
    tenant = tenancy_service.get(db=db, tenant_id=tenant_id)
    pending, earliest = outbox_service.pending_of_tenant(db=db, tenant_id=tenant.id)
    due_in = None if earliest is None else (earliest - utcnow()).total_seconds()
    return schemas.OutboxOut(tenant_id=tenant.id, pending=pending, next_due_in_seconds=due_in,
                             calendar_due_in_seconds=calendars_service.next_work_in(db=db, tenant=tenant))


@router.delete("/tenants/{tenant_id}", status_code=204, responses=error_responses(404))
def delete_tenant(tenant_id: str, request: Request, db: DbSession, settings: AppSettings) -> Response:
    """Deletes an ephemeral tenant and all its rows; 409 if not ephemeral.

    The 204 goes out once the rows are gone; releasing its numbers and cancelling its plan at the providers
    follow right after, in the same request cycle (a server shutting down waits for them), best effort.
    """
    clean_up = operator_service.delete_tenant(db=db, settings=settings, services=request.app.state,
                                              tenant_id=tenant_id)
    log.info("tenant deleted", extra={"tenant_id": tenant_id})
    return Response(status_code=204, background=BackgroundTask(clean_up))


@router.post("/tenants/{tenant_id}/sessions", status_code=201, response_model=schemas.SessionOut,
             responses=error_responses(404))
def mint_session(tenant_id: str, body: schemas.SessionRequest, db: DbSession, settings: AppSettings) -> schemas.SessionOut:
    """A session cookie value for one of the tenant's users, so a test can start logged in."""
    tenant = tenancy_service.get(db=db, tenant_id=tenant_id)
    user = identity_service.find_tenant_user(db=db, tenant_id=tenant.id, email_or_id=body.user)
    return session_out(settings, user_id=user.id, tenant_id=tenant.id, role=user.role,
                       session_version=user.session_version, ttl_seconds=body.ttl_seconds)


def session_out(settings: Settings, *, user_id: str, tenant_id: str, role: str, session_version: int,
                ttl_seconds: int | None = None) -> schemas.SessionOut:
    ttl = settings.session_ttl_seconds if ttl_seconds is None else ttl_seconds
    token = security.issue_session_token(settings, user_id=user_id, tenant_id=tenant_id, role=role,
                                         session_version=session_version, ttl_seconds=ttl)
    return schemas.SessionOut(
        cookie_name=security.SESSION_COOKIE, cookie_value=token, token=token, user_id=user_id,
        expires_at=utcnow() + timedelta(seconds=ttl),
    )


@router.patch("/tenants/{tenant_id}/users/{user_id}", response_model=schemas.UserOut, responses=error_responses(404))
def patch_user(tenant_id: str, user_id: str, body: schemas.UserPatch, db: DbSession) -> schemas.UserOut:
    """Activates or deactivates a user (a deactivated user is refused even with a valid session)."""
    user = identity_service.find_tenant_user(db=db, tenant_id=tenant_id, email_or_id=user_id)
    identity_service.set_active(db=db, user=user, active=body.active)
    db.commit()
    return schemas.UserOut(id=user.id, email=user.email, name=user.name, role=user.role, active=user.active)


# A tenant's clock stays within this range: every date the app computes from it (offers days ahead, reports
# weeks back) must still fit a datetime, which ends at year 9999 (a clock at 9999-12-31 made GET /offers 500).
CLOCK_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def check_clock_range(tenant: Tenant, body: schemas.ClockRequest) -> None:
    """422 when the clock would leave [CLOCK_EARLIEST, CLOCK_LATEST); malformed requests are left to set_clock."""
    if body.now is not None and body.now.tzinfo is not None:
        target = body.now
    elif body.now is None and body.advance_seconds is not None:
        target = tenancy_service.now(tenant=tenant) + timedelta(seconds=body.advance_seconds)
    else:
        return
    if not CLOCK_EARLIEST <= target < CLOCK_LATEST:
        raise ValidationFailed(f"the clock must stay between {CLOCK_EARLIEST:%Y-%m-%d} and {CLOCK_LATEST:%Y-%m-%d}",
                               code="clock_out_of_range")


@router.get("/tenants/{tenant_id}/clock", response_model=schemas.ClockOut, responses=error_responses(404))
def get_clock(tenant_id: str, db: DbSession) -> schemas.ClockOut:
    tenant = tenancy_service.get(db=db, tenant_id=tenant_id)
    return schemas.ClockOut(tenant_id=tenant.id, now=tenancy_service.now(tenant=tenant),
                            offset_seconds=tenant.clock_offset_seconds)


@router.put("/tenants/{tenant_id}/clock", response_model=schemas.ClockOut, responses=error_responses(404))
def set_clock(tenant_id: str, body: schemas.ClockRequest, db: DbSession) -> schemas.ClockOut:
    """Sets this tenant's clock (holds, offers, auto-close and reports read it); others are untouched."""
    tenant = tenancy_service.get(db=db, tenant_id=tenant_id)
    check_clock_range(tenant, body)
    now = tenancy_service.set_clock(db=db, tenant=tenant, at=body.now, advance_seconds=body.advance_seconds)
    db.commit()
    return schemas.ClockOut(tenant_id=tenant.id, now=now, offset_seconds=tenant.clock_offset_seconds)
