"""JSON API for compliance: the registration status, and submitting the business registration (OWNER)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from app.api_errors import error_responses
from app.compliance import service as compliance_service
from app.compliance.models import ComplianceRegistration
from app.deps import DbSession, OwnerAuth, TelephonyDep
from app.tenancy.models import Tenant

router = APIRouter(prefix="/api/v1", tags=["compliance"])


class RegistrationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    legal_name: str = Field(max_length=200)
    ein: str = Field(max_length=20, description="9 digits, e.g. 12-3456789")
    website: str = Field(max_length=300)
    use_case: Literal["CUSTOMER_CARE", "ACCOUNT_NOTIFICATION", "MIXED", "LOW_VOLUME"]


class RegistrationOut(BaseModel):
    id: str
    legal_name: str
    ein: str
    website: str
    use_case: str
    brand_sid: str
    status: Literal["pending", "approved", "rejected"]
    failure_reason: str | None
    submitted_by: Literal["owner", "operator"]
    submitted_at: datetime
    decided_at: datetime | None


class ComplianceOut(BaseModel):
    status: Literal["none", "pending", "approved", "rejected"]
    can_send: bool
    code: str | None = Field(description="why texting is off: compliance_required | compliance_pending | "
                                         "compliance_rejected")
    reason: str | None
    registration: RegistrationOut | None


def compliance_out(*, db: DbSession, tenant: Tenant) -> ComplianceOut:
    gate = compliance_service.outbound_gate(tenant=tenant)
    registration = compliance_service.current_registration(db=db, tenant_id=tenant.id)
    return ComplianceOut(
        status=tenant.compliance_status,
        can_send=gate is None, code=gate.code if gate else None, reason=gate.reason if gate else None,
        registration=registration_out(registration) if registration else None,
    )


def registration_out(registration: ComplianceRegistration) -> RegistrationOut:
    return RegistrationOut(
        id=registration.id, legal_name=registration.legal_name, ein=registration.ein, website=registration.website,
        use_case=registration.use_case, brand_sid=registration.brand_sid,
        status=registration.status,
        failure_reason=registration.failure_reason,
        submitted_by=registration.submitted_by,
        submitted_at=registration.submitted_at, decided_at=registration.decided_at,
    )


@router.get("/compliance", response_model=ComplianceOut, responses=error_responses(401, 403))
def get_compliance(db: DbSession, auth: OwnerAuth) -> ComplianceOut:
    """Whether the business may text, and its current registration."""
    return compliance_out(db=db, tenant=auth.tenant)


@router.post("/compliance/registration", status_code=201, response_model=ComplianceOut,
             responses=error_responses(401, 403, 409, 422, 502))
def submit_registration(body: RegistrationIn, db: DbSession, auth: OwnerAuth, telephony: TelephonyDep) -> ComplianceOut:
    """Registers the business as an A2P brand at Twilio; the status becomes `pending` until Twilio decides.
    422 lists every field to fix under `errors`; 409 while a registration is pending or approved."""
    form = compliance_service.validate_registration(legal_name=body.legal_name, ein=body.ein, website=body.website,
                                                    use_case=body.use_case)
    compliance_service.submit_registration(db=db, tenant=auth.tenant, telephony=telephony, form=form)
    db.commit()
    return compliance_out(db=db, tenant=auth.tenant)
