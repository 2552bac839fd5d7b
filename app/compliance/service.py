"""Compliance: the outbound gate (brand registration status) and the opt-out ledger.

The tenant's compliance status lives on the tenant (tenancy.service.set_compliance_status); this module
owns the registrations behind it and decides, for every outbound path, whether a text may go.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from urllib.parse import urlparse

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.compliance import events
from app.compliance.keywords import Keyword
from app.compliance.models import ComplianceRegistration, OptOut, OptOutEvent
from app.errors import Conflict, ProviderUnavailable, ValidationFailed
from app.outbox import service as outbox_service
from app.providers import Telephony
from app.tenancy import service as tenancy_service
from app.tenancy.models import Tenant

log = logging.getLogger("app.compliance")

# A2P 10DLC use cases a small service business picks from (Twilio's names).
USE_CASES: dict[str, str] = {
    "CUSTOMER_CARE": "Customer care (answering customers who contacted you)",
    "ACCOUNT_NOTIFICATION": "Account notifications (appointment reminders, confirmations)",
    "MIXED": "Mixed (customer care and notifications)",
    "LOW_VOLUME": "Low-volume mixed (under 6,000 texts a day)",
}
EIN = re.compile(r"^(\d{2})-?(\d{7})$")
# Twilio brand registration status -> our compliance status.
BRAND_STATUSES = {
    "PENDING": "pending", "IN_REVIEW": "pending", "APPROVED": "approved",
    "FAILED": "rejected", "SUSPENDED": "rejected", "DELETED": "rejected",
}


def compliance_status_for(provider_status: str) -> str | None:
    """Our status for a provider brand status, None when we do not know the word."""
    return BRAND_STATUSES.get((provider_status or "").strip().upper())


@dataclass(frozen=True)
class Gate:
    """Why outbound texting is not allowed right now (None from `outbound_gate` means it is)."""

    code: str
    reason: str


def outbound_gate(*, tenant: Tenant) -> Gate | None:
    """None when the tenant may text; otherwise the code and a sentence saying why not."""
    status = tenant.compliance_status
    if status == "approved":
        return None
    if status == "pending":
        return Gate("compliance_pending",
                    "Texting is paused until your business registration is approved. It is pending review.")
    if status == "rejected":
        return Gate("compliance_rejected",
                    "Texting is off: your business registration was rejected. "
                    "The owner can correct it and submit again on the Compliance page.")
    return Gate("compliance_required",
                "Texting is off until your business is registered. The owner can register it on the Compliance page.")


# --- opt-out ledger ---------------------------------------------------------------------------------
def is_opted_out(*, db: Session, tenant_id: str, customer_phone: str) -> bool:
    """Whether the customer's latest word to this tenant was an opt-out."""
    row = db.scalar(select(OptOut).where(OptOut.tenant_id == tenant_id, OptOut.customer_phone == customer_phone))
    return bool(row and row.opted_out)


def record_keyword(
    *, db: Session, tenant: Tenant, customer_phone: str, keyword: Keyword, word: str, message_id: str | None = None
) -> bool:
    """Applies STOP/START to the ledger; returns True when the customer's opt-out status changed."""
    if keyword not in (Keyword.STOP, Keyword.START):
        return False
    opting_out = keyword == Keyword.STOP
    now = tenancy_service.now(tenant=tenant)
    row = db.scalar(select(OptOut).where(OptOut.tenant_id == tenant.id, OptOut.customer_phone == customer_phone))
    changed = (row.opted_out if row else False) != opting_out
    if row is None:
        row = OptOut(tenant_id=tenant.id, customer_phone=customer_phone, opted_out=opting_out, keyword=word,
                     changed_at=now)
        db.add(row)
    elif changed:
        row.opted_out, row.keyword, row.changed_at = opting_out, word, now
    db.add(OptOutEvent(tenant_id=tenant.id, customer_phone=customer_phone, action="opt_out" if opting_out else "opt_in",
                       keyword=word, message_id=message_id, created_at=now))
    db.flush()
    if changed:
        log.info("customer %s to texts", "opted out of" if opting_out else "opted back in",
                 extra={"tenant_id": tenant.id, "keyword": word})
    return changed


def ledger(*, db: Session, tenant_id: str, customer_phone: str | None = None) -> list[OptOutEvent]:
    """The opt-out ledger of a tenant (optionally one customer), oldest first."""
    query = select(OptOutEvent).where(OptOutEvent.tenant_id == tenant_id)
    if customer_phone:
        query = query.where(OptOutEvent.customer_phone == customer_phone)
    return list(db.scalars(query.order_by(OptOutEvent.created_at, OptOutEvent.id)))


# --- brand registration -----------------------------------------------------------------------------
def current_registration(*, db: Session, tenant_id: str) -> ComplianceRegistration | None:
    """The tenant's newest registration, if any."""
    return db.scalar(
        select(ComplianceRegistration)
        .where(ComplianceRegistration.tenant_id == tenant_id)
        .order_by(ComplianceRegistration.submitted_at.desc(), ComplianceRegistration.id.desc())
        .limit(1)
    )


def registration_for_brand(*, db: Session, brand_sid: str) -> ComplianceRegistration | None:
    """The registration a provider brand SID belongs to (webhook routing), across tenants."""
    return db.scalar(select(ComplianceRegistration).where(ComplianceRegistration.brand_sid == brand_sid))


@dataclass(frozen=True)
class RegistrationForm:
    legal_name: str
    ein: str
    website: str
    use_case: str


def validate_registration(*, legal_name: str, ein: str, website: str, use_case: str) -> RegistrationForm:
    """Normalises the form; every problem at once in a 422 whose `errors` maps field -> message."""
    problems: dict[str, str] = {}
    # NUL characters cannot be stored (PostgreSQL) nor registered; they never belong in these fields.
    legal_name, ein, website = (v.replace("\x00", "") if v else "" for v in (legal_name, ein, website))
    legal_name = " ".join((legal_name or "").split())
    if not 2 <= len(legal_name) <= 200:
        problems["legal_name"] = "Enter the business's legal name (2 to 200 characters)."
    match = EIN.match((ein or "").strip())
    if not match:
        problems["ein"] = "Enter the 9-digit EIN, like 12-3456789."
    website = (website or "").strip()
    parsed = urlparse(website)
    if len(website) > 300 or parsed.scheme not in ("http", "https") or "." not in (parsed.hostname or ""):
        problems["website"] = "Enter the business website, starting with https://"
    if use_case not in USE_CASES:
        problems["use_case"] = "Choose what you will text customers about."
    if problems:
        raise ValidationFailed("Some details of the registration need fixing.", code="invalid_registration",
                               extra={"errors": problems})
    assert match is not None
    return RegistrationForm(legal_name=legal_name, ein=f"{match.group(1)}-{match.group(2)}", website=website,
                            use_case=use_case)


def submit_registration(
    *, db: Session, tenant: Tenant, telephony: Telephony, form: RegistrationForm, submitted_by: str = "owner"
) -> ComplianceRegistration:
    """Registers the brand at Twilio and marks the tenant pending (not committed); 409 while pending/approved."""
    if tenant.compliance_status in ("pending", "approved"):
        raise Conflict(f"The business registration is already {tenant.compliance_status}.",
                       code=f"compliance_already_{tenant.compliance_status}")
    try:
        brand_sid = telephony.register_brand(tenant_id=tenant.id, legal_name=form.legal_name, ein=form.ein,
                                             website=form.website, use_case=form.use_case)
    except Exception as exc:  # the provider's error types vary; the caller sees one clear 502
        log.warning("brand registration failed at the provider: %s", exc, extra={"tenant_id": tenant.id})
        raise ProviderUnavailable(f"Twilio did not accept the registration: {exc}",
                                  code="brand_registration_failed") from exc
    registration = ComplianceRegistration(
        tenant_id=tenant.id, legal_name=form.legal_name, ein=form.ein, website=form.website, use_case=form.use_case,
        brand_sid=brand_sid, status="pending", submitted_by=submitted_by, submitted_at=tenancy_service.now(tenant=tenant),
    )
    db.add(registration)
    tenancy_service.set_compliance_status(db=db, tenant=tenant, status="pending")
    db.flush()
    log.info("brand registration submitted", extra={"tenant_id": tenant.id, "brand_sid": brand_sid})
    return registration


def apply_brand_status(
    *, db: Session, registration: ComplianceRegistration, provider_status: str, failure_reason: str | None = None
) -> bool:
    """Applies a provider status (APPROVED/FAILED/PENDING) to the registration and the tenant.

    Emits ComplianceStatusChanged when the tenant's status changes; returns whether it did.
    Only the tenant's newest registration moves the tenant; an unknown status is a 422.
    """
    status = compliance_status_for(provider_status)
    if status is None:
        raise ValidationFailed(f"unknown brand registration status {provider_status!r}", code="unknown_brand_status")
    tenant = tenancy_service.get(db=db, tenant_id=registration.tenant_id)
    registration.status = status
    registration.failure_reason = (failure_reason or "Brand registration failed") if status == "rejected" else None
    registration.decided_at = tenancy_service.now(tenant=tenant) if status != "pending" else None
    current = current_registration(db=db, tenant_id=tenant.id)
    previous = tenant.compliance_status
    if current is None or current.id != registration.id or previous == status:
        db.flush()
        return False
    tenancy_service.set_compliance_status(db=db, tenant=tenant, status=status)
    outbox_service.emit(
        db=db, event_type=events.COMPLIANCE_STATUS_CHANGED, tenant_id=tenant.id, schema_version=events.SCHEMA_VERSION,
        payload={"tenant_id": tenant.id, "registration_id": registration.id, "brand_sid": registration.brand_sid,
                 "status": status, "previous_status": previous, "failure_reason": registration.failure_reason},
    )
    log.info("compliance status %s -> %s", previous, status, extra={"tenant_id": tenant.id})
    return True
