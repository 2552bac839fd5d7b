"""Twilio-specific ``/_fake/`` control routes (the standard ones come from ``fakes.core``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from fakes.core import DeliveryResult, Request, Response, Router, control_error
from fakes.core.validate import optional_bool, optional_int, optional_str, require_choice, require_str
from fakes.twilio import progression
from fakes.twilio.alerts import alerts
from fakes.twilio.callbacks import CALL_STATUSES, compliance_params, inbound_sms_params, voice_status_params
from fakes.twilio.models import Message, PhoneNumber
from fakes.twilio.optout import opt_out_type
from fakes.twilio.shapes import is_e164, new_sid, num_segments, utc_now

if TYPE_CHECKING:
    from fakes.twilio.app import TwilioFake

# The brand statuses Twilio reports, as its Messaging v1 OpenAPI document lists them
# (brand_registrations_enum_status): under review, approved, refused or withdrawn, and the deletion steps.
BRAND_STATUSES = ("PENDING", "IN_REVIEW", "APPROVED", "FAILED", "SUSPENDED", "DELETION_PENDING", "DELETION_FAILED")
FORCEABLE_MESSAGE_STATUSES = ("queued", "sent", "delivered", "failed", "undelivered")
#: Twilio's "Unknown error" for failed/undelivered messages when the test names no code.
DEFAULT_FAILURE_CODE = 30008


def install(app: TwilioFake) -> None:
    router: Router = app.router
    router.add("POST", r"/_fake/calls", lambda r: post_call(app, r))
    router.add("POST", r"/_fake/sms", lambda r: post_inbound_sms(app, r))
    router.add("GET", r"/_fake/messages", lambda r: list_messages(app, r))
    router.add("POST", r"/_fake/messages/(?P<sid>[^/]+)/status", lambda r: force_message_status(app, r))
    router.add("GET", r"/_fake/numbers", lambda r: list_numbers(app, r))
    router.add("GET", r"/_fake/brands", lambda r: list_brands(app, r))
    router.add("POST", r"/_fake/brands/(?P<sid>[^/]+)/status", lambda r: set_brand_status(app, r))
    router.add("GET", r"/_fake/opt-outs", lambda r: Response.json({"opt_outs": app.opt_outs.pairs()}))
    router.add("GET", r"/_fake/config", lambda r: Response.json(app.config.to_dict()))
    router.add("GET", r"/_fake/alerts", lambda r: list_alerts(app, r))
    router.add("POST", r"/_fake/config", lambda r: update_config(app, r))


def _delivery(result: DeliveryResult | None) -> dict[str, Any]:
    if result is None:
        return {"status_code": None, "delivery_id": None, "error": None}
    return {"status_code": result.status_code, "delivery_id": result.delivery_id, "error": result.error}


def _e164(data: dict[str, Any], key: str) -> str:
    value = require_str(data, key)
    if not is_e164(value):
        raise control_error(422, f"{key} must be an E.164 phone number like +15550100123; got {value!r}")
    return value


#: What Twilio posts as a call's From when the caller withheld their number (no number to call or text back).
WITHHELD_CALLERS = ("anonymous", "Restricted", "Unknown")


def _caller(data: dict[str, Any]) -> str:
    """A call's "from": an E.164 number, or one of the words Twilio uses for a withheld caller ID."""
    value = require_str(data, "from")
    if value in WITHHELD_CALLERS:
        return value
    return _e164(data, "from")


SHORT_CODE = re.compile(r"^\d{5,6}$")
ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")


def _sender(data: dict[str, Any]) -> str:
    """A text's "from": an E.164 number, a short code ("72345") or an alphanumeric sender ID ("ACMEBANK")."""
    value = require_str(data, "from")
    if SHORT_CODE.fullmatch(value) or ALPHANUMERIC_SENDER.fullmatch(value):
        return value
    return _e164(data, "from")


def _owned_number(app: TwilioFake, phone: str) -> PhoneNumber:
    number = app.number_by_phone(phone)
    if number is None:
        raise control_error(404, f"{phone} is not an IncomingPhoneNumber of this fake account")
    return number


def post_call(app: TwilioFake, request: Request) -> Response:
    """Report a call to a provisioned number: its voice status callback (or VoiceUrl) is posted."""
    data = request.json_object()
    from_, to = _caller(data), _e164(data, "to")
    status = data.get("status", "no-answer")
    if status not in CALL_STATUSES:
        raise control_error(422, f"status must be one of {', '.join(CALL_STATUSES)}; got {status!r}")
    duration = optional_int(data, "duration", 0, minimum=0)
    with app.lock:
        number = _owned_number(app, to)
        url = number.setting("status_callback") or number.setting("voice_url")
    if url is None:
        raise control_error(409, f"{to} has neither StatusCallback nor VoiceUrl configured", "no_webhook_url")
    call_sid = new_sid("CA")
    params = voice_status_params(
        account_sid=app.config.account_sid, call_sid=call_sid, from_=from_, to=to, status=status, duration_s=duration
    )
    result = app.webhooks.deliver(app.signed(url, params, kind="voice-status"))
    return Response.json({"call_sid": call_sid, **_delivery(result)})


def post_inbound_sms(app: TwilioFake, request: Request) -> Response:
    """A customer texts a provisioned number: Advanced Opt-Out applies, then SmsUrl is posted."""
    data = request.json_object()
    from_, to = _sender(data), _e164(data, "to")
    body = data.get("body")
    if not isinstance(body, str):
        raise control_error(422, "body is required and must be a string (\"\" for a picture alone)")
    media = data.get("media", [])
    if not isinstance(media, list) or not all(isinstance(url, str) and url.startswith("https://") for url in media):
        raise control_error(422, "media must be a list of https:// URLs (the pictures of an MMS)")
    if len(media) > 10:
        raise control_error(422, "an MMS carries at most 10 pictures")
    keyword = opt_out_type(body)
    with app.lock:
        number = _owned_number(app, to)
        url = number.setting("sms_url")
        if url is None:
            raise control_error(409, f"{to} has no SmsUrl configured", "no_webhook_url")
        app.opt_outs.apply(business=to, customer=from_, kind=keyword)
        message = Message(
            sid=new_sid("SM"),
            account_sid=app.config.account_sid,
            from_=from_,
            to=to,
            body=body,
            num_segments=num_segments(body),
            status_callback=None,
            direction="inbound",
            status="received",
        )
        app.messages[message.sid] = message
    params = inbound_sms_params(
        account_sid=app.config.account_sid,
        message_sid=message.sid,
        from_=from_,
        to=to,
        body=body,
        num_segments=message.num_segments,
        opt_out_type=keyword,
        media=tuple((url, "image/jpeg") for url in media),
    )
    result = app.webhooks.deliver(app.signed(url, params, kind="inbound-sms"))
    return Response.json({"message_sid": message.sid, "opt_out_type": keyword, **_delivery(result)})


def list_alerts(app: TwilioFake, request: Request) -> Response:
    """What Twilio's debugger would log about the app's answers (``fakes.twilio.alerts``); ``contains`` filters
    the deliveries as ``/_fake/requests`` does (a number, a SID)."""
    contains = request.query.get("contains") or None
    with app.lock:
        twiml_urls = {url for number in app.numbers.values()
                      for url in (number.setting("sms_url"), number.setting("voice_url")) if url}
    entries = app.journal.entries(contains=contains, direction="outbound")
    return Response.json({"alerts": alerts(entries, twiml_urls=twiml_urls)})


def list_messages(app: TwilioFake, request: Request) -> Response:
    """What the app sent (outbound), oldest first; ``direction=inbound|all`` to see the rest."""
    to, from_ = request.query.get("to"), request.query.get("from")
    direction = request.query.get("direction") or "outbound"
    if direction not in ("outbound", "inbound", "all"):
        raise control_error(422, "direction must be outbound, inbound or all")
    with app.lock:
        selected = [
            m.to_control_json()
            for m in app.messages.values()
            if (not to or m.to == to)
            and (not from_ or m.from_ == from_)
            and (direction == "all" or (m.direction == "inbound") == (direction == "inbound"))
        ]
    return Response.json({"messages": selected})


def force_message_status(app: TwilioFake, request: Request) -> Response:
    data = request.json_object()
    status = require_choice(data, "status", FORCEABLE_MESSAGE_STATUSES)
    if data.get("error_code") is not None:
        error_code: int | None = optional_int(data, "error_code", DEFAULT_FAILURE_CODE, minimum=1)
    else:
        error_code = DEFAULT_FAILURE_CODE if status in ("failed", "undelivered") else None
    sid = request.path_params["sid"]
    forced = progression.force_status(app, sid, status, error_code)
    if forced is None:
        raise control_error(404, f"no outbound message {sid}")
    return Response.json({"message_sid": sid, "status": status, **_delivery(forced.result)})


def list_numbers(app: TwilioFake, request: Request) -> Response:
    with app.lock:
        return Response.json({"numbers": [n.to_json() for n in app.numbers.values()]})


def list_brands(app: TwilioFake, request: Request) -> Response:
    with app.lock:
        return Response.json({"brands": [b.to_json("") for b in app.brands.values()]})


def set_brand_status(app: TwilioFake, request: Request) -> Response:
    """Change a brand's status and post the signed compliance callback (if a URL is known)."""
    data = request.json_object()
    status = require_choice(data, "status", BRAND_STATUSES)
    callback_url = optional_str(data, "callback_url")
    failure_reason = optional_str(data, "failure_reason")
    sid = request.path_params["sid"]
    with app.lock:
        brand = app.brands.get(sid)
        if brand is None:
            raise control_error(404, f"no brand registration {sid}")
        brand.status = status
        brand.failure_reason = (failure_reason or "Brand registration failed") if status == "FAILED" else None
        brand.tcr_id = brand.tcr_id or ("B" + sid[-6:].upper() if status == "APPROVED" else None)
        brand.date_updated = utc_now()
        url = callback_url or app.config.compliance_callback_url
        params = compliance_params(
            account_sid=app.config.account_sid, brand_sid=sid, status=status, failure_reason=brand.failure_reason
        )
    result = None
    if url:
        result = app.webhooks.deliver(app.signed(url, params, kind="compliance"))
    note = None if url else "no compliance callback URL configured: status changed, nothing posted"
    return Response.json({"brand_sid": sid, "status": status, "callback_url": url, "note": note, **_delivery(result)})


def update_config(app: TwilioFake, request: Request) -> Response:
    """Change runtime settings; everything is validated before anything changes."""
    data = request.json_object()
    unknown = set(data) - {"compliance_callback_url", "status_interval_ms", "auto_status", "idempotency_tokens"}
    if unknown:
        raise control_error(422, f"unknown config field(s): {', '.join(sorted(unknown))}")
    with app.lock:
        config = app.config
        callback_url = optional_str(data, "compliance_callback_url", config.compliance_callback_url)
        interval = optional_int(data, "status_interval_ms", config.status_interval_ms, minimum=0, maximum=600_000)
        auto_status = optional_bool(data, "auto_status", config.auto_status)
        tokens = optional_bool(data, "idempotency_tokens", config.idempotency_tokens)
        if "compliance_callback_url" in data:
            config.compliance_callback_url = callback_url or None
        config.status_interval_ms = interval
        config.auto_status = auto_status
        config.idempotency_tokens = tokens
        return Response.json(config.to_dict())
