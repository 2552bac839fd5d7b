"""In-memory records of the Twilio fake and their Twilio-shaped JSON.

Plain dataclasses; :class:`fakes.twilio.app.TwilioFake` keeps them in dicts under ``self.lock``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fakes.twilio.shapes import API_VERSION, iso8601, rfc2822, utc_now


@dataclass
class Message:
    sid: str
    account_sid: str
    from_: str
    to: str
    body: str
    num_segments: int
    status_callback: str | None
    direction: str = "outbound-api"
    num_media: int = 0
    status: str = "queued"
    error_code: int | None = None
    error_message: str | None = None
    date_created: datetime = field(default_factory=utc_now)
    date_updated: datetime = field(default_factory=utc_now)
    date_sent: datetime | None = None
    #: Set when the status was forced through the control API: automatic progression then stops.
    forced: bool = False

    @property
    def uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}.json"

    def set_status(self, status: str, error_code: int | None = None, error_message: str | None = None) -> None:
        self.status = status
        self.error_code = error_code
        self.error_message = error_message
        self.date_updated = utc_now()
        if status in ("sent", "delivered", "undelivered") and self.date_sent is None:
            self.date_sent = self.date_updated

    def to_json(self) -> dict[str, Any]:
        base = self.uri[: -len(".json")]
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": rfc2822(self.date_created),
            "date_sent": rfc2822(self.date_sent) if self.date_sent else None,
            "date_updated": rfc2822(self.date_updated),
            "direction": self.direction,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "from": self.from_,
            "messaging_service_sid": None,
            "num_media": str(self.num_media),
            "num_segments": str(self.num_segments),
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": f"{base}/Media.json", "feedback": f"{base}/Feedback.json"},
            "to": self.to,
            "uri": self.uri,
        }

    def to_control_json(self) -> dict[str, Any]:
        """What ``GET /_fake/messages`` shows: the fields a test asserts on, plus a float timestamp."""
        return {
            "sid": self.sid,
            "from": self.from_,
            "to": self.to,
            "body": self.body,
            "status": self.status,
            "direction": self.direction,
            "error_code": self.error_code,
            "num_segments": self.num_segments,
            "date_created": rfc2822(self.date_created),
            "created_at": self.date_created.isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "created_ts": self.date_created.timestamp(),
            "status_callback": self.status_callback,
        }


#: IncomingPhoneNumber fields the API lets a client set, with the JSON name each maps to.
NUMBER_SETTABLE_FIELDS = {
    "FriendlyName": "friendly_name",
    "SmsUrl": "sms_url",
    "SmsMethod": "sms_method",
    "SmsFallbackUrl": "sms_fallback_url",
    "SmsFallbackMethod": "sms_fallback_method",
    "VoiceUrl": "voice_url",
    "VoiceMethod": "voice_method",
    "VoiceFallbackUrl": "voice_fallback_url",
    "VoiceFallbackMethod": "voice_fallback_method",
    "StatusCallback": "status_callback",
    "StatusCallbackMethod": "status_callback_method",
}


@dataclass
class PhoneNumber:
    sid: str
    account_sid: str
    phone_number: str
    settings: dict[str, str]
    date_created: datetime = field(default_factory=utc_now)
    date_updated: datetime = field(default_factory=utc_now)

    @property
    def uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/IncomingPhoneNumbers/{self.sid}.json"

    def setting(self, json_name: str) -> str | None:
        return self.settings.get(json_name) or None

    def to_json(self) -> dict[str, Any]:
        s = self.settings
        return {
            "account_sid": self.account_sid,
            "address_requirements": "none",
            "address_sid": None,
            "api_version": API_VERSION,
            "beta": False,
            "bundle_sid": None,
            "capabilities": {"fax": False, "mms": True, "sms": True, "voice": True},
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_updated),
            "emergency_address_sid": None,
            "emergency_address_status": "unregistered",
            "emergency_status": "Inactive",
            "friendly_name": s.get("friendly_name", ""),
            "identity_sid": None,
            "origin": "twilio",
            "phone_number": self.phone_number,
            "sid": self.sid,
            "sms_application_sid": "",
            "sms_fallback_method": s.get("sms_fallback_method", "POST"),
            "sms_fallback_url": s.get("sms_fallback_url", ""),
            "sms_method": s.get("sms_method", "POST"),
            "sms_url": s.get("sms_url", ""),
            "status": "in-use",
            "status_callback": s.get("status_callback", ""),
            "status_callback_method": s.get("status_callback_method", "POST"),
            "subresource_uris": {"assigned_add_ons": self.uri[: -len(".json")] + "/AssignedAddOns.json"},
            "trunk_sid": None,
            "type": "local",
            "uri": self.uri,
            "voice_application_sid": "",
            "voice_caller_id_lookup": False,
            "voice_fallback_method": s.get("voice_fallback_method", "POST"),
            "voice_fallback_url": s.get("voice_fallback_url", ""),
            "voice_method": s.get("voice_method", "POST"),
            "voice_receive_mode": "voice",
            "voice_url": s.get("voice_url", ""),
        }


@dataclass
class Brand:
    sid: str
    account_sid: str
    customer_profile_bundle_sid: str
    a2p_profile_bundle_sid: str
    brand_type: str
    mock: bool
    status: str = "PENDING"
    failure_reason: str | None = None
    tcr_id: str | None = None
    date_created: datetime = field(default_factory=utc_now)
    date_updated: datetime = field(default_factory=utc_now)

    def to_json(self, base_url: str) -> dict[str, Any]:
        url = f"{base_url}/v1/a2p/BrandRegistrations/{self.sid}"
        return {
            "sid": self.sid,
            "account_sid": self.account_sid,
            "customer_profile_bundle_sid": self.customer_profile_bundle_sid,
            "a2p_profile_bundle_sid": self.a2p_profile_bundle_sid,
            "date_created": iso8601(self.date_created),
            "date_updated": iso8601(self.date_updated),
            "brand_type": self.brand_type,
            "status": self.status,
            "tcr_id": self.tcr_id,
            "failure_reason": self.failure_reason,
            "errors": [{"code": 30794, "description": self.failure_reason}] if self.status == "FAILED" else [],
            "url": url,
            "brand_score": 42 if self.status == "APPROVED" else None,
            "brand_feedback": None,
            "identity_status": "VERIFIED" if self.status == "APPROVED" else "UNVERIFIED",
            "russell_3000": False,
            "government_entity": False,
            "tax_exempt_status": None,
            "skip_automatic_sec_vet": False,
            "mock": self.mock,
            "links": {
                "brand_vettings": f"{url}/Vettings",
                "brand_registration_otps": f"{url}/SmsOtp",
            },
        }
