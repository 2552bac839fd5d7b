"""The form parameters of each webhook Twilio posts, in the order Twilio sends them."""

from __future__ import annotations

import math

from fakes.twilio.models import Message
from fakes.twilio.shapes import API_VERSION, rfc2822, utc_now

CALL_STATUSES = ("queued", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled")


def _location(prefix: str) -> dict[str, str]:
    # Twilio adds geographic hints; the fake has none, so they are present but empty (as for many
    # real numbers), except the country, which the fake's E.164 numbers imply.
    return {f"{prefix}City": "", f"{prefix}State": "", f"{prefix}Zip": "", f"{prefix}Country": "US"}


def voice_status_params(
    *, account_sid: str, call_sid: str, from_: str, to: str, status: str, duration_s: int
) -> dict[str, str]:
    params = {
        "Called": to,
        **_location("To"),
        **_location("Caller"),
        "Direction": "inbound",
        "Timestamp": rfc2822(utc_now()),
        "CallbackSource": "call-progress-events",
        "SequenceNumber": "0",
        "CallSid": call_sid,
        "To": to,
        **_location("Called"),
        "ApiVersion": API_VERSION,
        "CallStatus": status,
        "Duration": str(math.ceil(duration_s / 60)),
        "CallDuration": str(duration_s),
        "From": from_,
        "AccountSid": account_sid,
        "Caller": from_,
        **_location("From"),
    }
    return params


def inbound_sms_params(
    *, account_sid: str, message_sid: str, from_: str, to: str, body: str, num_segments: int, opt_out_type: str | None,
    media: tuple[tuple[str, str], ...] = (),
) -> dict[str, str]:
    """`media`: (URL, content type) of each picture of an MMS (its Body is often empty)."""
    params = {
        **_location("To"),
        "SmsMessageSid": message_sid,
        "NumMedia": str(len(media)),
        "SmsSid": message_sid,
        "SmsStatus": "received",
        "Body": body,
        "To": to,
        "NumSegments": str(num_segments),
        "MessageSid": message_sid,
        "AccountSid": account_sid,
        "From": from_,
        "ApiVersion": API_VERSION,
        **_location("From"),
    }
    for index, (url, content_type) in enumerate(media):
        params[f"MediaContentType{index}"] = content_type
        params[f"MediaUrl{index}"] = url
    if opt_out_type is not None:
        params["OptOutType"] = opt_out_type
    return params


def message_status_params(message: Message) -> dict[str, str]:
    params = {
        "SmsSid": message.sid,
        "SmsStatus": message.status,
        "MessageStatus": message.status,
        "To": message.to,
        "MessageSid": message.sid,
        "AccountSid": message.account_sid,
        "From": message.from_,
        "ApiVersion": API_VERSION,
    }
    if message.error_code is not None:
        params["ErrorCode"] = str(message.error_code)
    return params


def compliance_params(*, account_sid: str, brand_sid: str, status: str, failure_reason: str | None) -> dict[str, str]:
    params = {"AccountSid": account_sid, "BrandRegistrationSid": brand_sid, "Status": status}
    if status == "FAILED":
        params["FailureReason"] = failure_reason or "Brand registration failed"
    return params
