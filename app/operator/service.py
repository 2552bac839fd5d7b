"""Creating a whole tenant (tenant, users, number, domain data) in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app.errors import ProviderUnavailable
from app.identity import service as identity_service
from app.identity.models import Role
from app.operator.schemas import CreateTenantRequest
from app.providers import Telephony
from app.settings import Settings
from app.tenancy import service as tenancy_service
from app.tenancy.models import Tenant


@dataclass
class ProvisionContext:
    """Handed to each domain's provisioner; `report` ends up in the response's `extra`."""

    db: Session
    settings: Settings
    telephony: Telephony
    tenant: Tenant
    spec: CreateTenantRequest
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
    identity_service.create_user(
        db=db, settings=settings, tenant_id=tenant.id, email=spec.owner.email, password=spec.owner.password,
        name=spec.owner.name, role=Role.OWNER,
    )
    for tech in spec.techs:
        identity_service.create_user(
            db=db, settings=settings, tenant_id=tenant.id, email=tech.email, password=tech.password,
            name=tech.name, role=Role.TECH,
        )
    ctx = ProvisionContext(db=db, settings=settings, telephony=telephony, tenant=tenant, spec=spec)
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
            tenancy_service.add_phone_number(db=db, tenant=tenant, e164=spec.phone_number,
                                             provider_sid=ctx.report["provisioned_sids"][0] or None)
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
