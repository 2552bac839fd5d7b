"""OpenAPI descriptions of the error bodies our JSON routes answer with (see app/errors.py).

Used by the domains' JSON APIs so /openapi.json lists every status a route can return, with the
`{"detail", "code"}` shape.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

_DESCRIPTIONS = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not allowed (e.g. a TECH on an owner-only route, or a failed CSRF check)",
    404: "Not found (also another tenant's resource)",
    409: "Conflict with the current state",
    410: "Gone (expired or no longer offered)",
    422: "Invalid input",
    502: "A provider (Twilio, Stripe) failed or did not answer",
}


class ErrorBody(BaseModel):
    detail: Any
    code: str


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status with the error body model."""
    return {status: {"model": ErrorBody, "description": _DESCRIPTIONS[status]} for status in statuses}


# Every authenticated JSON route can answer these.
AUTH_ERRORS = (401, 403, 422)
