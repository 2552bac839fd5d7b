"""Cross-cutting HTTP concerns: body size limit, the CSRF cookie, request logging.

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
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import error_response
from app.identity import security
from app.logs import current_request_id, current_tenant_id
from app.settings import Settings

log = logging.getLogger("app.http")


def install(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(RequestContext, settings=settings)


class RequestContext:
    """Per request: an id for the logs, the size limit, a CSRF cookie when missing, one access-log line."""

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

        async def send_with_context(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if fresh:
                    MutableHeaders(scope=message).append("set-cookie", self._csrf_cookie(fresh))
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self._log(request, status, started)

        await self.app(scope, receive, send_with_context)

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
        log.log(level, "%s %s -> %s", request.method, request.url.path, status,
                extra={"status": status, "method": request.method, "path": request.url.path,
                       "duration_ms": round((time.perf_counter() - started) * 1000, 1), "tenant_id": tenant_id})
