"""Identifiers, dates and field checks shaped like Twilio's."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from email.utils import format_datetime

API_VERSION = "2010-04-01"
E164 = re.compile(r"\+[1-9]\d{1,14}")

# GSM 03.38 basic character set (plus the extension table, which costs two septets per char).
_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€\f")


def new_sid(prefix: str) -> str:
    """``prefix`` + 32 lowercase hex digits, e.g. ``SM`` for messages, ``CA`` for calls."""
    return prefix + secrets.token_hex(16)


def utc_now() -> datetime:
    return datetime.now(UTC)


def rfc2822(moment: datetime) -> str:
    """Twilio's 2010 API date format: ``Wed, 18 Aug 2010 20:01:40 +0000``."""
    return format_datetime(moment.astimezone(UTC)).replace("-0000", "+0000")


def iso8601(moment: datetime) -> str:
    """Twilio's newer APIs (messaging v1): ``2021-01-28T10:45:51Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_e164(number: str) -> bool:
    return E164.fullmatch(number) is not None


def num_segments(body: str) -> int:
    """SMS segments: GSM-7 fits 160 septets (153 per part), otherwise UCS-2 70 chars (67 per part)."""
    if all(char in _GSM7_BASIC or char in _GSM7_EXTENDED for char in body):
        septets = sum(2 if char in _GSM7_EXTENDED else 1 for char in body)
        return 1 if septets <= 160 else -(-septets // 153)
    units = len(body.encode("utf-16-le")) // 2
    return 1 if units <= 70 else -(-units // 67)


def friendly_name(number: str) -> str:
    """``+15550100123`` -> ``(555) 010-0123`` for NANP numbers, else the number itself."""
    if number.startswith("+1") and len(number) == 12:
        digits = number[2:]
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return number
