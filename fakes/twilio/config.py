"""Configuration of the Twilio fake: credentials, timing, the compliance callback URL.

Defaults apply when neither a flag nor the environment says otherwise:

=========================== ======================================= ===================================
setting                     environment variable                    default
=========================== ======================================= ===================================
account_sid                 ``TWILIO_ACCOUNT_SID``                  ``AC00000000000000000000000000000000``
auth_token                  ``TWILIO_AUTH_TOKEN``                   ``fake_twilio_auth_token_000000000``
compliance_callback_url     ``TWILIO_FAKE_COMPLIANCE_CALLBACK_URL`` none (brand callbacks not posted)
status_interval_ms          ``TWILIO_FAKE_STATUS_INTERVAL_MS``      20 (queued -> sent -> delivered)
=========================== ======================================= ===================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

DEFAULT_ACCOUNT_SID = "AC" + "0" * 32
DEFAULT_AUTH_TOKEN = "fake_twilio_auth_token_000000000"
DEFAULT_STATUS_INTERVAL_MS = 20


@dataclass
class TwilioFakeConfig:
    account_sid: str = DEFAULT_ACCOUNT_SID
    auth_token: str = DEFAULT_AUTH_TOKEN
    #: Where brand status changes are posted (real Twilio: the account's compliance webhook).
    compliance_callback_url: str | None = None
    #: Pause before each automatic status step of an outbound message.
    status_interval_ms: int = DEFAULT_STATUS_INTERVAL_MS
    #: False = messages stay ``queued`` until a test forces a status.
    auto_status: bool = True
    #: False = webhooks carry no ``I-Twilio-Idempotency-Token`` (as behind a proxy that strips it).
    idempotency_tokens: bool = True
    #: How long the fake waits for the app to answer a webhook.
    webhook_timeout_s: float = 10.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TwilioFakeConfig:
        env = os.environ if environ is None else environ
        interval = env.get("TWILIO_FAKE_STATUS_INTERVAL_MS")
        if interval and not interval.isdigit():
            raise ValueError(f"TWILIO_FAKE_STATUS_INTERVAL_MS must be a whole number of ms, got {interval!r}")
        return cls(
            account_sid=env.get("TWILIO_ACCOUNT_SID") or DEFAULT_ACCOUNT_SID,
            auth_token=env.get("TWILIO_AUTH_TOKEN") or DEFAULT_AUTH_TOKEN,
            compliance_callback_url=env.get("TWILIO_FAKE_COMPLIANCE_CALLBACK_URL") or None,
            status_interval_ms=int(interval) if interval else DEFAULT_STATUS_INTERVAL_MS,
        )

    def to_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
