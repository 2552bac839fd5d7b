"""JSON API for identity: exchange credentials for a bearer token, and who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from app.deps import AppSettings, CurrentAuth, DbSession
from app.identity import ratelimit, security
from app.identity import service as identity_service

router = APIRouter(prefix="/api/v1", tags=["identity"])


class TokenRequest(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class ErrorBody(BaseModel):
    detail: str
    code: str


def _errors(descriptions: dict[int, str]) -> dict[int | str, dict[str, object]]:
    """OpenAPI `responses=`: each status with its description and the `{"detail", "code"}` body."""
    return {status: {"model": ErrorBody, "description": text} for status, text in descriptions.items()}


class MeResponse(BaseModel):
    user_id: str
    email: str
    name: str
    role: str
    tenant_id: str
    tenant_name: str


@router.post("/auth/token", response_model=TokenResponse, responses=_errors({
    401: "Wrong email or password", 403: "The account is deactivated",
    429: "Too many failed sign-ins for this email or from this address"}))
def create_token(request: Request, body: TokenRequest, db: DbSession, settings: AppSettings) -> TokenResponse:
    """Bearer token for API clients (no cookie, no CSRF)."""
    with ratelimit.guard_login(request, settings):
        user = identity_service.authenticate(db=db, settings=settings, email=body.email, password=body.password)
    db.commit()
    token = security.issue_session_token(settings, user_id=user.id, tenant_id=user.tenant_id, role=user.role,
                                         session_version=user.session_version)
    return TokenResponse(access_token=token, expires_in=settings.session_ttl_seconds)


@router.get("/me", response_model=MeResponse, responses=_errors({
    401: "Not signed in, or the session token is invalid or expired", 403: "The account is deactivated"}))
def me(auth: CurrentAuth) -> MeResponse:
    return MeResponse(
        user_id=auth.user.id, email=auth.user.email, name=auth.user.name, role=auth.user.role,
        tenant_id=auth.tenant.id, tenant_name=auth.tenant.name,
    )
