"""Named dependency types, declared once, so routes read like sentences."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.errors import Forbidden, NotAuthenticated, NotFound
from app.identity import security
from app.identity import service as identity_service
from app.identity.models import Role, User
from app.logs import current_tenant_id
from app.providers import Telephony
from app.settings import Settings
from app.tenancy import service as tenancy_service
from app.tenancy.models import Tenant

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Iterator[Session]:
    yield from request.app.state.db.sessions()


def get_telephony(request: Request) -> Telephony:
    return request.app.state.telephony


AppSettings = Annotated[Settings, Depends(get_settings)]
DbSession = Annotated[Session, Depends(get_db)]
TelephonyDep = Annotated[Telephony, Depends(get_telephony)]


@dataclass
class Auth:
    """Who is calling and for which tenant."""

    user: User
    tenant: Tenant
    via_cookie: bool

    @property
    def is_owner(self) -> bool:
        return self.user.role == Role.OWNER


async def check_csrf(request: Request, settings: AppSettings) -> None:
    """Double-submit check: the signed cookie and the form field (or X-CSRF-Token header) must match."""
    cookie = request.cookies.get(security.CSRF_COOKIE)
    sent = request.headers.get(security.CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(security.CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not (cookie and sent and hmac.compare_digest(cookie, sent) and security.csrf_token_valid(settings, cookie)):
        raise Forbidden("The form has expired or was not sent from this site. Reload the page and try again.",
                        code="csrf_failed")


def session_token(request: Request) -> tuple[str | None, bool]:
    """The session token from a Bearer header (API clients) or the session cookie (browsers)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), False
    return request.cookies.get(security.SESSION_COOKIE), True


def load_auth(request: Request, db: DbSession, settings: AppSettings) -> Auth:
    """Who is calling, read from the database.

    A plain `def` on purpose: FastAPI runs it in the threadpool. Database work on the event loop blocks
    every request, and on SQLite it waits (up to the busy timeout) for a write lock held by a request
    whose own clean-up needs that very loop: 30 s stalls, then 500s.
    """
    token, via_cookie = session_token(request)
    if not token:
        raise NotAuthenticated("sign in required")
    claims = security.decode_session_token(settings, token)
    user = identity_service.get_user(db=db, user_id=claims.user_id)
    if user is None:
        raise NotAuthenticated("session user no longer exists", code="invalid_token")
    if claims.session_version != user.session_version:  # signed out since this token was issued
        raise NotAuthenticated("session ended: sign in again", code="session_revoked")
    if not user.active:
        raise Forbidden("This account has been deactivated.", code="user_inactive")
    try:
        tenant = tenancy_service.get(db=db, tenant_id=user.tenant_id)
    except NotFound as exc:
        raise NotAuthenticated("session tenant no longer exists", code="invalid_token") from exc
    # End the read-only transaction now, so no lock (SQLite: the write lock, BEGIN IMMEDIATE) or pooled
    # connection is held while the request waits for another threadpool slot. Sessions do not expire
    # objects on commit, so the user and tenant stay loaded.
    db.commit()
    request.state.db = db  # the layout reads banners in the same session
    return Auth(user=user, tenant=tenant, via_cookie=via_cookie)


async def get_auth(request: Request, auth: Annotated[Auth, Depends(load_auth)], settings: AppSettings) -> Auth:
    """The caller, CSRF-checked for cookie sessions. Async only to read a form body; no database work here."""
    if auth.via_cookie and request.method not in SAFE_METHODS:
        await check_csrf(request, settings)
    request.state.auth = auth
    # Set here, on the request's own context, so log lines of the endpoint (run with a copy of it) carry it.
    current_tenant_id.set(auth.tenant.id)
    return auth


async def get_owner(auth: Annotated[Auth, Depends(get_auth)]) -> Auth:
    if not auth.is_owner:
        raise Forbidden("Only the business owner can open this page.", code="owner_only")
    return auth


async def get_current_user(auth: Annotated[Auth, Depends(get_auth)]) -> User:
    return auth.user


async def get_current_tenant(auth: Annotated[Auth, Depends(get_auth)]) -> Tenant:
    return auth.tenant


CurrentAuth = Annotated[Auth, Depends(get_auth)]
OwnerAuth = Annotated[Auth, Depends(get_owner)]
CurrentUser = Annotated[User, Depends(get_current_user)]
CurrentTenant = Annotated[Tenant, Depends(get_current_tenant)]
CsrfChecked = Annotated[None, Depends(check_csrf)]
