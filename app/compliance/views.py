"""The compliance page (OWNER), its nav entry, and the banner shown on every page while texting is off."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from app.compliance import service as compliance_service
from app.deps import DbSession, OwnerAuth, TelephonyDep
from app.errors import AppError
from app.tenancy.models import Tenant
from app.ui import banners, nav
from app.ui.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)
nav.register("Compliance", "/compliance", order=80, owner_only=True)

_BANNER_TEXT = {
    "none": "Texting is off until your business is registered for business texting.",
    "pending": "Your business registration is pending approval. Automatic replies are held and go out once approved.",
    "rejected": "Your business registration was rejected, so texting is off.",
}


@banners.register
def compliance_banner(db: Session, tenant: Tenant, is_owner: bool) -> list[banners.Banner]:
    """One banner while the tenant may not text; owners get a link to fix it."""
    status = tenant.compliance_status
    if status == "approved":
        return []
    link = {"none": "Register your business", "pending": "See the registration",
            "rejected": "Fix the registration"}.get(status, "Compliance")
    return [banners.Banner(
        test_id="compliance-banner", level="danger" if status == "rejected" else "warning",
        message=_BANNER_TEXT.get(status, "Texting is off."), link_text=link if is_owner else "",
        link_path="/compliance" if is_owner else "", state=status,
    )]


def _page(request: Request, db: Session, auth: OwnerAuth, *, values: dict[str, str] | None = None,
          errors: dict[str, str] | None = None, error: str = "", status_code: int = 200) -> Response:
    registration = compliance_service.current_registration(db=db, tenant_id=auth.tenant.id)
    context = {
        "status": auth.tenant.compliance_status, "registration": registration,
        "gate": compliance_service.outbound_gate(tenant=auth.tenant), "use_cases": compliance_service.USE_CASES,
        "values": values or {}, "errors": errors or {}, "error": error,
        "submitted": request.query_params.get("submitted") == "1",
    }
    return render(request, "compliance/index.html", context, status_code=status_code)


@router.get("/compliance")
def compliance_page(request: Request, db: DbSession, auth: OwnerAuth) -> Response:
    return _page(request, db, auth)


@router.post("/compliance")
def submit_registration(
    request: Request,
    db: DbSession,
    auth: OwnerAuth,
    telephony: TelephonyDep,
    legal_name: Annotated[str, Form(max_length=1000)] = "",
    ein: Annotated[str, Form(max_length=100)] = "",
    website: Annotated[str, Form(max_length=1000)] = "",
    use_case: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    values = {"legal_name": legal_name, "ein": ein, "website": website, "use_case": use_case}
    try:
        form = compliance_service.validate_registration(**values)
        compliance_service.submit_registration(db=db, tenant=auth.tenant, telephony=telephony, form=form)
    except AppError as exc:
        db.rollback()
        field_errors = exc.extra.get("errors", {}) if isinstance(exc.extra.get("errors"), dict) else {}
        return _page(request, db, auth, values=values, errors=field_errors,
                     error="" if field_errors else exc.detail, status_code=exc.status_code)
    db.commit()
    return RedirectResponse("/compliance?submitted=1", status_code=303)
