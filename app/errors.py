"""Domain errors and how they become responses: JSON `{"detail", "code"}` for the API, a page for people."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.logs import loggable_path

log = logging.getLogger("app.errors")


class AppError(Exception):
    """An error a caller can act on. Subclasses fix the status; `code` is a stable machine name."""

    status_code = 400
    default_code = "bad_request"

    def __init__(self, detail: str, *, code: str | None = None, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.default_code
        self.extra = extra or {}


class BadRequest(AppError):
    status_code, default_code = 400, "bad_request"


class NotAuthenticated(AppError):
    status_code, default_code = 401, "not_authenticated"


class Forbidden(AppError):
    status_code, default_code = 403, "forbidden"


class NotFound(AppError):
    status_code, default_code = 404, "not_found"


class Conflict(AppError):
    status_code, default_code = 409, "conflict"


class Gone(AppError):
    status_code, default_code = 410, "gone"


class PayloadTooLarge(AppError):
    status_code, default_code = 413, "payload_too_large"


class ValidationFailed(AppError):
    status_code, default_code = 422, "validation_error"


class TooManyRequests(AppError):
    status_code, default_code = 429, "too_many_requests"


class ProviderUnavailable(AppError):
    status_code, default_code = 502, "provider_unavailable"


def wants_html(request: Request) -> bool:
    """Browser pages get error pages; the JSON API, webhooks and operator API get JSON."""
    path = request.url.path
    if path.startswith(("/api/", "/webhooks/")) or path == "/healthz":
        return False
    return "text/html" in request.headers.get("accept", "") or request.method == "GET"


def _error_page(request: Request, status: int, code: str, detail: str) -> Response:
    from app.ui.templating import render  # late: templating imports deps which import errors

    return render(request, "errors/error.html", {"status": status, "code": code, "detail": detail}, status_code=status)


def error_response(request: Request, status: int, code: str, detail: Any, extra: dict[str, Any] | None = None) -> Response:
    if status == 401 and wants_html(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        # Encoded: the page's own query string (an OAuth callback's code *and* state) must come back whole.
        return RedirectResponse(f"/login?{urlencode({'next': target}, safe='/', quote_via=quote)}", status_code=303)
    if wants_html(request):
        return _error_page(request, status, code, detail if isinstance(detail, str) else "The request was not valid.")
    body: dict[str, Any] = {"detail": detail, "code": code}
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status)


_STATUS_CODES = {
    400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 410: "gone", 413: "payload_too_large", 415: "unsupported_media_type", 422: "validation_error",
    429: "too_many_requests",
}


def install(app: FastAPI) -> None:
    """Registers the handlers that turn every failure into a clear response, never a bare 500 page."""

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        return error_response(request, exc.status_code, exc.code, exc.detail, exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()
        ]
        return error_response(request, 422, "validation_error", errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = _STATUS_CODES.get(exc.status_code, "error")
        detail = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        response = error_response(request, exc.status_code, code, detail)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, loggable_path(request.url.path))
        return error_response(request, 500, "internal_error", "Something went wrong on our side.")
