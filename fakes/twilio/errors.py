"""Twilio's error body ``{"code","message","more_info","status"}`` and the codes the fake uses."""

from __future__ import annotations

from typing import Any

from fakes.core import HttpError


def error_body(code: int, message: str, status: int) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def twilio_error(code: int, message: str, status: int = 400) -> HttpError:
    return HttpError(status, error_body(code, message, status))


def authentication_failed() -> HttpError:
    body = error_body(20003, "Authenticate", 401)
    body["detail"] = "Your AccountSid or AuthToken was incorrect."
    return HttpError(401, body, {"WWW-Authenticate": 'Basic realm="Twilio API"'})


def not_found(path: str) -> HttpError:
    return twilio_error(20404, f"The requested resource {path} was not found", 404)


def missing_parameter(name: str) -> HttpError:
    # Twilio answers a missing required parameter with 21201-style wording under code 20001.
    return twilio_error(20001, f"Missing required parameter {name} in the post body")


def invalid_to(to: str) -> HttpError:
    return twilio_error(21211, f"The 'To' number {to} is not a valid phone number.")


def to_required() -> HttpError:
    return twilio_error(21604, "A 'To' phone number is required.")


def from_required() -> HttpError:
    return twilio_error(21603, "A 'From' phone number is required.")


def from_not_owned(from_: str) -> HttpError:
    return twilio_error(
        21606,
        f"The From phone number {from_} is not a valid, SMS-capable inbound phone number or short code for your account.",
    )


def body_required() -> HttpError:
    return twilio_error(21602, "Message body is required.")


def body_too_long() -> HttpError:
    return twilio_error(21617, "The concatenated message body exceeds the 1600 character limit.")


def opted_out() -> HttpError:
    return twilio_error(21610, "Attempt to send to unsubscribed recipient")


def invalid_phone_number(number: str) -> HttpError:
    return twilio_error(21421, f"PhoneNumber is invalid: {number}")


def number_or_area_code_required() -> HttpError:
    return twilio_error(21421, "A PhoneNumber or AreaCode is required.")


def number_unavailable(number: str) -> HttpError:
    return twilio_error(21422, f"PhoneNumber {number} is not available.")


def injected_fault_body(status: int) -> dict[str, Any]:
    """Body of a ``status`` fault without one: Twilio uses 20000 + HTTP status for these."""
    messages = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 429: "Too Many Requests"}
    return error_body(20000 + status if status < 1000 else status, messages.get(status, f"HTTP {status}"), status)
