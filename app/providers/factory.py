"""Chooses the telephony implementation from settings."""

from __future__ import annotations

import logging

from app.providers import DisabledTelephony, Telephony
from app.settings import Settings

log = logging.getLogger("app.providers")


def build_telephony(settings: Settings) -> Telephony:
    if not settings.twilio_account_sid:
        log.warning("TWILIO_ACCOUNT_SID is empty: numbers are mapped locally and no SMS can be sent")
        return DisabledTelephony()
    from app.providers.twilio_gateway import TwilioTelephony  # late: the SDK is slow to import

    return TwilioTelephony(settings)
