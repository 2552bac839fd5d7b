"""Cross-cutting HTTP concerns: body size limit, the CSRF cookie, security headers, request logging.

A plain ASGI middleware, not Starlette's BaseHTTPMiddleware (`@app.middleware("http")`): that one runs the
rest of the app in a second task and pipes the response through a memory stream, which cost about a
millisecond of CPU per request in the profiles (bench/README.md, "Third round").
"""

from __future__ import annotations

import logging
import secrets
import time

from fastapi import FastAPI, Request, Response
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import error_response
from app.identity import security
from app.logs import current_request_id, current_tenant_id, loggable_path
from app.settings import Settings

log = logging.getLogger("app.http")

# No inline script or style, no plugins, nothing framing our pages (clickjacking of /login, /book/...).
# form-action is left out on purpose: Chromium applies it to the redirect after a form post, and the
# billing forms redirect to Stripe's checkout and portal.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'")
# FastAPI's /docs and /redoc pages load their script from a CDN and start it inline; they get this one.
DOCS_CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
                                "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
                                "img-src 'self' data: https://fastapi.tiangolo.com; object-src 'none'; "
                                "base-uri 'self'; frame-ancestors 'none'")
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
SECURITY_HEADERS = (
    ("x-frame-options", "DENY"),  # frame-ancestors for browsers that predate it
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),  # a /book/{token} URL must not leak to other sites in Referer
)


def install(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(RequestContext, settings=settings)


class RequestContext:
    """Per request: an id for the logs, the size limit, a CSRF cookie when missing, security headers, one
    access-log line."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.secure_cookies = settings.public_base_url.startswith("https")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_token = current_request_id.set(secrets.token_hex(6))
        tenant_token = current_tenant_id.set(None)
        try:
            await self._handle(scope, receive, send)
        finally:
            current_request_id.reset(request_token)
            current_tenant_id.reset(tenant_token)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request = Request(scope)  # shares scope["state"] with the route's Request: request.state.auth is seen here
        settings = self.settings
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > settings.max_body_bytes):
            response = error_response(request, 413, "payload_too_large",
                                      f"request body larger than {settings.max_body_bytes} bytes")
            await response(scope, receive, send)
            return
        # The CSRF cookie exists before any form is shown, so even the login form is protected.
        cookie = request.cookies.get(security.CSRF_COOKIE)
        fresh = None if cookie and security.csrf_token_valid(settings, cookie) else security.new_csrf_token(settings)
        request.state.csrf_token = fresh or cookie
        status = 0
        path = scope["path"]
        received = 0

        async def receive_within_limit() -> Message:
            # Content-Length is optional (chunked uploads have none): count what actually arrives and stop
            # reading at the limit, instead of buffering an unbounded body. The app's error handlers turn
            # the exception into the 413 (FastAPI re-raises HTTPExceptions raised while reading a body).
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > settings.max_body_bytes:
                    raise HTTPException(413, f"request body larger than {settings.max_body_bytes} bytes")
            return message

        async def send_with_context(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                if fresh:
                    headers.append("set-cookie", self._csrf_cookie(fresh))
                add_security_headers(headers, path)
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self._log(request, status, started)

        await self.app(scope, receive_within_limit, send_with_context)

    def _csrf_cookie(self, value: str) -> str:
        """The Set-Cookie value, formatted by Starlette's own Response.set_cookie."""
        holder = Response()
        holder.set_cookie(security.CSRF_COOKIE, value, httponly=False, samesite="lax", secure=self.secure_cookies,
                          path="/")
        return holder.headers["set-cookie"]

    @staticmethod
    def _log(request: Request, status: int, started: float) -> None:
        auth = getattr(request.state, "auth", None)
        tenant_id = current_tenant_id.get() or (auth.tenant.id if auth else None)
        level = logging.ERROR if status >= 500 else logging.INFO
        path = loggable_path(request.url.path)
        log.log(level, "%s %s -> %s", request.method, path, status,
                extra={"status": status, "method": request.method, "path": path,
                       "duration_ms": round((time.perf_counter() - started) * 1000, 1), "tenant_id": tenant_id})


def add_security_headers(headers: MutableHeaders, path: str) -> None:
    """The headers every response gets; a route that sets one itself keeps its own value."""
    policy = DOCS_CONTENT_SECURITY_POLICY if path in DOCS_PATHS else CONTENT_SECURITY_POLICY
    for name, value in (("content-security-policy", policy), *SECURITY_HEADERS):
        if name not in headers:
            headers[name] = value
    # Pages and API answers are per user (and /book/{token} per customer): no cache, shared or private, may
    # keep them, so a signed-out browser's back button or a shared machine shows nothing. Static files are
    # the same for everyone and may be cached.
    if "cache-control" not in headers and not path.startswith("/static/"):
        headers["cache-control"] = "no-store"
