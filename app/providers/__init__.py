"""The seam between the app and its providers (Twilio, Stripe).

Domains call these interfaces; `twilio_gateway` talks to Twilio through the official SDK (base URL
overridable for the local fake), `MemoryTelephony` records calls in memory for unit tests, and
`DisabledTelephony` is used when no Twilio credentials are configured (local exploration).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
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

    def find_sent_message(
        self, *, from_: str, to: str, body: str, created_after: datetime, exclude_sids: Collection[str] = ()
    ) -> SentMessage | None:
        """A message the provider already created for this pair and body since `created_after`, if any.

        The sender asks before a retry: a create whose response was lost (timeout, crash) may still have
        gone out, and is then adopted instead of texting the customer twice. `exclude_sids` are messages
        already recorded, so one provider message is never adopted by two of ours.
        """
        ...


class TelephonyNotConfigured(RuntimeError):
    """Raised when something must reach Twilio but no credentials are configured."""


class ResponseLost(TimeoutError):
    """MemoryTelephony's stand-in for a read timeout after the provider accepted the request."""


@dataclass
class MemoryTelephony:
    """An in-memory Telephony for unit tests: it records what the app asked for.

    `sent` is the provider's journal (a message is in it only if the provider created it). Set
    `lose_responses` to N and the next N sends are created but answer with `ResponseLost`, like a
    Twilio create whose response never arrived.
    """

    numbers: dict[str, ProvisionedNumber] = field(default_factory=dict)
    released: list[str] = field(default_factory=list)
    brands: list[dict[str, str]] = field(default_factory=list)
    sent: list[dict[str, str]] = field(default_factory=list)
    lose_responses: int = 0

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
        self.sent.append({"sid": sid, "from": from_, "to": to, "body": body, "created_at": datetime.now(UTC).isoformat()})
        if self.lose_responses > 0:
            self.lose_responses -= 1
            raise ResponseLost("read timed out (the message was created)")
        return SentMessage(provider_sid=sid, status="queued")

    def find_sent_message(
        self, *, from_: str, to: str, body: str, created_after: datetime, exclude_sids: Collection[str] = ()
    ) -> SentMessage | None:
        for message in reversed(self.sent):  # newest first, like Twilio's list
            if (message["from"], message["to"], message["body"]) != (from_, to, body) or message["sid"] in exclude_sids:
                continue
            if datetime.fromisoformat(message["created_at"]) >= created_after:
                return SentMessage(provider_sid=message["sid"], status="queued")
        return None


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

    def find_sent_message(
        self, *, from_: str, to: str, body: str, created_after: datetime, exclude_sids: Collection[str] = ()
    ) -> SentMessage | None:
        return None  # nothing can have been sent
