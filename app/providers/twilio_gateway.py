"""Telephony through the official Twilio SDK. Pointing at the real Twilio is a configuration change:
leave TWILIO_API_BASE empty. For the local fake, TWILIO_API_BASE replaces every Twilio domain's base URL."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from app.providers import ProvisionedNumber, SentMessage, TelephonyNotConfigured
from app.settings import Settings


class TwilioTelephony:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client = Client(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            http_client=TwilioHttpClient(timeout=settings.twilio_http_timeout_seconds),
        )
        # After a request got no answer, how long Twilio may still be working on it (the sender waits this
        # long before looking for the text, so a slow create is found instead of sent twice).
        self.in_flight_grace_seconds = 2 * settings.twilio_http_timeout_seconds
        if settings.twilio_api_base:
            base = settings.twilio_api_base.rstrip("/")
            # Each Twilio product lives on its own host; the fake serves them all on one.
            self.client.api.base_url = base
            self.client.messaging.base_url = base

    def provision_number(self, *, e164: str, sms_url: str, voice_status_url: str) -> ProvisionedNumber:
        number = self.client.incoming_phone_numbers.create(
            phone_number=e164,
            sms_url=sms_url,
            sms_method="POST",
            voice_url=voice_status_url,
            status_callback=voice_status_url,
            status_callback_method="POST",
        )
        return ProvisionedNumber(e164=number.phone_number or e164, provider_sid=number.sid or "")

    def release_number(self, *, provider_sid: str) -> None:
        self.client.incoming_phone_numbers(provider_sid).delete()

    def register_brand(self, *, tenant_id: str, legal_name: str, ein: str, website: str, use_case: str) -> str:
        # Twilio takes the business details through Trust Hub bundles created beforehand; the brand
        # registration itself only references them.
        if not (self.settings.twilio_customer_profile_sid and self.settings.twilio_a2p_profile_sid):
            raise TelephonyNotConfigured(
                "TWILIO_CUSTOMER_PROFILE_SID and TWILIO_A2P_PROFILE_SID must be set to register brands"
            )
        brand = self.client.messaging.v1.brand_registrations.create(
            customer_profile_bundle_sid=self.settings.twilio_customer_profile_sid,
            a2p_profile_bundle_sid=self.settings.twilio_a2p_profile_sid,
        )
        return str(brand.sid)

    def send_sms(self, *, from_: str, to: str, body: str, status_callback: str) -> SentMessage:
        message = self.client.messages.create(from_=from_, to=to, body=body, status_callback=status_callback)
        return SentMessage(provider_sid=str(message.sid), status=str(message.status))

    def find_sent_message(
        self, *, from_: str, to: str, body: str, created_after: datetime, exclude_sids: Collection[str] = ()
    ) -> SentMessage | None:
        """A message Twilio already created for this pair and body (after a timeout), so it is adopted, not resent.

        Lists the newest messages of the pair and compares in code: filtering by DateSent at Twilio would
        miss messages still queued (they have no date_sent yet), which are exactly the ones to find.
        """
        cutoff = created_after - timedelta(minutes=1)  # our clock and Twilio's may differ a little
        for message in self.client.messages.list(to=to, from_=from_, limit=50):
            if message.sid in exclude_sids or message.body != body:
                continue
            if message.date_created is not None and message.date_created < cutoff:
                continue
            return SentMessage(provider_sid=str(message.sid), status=str(message.status))
        return None
