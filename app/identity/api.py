"""JSON API for identity: exchange credentials for a bearer token, and who am I."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.deps import AppSettings, CurrentAuth, DbSession
from app.identity import security
from app.identity import service as identity_service

router = APIRouter(prefix="/api/v1", tags=["identity"])


class TokenRequest(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class MeResponse(BaseModel):
    user_id: str
    email: str
    name: str
    role: str
    tenant_id: str
    tenant_name: str


@router.post("/auth/token", response_model=TokenResponse)
def create_token(body: TokenRequest, db: DbSession, settings: AppSettings) -> TokenResponse:
    """Bearer token for API clients (no cookie, no CSRF)."""
    user = identity_service.authenticate(db=db, settings=settings, email=body.email, password=body.password)
    db.commit()
    token = security.issue_session_token(settings, user_id=user.id, tenant_id=user.tenant_id, role=user.role)
    return TokenResponse(access_token=token, expires_in=settings.session_ttl_seconds)


@router.get("/me", response_model=MeResponse)
def me(auth: CurrentAuth) -> MeResponse:
    return MeResponse(
        user_id=auth.user.id, email=auth.user.email, name=auth.user.name, role=auth.user.role,
        tenant_id=auth.tenant.id, tenant_name=auth.tenant.name,
    )
