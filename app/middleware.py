"""Cross-cutting HTTP concerns: body size limit, the CSRF cookie, request logging."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import Response

from app.errors import error_response
from app.identity import security
from app.logs import current_request_id, current_tenant_id
from app.settings import Settings

log = logging.getLogger("app.http")


def install(app: FastAPI, settings: Settings) -> None:
    @app.middleware("http")
    async def request_context(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        request_token = current_request_id.set(secrets.token_hex(6))
        tenant_token = current_tenant_id.set(None)
        started = time.perf_counter()
        try:
            length = request.headers.get("content-length")
            if length is not None and (not length.isdigit() or int(length) > settings.max_body_bytes):
                return error_response(request, 413, "payload_too_large",
                                      f"request body larger than {settings.max_body_bytes} bytes")
            # The CSRF cookie exists before any form is shown, so even the login form is protected.
            cookie = request.cookies.get(security.CSRF_COOKIE)
            fresh = None if cookie and security.csrf_token_valid(settings, cookie) else security.new_csrf_token(settings)
            request.state.csrf_token = fresh or cookie
            response = await call_next(request)
            if fresh:
                response.set_cookie(security.CSRF_COOKIE, fresh, httponly=False, samesite="lax",
                                    secure=settings.public_base_url.startswith("https"), path="/")
            auth = getattr(request.state, "auth", None)
            tenant_id = current_tenant_id.get() or (auth.tenant.id if auth else None)
            level = logging.ERROR if response.status_code >= 500 else logging.INFO
            log.log(level, "%s %s -> %s", request.method, request.url.path, response.status_code,
                    extra={"status": response.status_code, "method": request.method, "path": request.url.path,
                           "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                           "tenant_id": tenant_id})
            return response
        finally:
            current_request_id.reset(request_token)
            current_tenant_id.reset(tenant_token)
