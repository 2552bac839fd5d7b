"""``TwilioFake``: the Twilio fake's state and wiring (routes live in ``rest_*`` and ``control``)."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fakes.core import FakeApp, Request, Response, Webhook
from fakes.twilio import control, errors, rest_api, rest_messaging
from fakes.twilio.config import TwilioFakeConfig
from fakes.twilio.models import Brand, Message, PhoneNumber
from fakes.twilio.optout import OptOutLedger
from fakes.twilio.signing import signed_webhook


class TwilioFake(FakeApp):
    name = "twilio"

    def __init__(self, config: TwilioFakeConfig | None = None) -> None:
        self.config = config or TwilioFakeConfig()
        super().__init__(webhook_timeout_s=self.config.webhook_timeout_s)
        self.messages: dict[str, Message] = {}
        self.numbers: dict[str, PhoneNumber] = {}
        self.brands: dict[str, Brand] = {}
        self.opt_outs = OptOutLedger()
        # Status progressions sleep between steps, so they get their own generous pool.
        self.progressions = ThreadPoolExecutor(max_workers=64, thread_name_prefix="twilio-status")
        rest_api.install(self)
        rest_messaging.install(self)
        control.install(self)

    # -- FakeApp hooks ---------------------------------------------------------------------------
    def reset_state(self) -> None:
        self.messages.clear()
        self.numbers.clear()
        self.brands.clear()
        self.opt_outs.clear()

    def default_fault_body(self, code: int) -> Any:
        return errors.injected_fault_body(code)

    def not_found(self, request: Request) -> Response:
        error = errors.not_found(request.path)
        return Response.json(error.payload, error.status)

    def control_info(self) -> dict[str, Any]:
        with self.lock:
            return {"account_sid": self.config.account_sid, "config": self.config.to_dict()}

    def close(self) -> None:
        self.progressions.shutdown(wait=False, cancel_futures=True)
        super().close()

    # -- shared by the route modules --------------------------------------------------------------
    def authenticate(self, request: Request) -> None:
        """HTTP Basic with the configured account SID and auth token, else 401 code 20003."""
        header = request.headers.get("Authorization") or ""
        scheme, _, encoded = header.partition(" ")
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise errors.authentication_failed() from None
        username, _, password = decoded.partition(":")
        expected = f"{self.config.account_sid}:{self.config.auth_token}"
        if scheme.lower() != "basic" or not hmac.compare_digest(f"{username}:{password}", expected):
            raise errors.authentication_failed()

    def signed(self, url: str, params: Mapping[str, str], *, kind: str) -> Webhook:
        """A webhook to ``url`` signed with this account's token, with an idempotency token unless the
        config says to leave it out."""
        return signed_webhook(url, params, self.config.auth_token, kind=kind,
                              idempotency_token=self.config.idempotency_tokens)

    def number_by_phone(self, phone: str) -> PhoneNumber | None:
        """The owned IncomingPhoneNumber with this E.164 number (caller holds ``self.lock``)."""
        for number in self.numbers.values():
            if number.phone_number == phone:
                return number
        return None
