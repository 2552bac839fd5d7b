"""Login and logout pages."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.deps import AppSettings, CsrfChecked, DbSession
from app.errors import Forbidden, NotAuthenticated, TooManyRequests
from app.identity import ratelimit, security
from app.identity import service as identity_service
from app.ui.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)


def safe_next(path: str | None) -> str:
    """Only same-site paths may be redirected to after login (no open redirect)."""
    if not path:
        return "/"
    parsed = urlparse(path)
    if parsed.scheme or parsed.netloc or not path.startswith("/") or path.startswith("//"):
        return "/"
    # Browsers read "\" in a URL as "/" and drop tabs and newlines, so "/\evil.example" and "/\t/evil.example"
    # are "//evil.example" to them: another site.
    if "\\" in path or any(ord(char) < 0x20 or ord(char) == 0x7F for char in path):
        return "/"
    return path


def set_session_cookie(response: Response, *, token: str, secure: bool, max_age: int) -> None:
    response.set_cookie(
        security.SESSION_COOKIE, token, httponly=True, samesite="lax", secure=secure, max_age=max_age, path="/"
    )


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", {"next_path": safe_next(next), "email": "", "error": ""})


@router.post("/login")
def login(  # nosec B107  # the empty defaults are a form left blank, refused as wrong credentials
    request: Request,
    db: DbSession,
    settings: AppSettings,
    _csrf: CsrfChecked,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    try:
        with ratelimit.guard_login(request, settings):
            user = identity_service.authenticate(db=db, settings=settings, email=email, password=password)
    except (NotAuthenticated, Forbidden, TooManyRequests) as exc:
        context = {"next_path": safe_next(next), "email": email, "error": exc.detail}
        return render(request, "login.html", context, status_code=exc.status_code)
    db.commit()
    token = security.issue_session_token(settings, user_id=user.id, tenant_id=user.tenant_id, role=user.role,
                                         session_version=user.session_version)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(
        response, token=token, secure=settings.public_base_url.startswith("https"),
        max_age=settings.session_ttl_seconds,
    )
    return response


@router.post("/logout")
def logout(request: Request, db: DbSession, settings: AppSettings, _csrf: CsrfChecked) -> Response:
    """Ends the session on the server too: deleting the cookie alone leaves a copied token valid until expiry."""
    token = request.cookies.get(security.SESSION_COOKIE)
    if token:
        identity_service.end_sessions(db=db, settings=settings, token=token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(security.SESSION_COOKIE, path="/")
    return response
