"""The compliance part of tenant creation through the operator API.

`compliance: "pending"` registers a brand at Twilio with placeholder business details (a test tenant
has no real EIN) and leaves the tenant pending, exactly as if its owner had submitted the form; the
brand SID is reported in the response's `extra.brand_sid` so a test can approve it at the fake.
"""

from __future__ import annotations

from app.compliance import service as compliance_service
from app.operator.service import ProvisionContext, provisioner


@provisioner
def register_pending_brand(ctx: ProvisionContext) -> None:
    if ctx.spec.compliance != "pending":
        return
    form = compliance_service.RegistrationForm(
        legal_name=ctx.tenant.name, ein="00-0000000", website="https://example.com", use_case="CUSTOMER_CARE"
    )
    registration = compliance_service.submit_registration(
        db=ctx.db, tenant=ctx.tenant, telephony=ctx.telephony, form=form, submitted_by="operator"
    )
    ctx.report["brand_sid"] = registration.brand_sid
    ctx.report["compliance_registration_id"] = registration.id
