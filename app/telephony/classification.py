"""Which call statuses count as a missed call (the table the tests drive).

Twilio reports a call the business did not pick up as `no-answer`, `busy` or `failed`. A `completed`
call was answered, by a person or by voicemail; the optional short-call rule counts a completed call
shorter than N seconds as missed too (the caller hung up on the greeting). It is off (N = 0) unless
the setting `missed_call_short_completed_seconds` says otherwise.
"""

from __future__ import annotations

MISSED_CALL_STATUSES: dict[str, bool] = {
    "no-answer": True,
    "busy": True,
    "failed": True,
    "completed": False,
    "canceled": False,
    "queued": False,
    "ringing": False,
    "in-progress": False,
}


def is_missed_call(call_status: str, *, duration_seconds: int | None = None, short_completed_seconds: int = 0) -> bool:
    """Whether a call with this final status (and duration) is one to text back."""
    status = (call_status or "").strip().lower()
    if MISSED_CALL_STATUSES.get(status, False):
        return True
    return (
        status == "completed"
        and short_completed_seconds > 0
        and duration_seconds is not None
        and duration_seconds < short_completed_seconds
    )
