"""Stripe-shaped API errors: ``{"error": {"type", "code", "message", "param"}}``.

The status codes follow Stripe's table because the SDK picks the exception class from the status
(400/404 -> InvalidRequestError or IdempotencyError, 401 -> AuthenticationError, 402 -> CardError).
All four keys are always present (``null`` when Stripe would omit them) so a reader of the journal
sees the same shape every time.
"""

from __future__ import annotations

from typing import Any

from fakes.core.http import HttpError

INVALID_REQUEST = "invalid_request_error"
CARD_ERROR = "card_error"
IDEMPOTENCY_ERROR = "idempotency_error"
API_ERROR = "api_error"


class StripeApiError(HttpError):
    """An error the ``/v1/`` API answers with; raise it anywhere below a handler."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = INVALID_REQUEST,
        code: str | None = None,
        param: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        error: dict[str, Any] = {"type": type, "code": code, "message": message, "param": param}
        if code:
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
        error.update(extra or {})
        super().__init__(status, {"error": error})
        self.message = message
        self.type = type
        self.code = code
        self.param = param


def invalid_request(message: str, *, param: str | None = None, code: str | None = None) -> StripeApiError:
    return StripeApiError(400, message, code=code, param=param)


def missing_param(param: str) -> StripeApiError:
    return StripeApiError(400, f"Missing required param: {param}.", code="parameter_missing", param=param)


def unknown_param(param: str) -> StripeApiError:
    return StripeApiError(400, f"Received unknown parameter: {param}", code="parameter_unknown", param=param)


def invalid_value(param: str, message: str) -> StripeApiError:
    return StripeApiError(400, message, code="parameter_invalid_string", param=param)


def no_such(resource: str, object_id: str, *, param: str = "id") -> StripeApiError:
    """Stripe's 404 for an unknown id, e.g. ``No such customer: 'cus_123'``."""
    return StripeApiError(404, f"No such {resource}: '{object_id}'", code="resource_missing", param=param)


def missing_api_key() -> StripeApiError:
    return StripeApiError(
        401,
        "You did not provide an API key. You need to provide your API key in the Authorization header, "
        "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    )


def invalid_api_key(presented: str) -> StripeApiError:
    # Stripe masks all but the last four characters of the key it refuses.
    masked = presented[:8] + "*" * max(len(presented) - 12, 0) + presented[-4:] if len(presented) > 12 else "****"
    return StripeApiError(401, f"Invalid API Key provided: {masked}", code="api_key_invalid")


def card_declined(decline_code: str, message: str) -> StripeApiError:
    return StripeApiError(402, message, type=CARD_ERROR, code="card_declined", extra={"decline_code": decline_code})


def idempotency_mismatch(key: str) -> StripeApiError:
    return StripeApiError(
        400,
        "Keys for idempotent requests can only be used with the same parameters they were first used with. "
        f"Try using a key other than '{key}' if you meant to execute a different request.",
        type=IDEMPOTENCY_ERROR,
    )


def unrecognized_url(method: str, path: str) -> StripeApiError:
    return StripeApiError(
        404,
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
        "or we can help at https://support.stripe.com/.",
    )
