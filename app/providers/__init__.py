"""The seam between the app and its providers (Twilio, Stripe).

Domains call these interfaces; `twilio_gateway` talks to Twilio through the official SDK (base URL
overridable for the local fake), `MemoryTelephony` records calls in memory for unit tests, and
`DisabledTelephony` is used when no Twilio credentials are configured (local exploration).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class ProvisionedNumber:
    e164: str
    provider_sid: str


@dataclass(frozen=True)
class SentMessage:
    provider_sid: str
    status: str


class Telephony(Protocol):
    """What the app needs from a telephony provider."""

    def provision_number(self, *, e164: str, sms_url: str, voice_status_url: str) -> ProvisionedNumber: ...

    def release_number(self, *, provider_sid: str) -> None: ...

    def register_brand(self, *, tenant_id: str, legal_name: str, ein: str, website: str, use_case: str) -> str: ...

    def send_sms(self, *, from_: str, to: str, body: str, status_callback: str) -> SentMessage: ...


class TelephonyNotConfigured(RuntimeError):
    """Raised when something must reach Twilio but no credentials are configured."""


@dataclass
class MemoryTelephony:
    """An in-memory Telephony for unit tests: it records what the app asked for."""

    numbers: dict[str, ProvisionedNumber] = field(default_factory=dict)
    released: list[str] = field(default_factory=list)
    brands: list[dict[str, str]] = field(default_factory=list)
    sent: list[dict[str, str]] = field(default_factory=list)

    def provision_number(self, *, e164: str, sms_url: str, voice_status_url: str) -> ProvisionedNumber:
        number = ProvisionedNumber(e164=e164, provider_sid=f"PN{len(self.numbers):032x}")
        self.numbers[number.provider_sid] = number
        return number

    def release_number(self, *, provider_sid: str) -> None:
        self.released.append(provider_sid)
        self.numbers.pop(provider_sid, None)

    def register_brand(self, *, tenant_id: str, legal_name: str, ein: str, website: str, use_case: str) -> str:
        sid = f"BN{len(self.brands):032x}"
        self.brands.append({"sid": sid, "tenant_id": tenant_id, "legal_name": legal_name})
        return sid

    def send_sms(self, *, from_: str, to: str, body: str, status_callback: str) -> SentMessage:
        sid = f"SM{len(self.sent):032x}"
        self.sent.append({"sid": sid, "from": from_, "to": to, "body": body})
        return SentMessage(provider_sid=sid, status="queued")


class DisabledTelephony:
    """Used when TWILIO_ACCOUNT_SID is unset: numbers are mapped locally, nothing can be sent."""

    def provision_number(self, *, e164: str, sms_url: str, voice_status_url: str) -> ProvisionedNumber:
        return ProvisionedNumber(e164=e164, provider_sid="")

    def release_number(self, *, provider_sid: str) -> None:
        return None

    def register_brand(self, *, tenant_id: str, legal_name: str, ein: str, website: str, use_case: str) -> str:
        raise TelephonyNotConfigured("Twilio is not configured (TWILIO_ACCOUNT_SID is empty)")

    def send_sms(self, *, from_: str, to: str, body: str, status_callback: str) -> SentMessage:
        raise TelephonyNotConfigured("Twilio is not configured (TWILIO_ACCOUNT_SID is empty)")
