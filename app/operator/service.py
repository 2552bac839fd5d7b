"""Creating a whole tenant (tenant, users, number, domain data) in one transaction, and deleting one.

Domains plug into both: `@provisioner` adds their part of creation, `@teardown` their clean-up outside
the database (release the number at Twilio, cancel the Stripe subscription) once the rows are gone.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.errors import ProviderUnavailable
from app.identity import service as identity_service
from app.identity.models import Role, User
from app.operator.schemas import CreateTenantRequest
from app.providers import Telephony
from app.settings import Settings
from app.tenancy import service as tenancy_service
from app.tenancy.models import PhoneNumber, Tenant

log = logging.getLogger("app.operator")


@dataclass
class ProvisionContext:
    """Handed to each domain's provisioner; `report` ends up in the response's `extra`."""

    db: Session
    settings: Settings
    telephony: Telephony
    tenant: Tenant
    spec: CreateTenantRequest
    users: list[User] = field(default_factory=list)
    numbers: list[PhoneNumber] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)


Provisioner = Callable[[ProvisionContext], None]
_provisioners: list[Provisioner] = []


def provisioner(fn: Provisioner) -> Provisioner:
    """Registers a domain's part of tenant creation (catalog items, brand registration...)."""
    _provisioners.append(fn)
    return fn


def webhook_urls(settings: Settings) -> dict[str, str]:
    base = settings.public_base_url.rstrip("/")
    return {"sms_url": f"{base}/webhooks/twilio/sms", "voice_status_url": f"{base}/webhooks/twilio/voice-status"}


def create_tenant(*, db: Session, settings: Settings, telephony: Telephony, spec: CreateTenantRequest) -> ProvisionContext:
    """Creates the tenant, its users, its number (provisioned at Twilio) and domain data. Not committed."""
    hours = spec.business_hours.model_dump(exclude_none=True) if spec.business_hours else {}
    tenant = tenancy_service.create(
        db=db, name=spec.name.strip(), timezone=spec.timezone, ephemeral=spec.ephemeral,
        ttl_seconds=spec.ttl_seconds if spec.ttl_seconds else (3600 if spec.ephemeral else None),
        labels=spec.labels, business_hours=hours,
        compliance_status="approved" if spec.compliance == "approved" else "none",
    )
    people = [(spec.owner, Role.OWNER), *((tech, Role.TECH) for tech in spec.techs)]
    users = identity_service.create_users(db=db, settings=settings, tenant_id=tenant.id, users=[
        identity_service.NewUser(email=person.email, password=person.password, name=person.name, role=role)
        for person, role in people
    ])
    ctx = ProvisionContext(db=db, settings=settings, telephony=telephony, tenant=tenant, spec=spec, users=users)
    if spec.phone_number:
        tenancy_service.validate_e164(spec.phone_number)
        # Check before provisioning, so a 409 leaves nothing behind at the provider.
        tenancy_service.ensure_number_free(db=db, e164=spec.phone_number)
        try:
            provisioned = telephony.provision_number(e164=spec.phone_number, **webhook_urls(settings))
        except Exception as exc:  # the provider's own error types vary; the caller sees one clear 502
            raise ProviderUnavailable(f"could not provision {spec.phone_number} at the telephony provider: {exc}") from exc
        ctx.report.setdefault("provisioned_sids", []).append(provisioned.provider_sid)
    try:
        if spec.phone_number:
            # Checked free above, before provisioning; the unique index still stops a race.
            number = tenancy_service.add_phone_number(db=db, tenant=tenant, e164=spec.phone_number,
                                                      provider_sid=ctx.report["provisioned_sids"][0] or None,
                                                      check_free=False)
            ctx.numbers.append(number)
        for provision in _provisioners:
            provision(ctx)
        db.flush()
    except Exception:
        release_provisioned(ctx)
        raise
    return ctx


def release_provisioned(ctx: ProvisionContext) -> None:
    """Undoes provider-side provisioning when the tenant's transaction will not commit."""
    for sid in ctx.report.get("provisioned_sids", []):
        if sid:
            ctx.telephony.release_number(provider_sid=sid)


# --- deleting ---------------------------------------------------------------------------------------------
@dataclass
class TeardownContext:
    """Handed to each domain's teardown inside the delete transaction, before the tenant's rows go."""

    db: Session
    settings: Settings
    services: Any  # app.state: telephony, billing gateway...
    tenant: Tenant


AfterDelete = Callable[[], None]
# Reads what it will need (the rows are about to go) and returns what to do once the delete committed.
Teardown = Callable[[TeardownContext], AfterDelete | None]
_teardowns: list[Teardown] = []

# PostgreSQL's deadlock_detected and serialization_failure: the transaction lost a race and may simply
# run again. A delete cascades over every table of the tenant while the outbox worker may hold some of
# those rows and then insert more (which locks the tenant row): a deadlock PostgreSQL resolves by
# aborting one side, often the delete.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
DELETE_ATTEMPTS = 5
DELETE_BACKOFF_SECONDS = 0.05


def teardown(fn: Teardown) -> Teardown:
    """Registers a domain's clean-up outside the database when a tenant is deleted."""
    _teardowns.append(fn)
    return fn


def is_retryable_conflict(exc: DBAPIError) -> bool:
    """True for a deadlock or serialization failure (the transaction may be run again as is)."""
    return getattr(exc.orig, "sqlstate", None) in RETRYABLE_SQLSTATES


def delete_tenant(*, db: Session, settings: Settings, services: Any, tenant_id: str) -> AfterDelete:
    """Deletes an ephemeral tenant and all its rows (committed; 409 if not ephemeral); returns the clean-up outside.

    The transaction is retried on a deadlock. The returned callable runs each domain's after-delete action
    once, best effort: a provider that fails is logged and never brings the tenant back. The API runs it
    after the response is sent.
    """
    for attempt in range(1, DELETE_ATTEMPTS + 1):
        try:
            actions = _delete_rows(db=db, settings=settings, services=services, tenant_id=tenant_id)
            break
        except DBAPIError as exc:
            db.rollback()
            if not is_retryable_conflict(exc) or attempt == DELETE_ATTEMPTS:
                raise
            log.warning("deleting the tenant lost a race (%s), attempt %d of %d; retrying",
                        getattr(exc.orig, "sqlstate", None), attempt, DELETE_ATTEMPTS, extra={"tenant_id": tenant_id})
            time.sleep(DELETE_BACKOFF_SECONDS * attempt * (1 + random.random()))  # nosec B311  # retry jitter, not a secret

    def clean_up() -> None:
        for action in actions:
            try:
                action()
            except Exception:  # the tenant is gone either way; what is left at a provider is an operations task
                log.exception("clean-up after deleting the tenant failed", extra={"tenant_id": tenant_id})

    return clean_up


def _delete_rows(*, db: Session, settings: Settings, services: Any, tenant_id: str) -> list[AfterDelete]:
    tenant = tenancy_service.get(db=db, tenant_id=tenant_id)
    if not tenant.ephemeral:  # checked again by tenancy; here so no teardown even looks at a real customer
        tenancy_service.delete_tenant(db=db, tenant=tenant)  # raises the 409
    ctx = TeardownContext(db=db, settings=settings, services=services, tenant=tenant)
    actions = [action for prepare in _teardowns if (action := prepare(ctx)) is not None]
    tenancy_service.delete_tenant(db=db, tenant=tenant)
    db.commit()
    return actions


@teardown
def release_numbers(ctx: TeardownContext) -> AfterDelete | None:
    """The tenant's numbers go back to Twilio once its rows are gone."""
    sids = [n.provider_sid for n in tenancy_service.phone_numbers(db=ctx.db, tenant_id=ctx.tenant.id) if n.provider_sid]
    if not sids:
        return None
    telephony: Telephony = ctx.services.telephony
    tenant_id = ctx.tenant.id

    def release() -> None:
        for sid in sids:
            try:
                telephony.release_number(provider_sid=sid)
            except Exception:  # a stray number is an operations task; the next one may still go
                log.warning("could not release number %s at the provider", sid, extra={"tenant_id": tenant_id})

    return release
