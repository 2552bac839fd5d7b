"""REST API 2010-04-01: Messages and IncomingPhoneNumbers under ``/2010-04-01/Accounts/{sid}/``."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from fakes.core import Request, Response
from fakes.twilio import errors, progression
from fakes.twilio.models import NUMBER_SETTABLE_FIELDS, Message, PhoneNumber
from fakes.twilio.paging import page_request, v2010_page
from fakes.twilio.shapes import API_VERSION, friendly_name, is_e164, new_sid, num_segments, utc_now

if TYPE_CHECKING:
    from fakes.twilio.app import TwilioFake

ACCOUNT = rf"/{API_VERSION}/Accounts/(?P<account>[^/]+)"
JSON = r"(?:\.json)?"
MAX_BODY_CHARS = 1600

TwilioHandler = Callable[["TwilioFake", Request], Response]


def install(app: TwilioFake) -> None:
    routes: list[tuple[str, str, TwilioHandler]] = [
        ("POST", rf"{ACCOUNT}/Messages{JSON}", create_message),
        ("GET", rf"{ACCOUNT}/Messages{JSON}", list_messages),
        ("GET", rf"{ACCOUNT}/Messages/(?P<sid>[^/]+?){JSON}", fetch_message),
        ("DELETE", rf"{ACCOUNT}/Messages/(?P<sid>[^/]+?){JSON}", delete_message),
        ("POST", rf"{ACCOUNT}/IncomingPhoneNumbers{JSON}", create_number),
        ("GET", rf"{ACCOUNT}/IncomingPhoneNumbers{JSON}", list_numbers),
        ("GET", rf"{ACCOUNT}/IncomingPhoneNumbers/(?P<sid>[^/]+?){JSON}", fetch_number),
        ("POST", rf"{ACCOUNT}/IncomingPhoneNumbers/(?P<sid>[^/]+?){JSON}", update_number),
        ("DELETE", rf"{ACCOUNT}/IncomingPhoneNumbers/(?P<sid>[^/]+?){JSON}", delete_number),
    ]
    for method, pattern, handler in routes:
        app.router.add(method, pattern, _guarded(app, handler))


def _guarded(app: TwilioFake, handler: TwilioHandler) -> Callable[[Request], Response]:
    """Basic auth first (401), then the account in the path must be ours (404 like Twilio)."""

    def guarded(request: Request) -> Response:
        app.authenticate(request)
        if request.path_params.get("account") != app.config.account_sid:
            raise errors.not_found(request.path)
        return handler(app, request)

    return guarded


# -- Messages ------------------------------------------------------------------------------------
def create_message(app: TwilioFake, request: Request) -> Response:
    form = request.form()
    to, from_ = form.get("To") or "", form.get("From") or ""
    body, media = form.get("Body") or "", form.getall("MediaUrl")
    if not to:
        raise errors.to_required()
    if not is_e164(to):
        raise errors.invalid_to(to)
    if not from_:
        raise errors.from_required()
    if not body and not media:
        raise errors.body_required()
    if len(body) > MAX_BODY_CHARS:
        raise errors.body_too_long()
    with app.lock:
        if app.number_by_phone(from_) is None:
            raise errors.from_not_owned(from_)
        if app.opt_outs.is_opted_out(business=from_, customer=to):
            raise errors.opted_out()
        message = Message(
            sid=new_sid("SM"),
            account_sid=app.config.account_sid,
            from_=from_,
            to=to,
            body=body,
            num_segments=num_segments(body) if body else 1,
            num_media=len(media),
            status_callback=form.get("StatusCallback") or None,
        )
        app.messages[message.sid] = message
        payload = message.to_json()
    progression.start(app, message.sid)
    return Response.json(payload, 201)


def _message(app: TwilioFake, request: Request) -> Message:
    message = app.messages.get(request.path_params["sid"])
    if message is None:
        raise errors.not_found(request.path)
    return message


def fetch_message(app: TwilioFake, request: Request) -> Response:
    with app.lock:
        return Response.json(_message(app, request).to_json())


def delete_message(app: TwilioFake, request: Request) -> Response:
    with app.lock:
        del app.messages[_message(app, request).sid]
    return Response.empty(204)


def list_messages(app: TwilioFake, request: Request) -> Response:
    query = request.query
    page, page_size = page_request(query)
    filters = {key: query[key] for key in ("To", "From", "DateSent", "DateSent<", "DateSent>") if query.get(key)}
    with app.lock:
        selected = [m for m in reversed(app.messages.values()) if _message_matches(m, filters)]  # newest first
        records = [m.to_json() for m in selected]
    body = v2010_page(records, key="messages", path=request.path, filters=filters, page=page, page_size=page_size)
    return Response.json(body)


def _message_matches(message: Message, filters: dict[str, str]) -> bool:
    if "To" in filters and message.to != filters["To"]:
        return False
    if "From" in filters and message.from_ != filters["From"]:
        return False
    sent_on = (message.date_sent or message.date_created).date()
    for key, keep in (
        ("DateSent", lambda day: sent_on == day),
        ("DateSent<", lambda day: sent_on <= day),
        ("DateSent>", lambda day: sent_on >= day),
    ):
        if key in filters and not keep(_parse_date(filters[key])):
            return False
    return True


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise errors.twilio_error(20001, f"DateSent must be YYYY-MM-DD, got {text!r}") from None


# -- IncomingPhoneNumbers ---------------------------------------------------------------------------
def create_number(app: TwilioFake, request: Request) -> Response:
    form = request.form()
    phone = form.get("PhoneNumber") or ""
    area_code = form.get("AreaCode") or ""
    if not phone and not area_code:
        raise errors.number_or_area_code_required()
    with app.lock:
        if not phone:
            phone = _free_number_in(app, area_code)
        if not is_e164(phone):
            raise errors.invalid_phone_number(phone)
        if app.number_by_phone(phone) is not None:
            raise errors.number_unavailable(phone)
        settings = {json_name: form[param] for param, json_name in NUMBER_SETTABLE_FIELDS.items() if param in form}
        settings.setdefault("friendly_name", friendly_name(phone))
        number = PhoneNumber(sid=new_sid("PN"), account_sid=app.config.account_sid, phone_number=phone, settings=settings)
        app.numbers[number.sid] = number
        return Response.json(number.to_json(), 201)


def _free_number_in(app: TwilioFake, area_code: str) -> str:
    """A free fictional number ``+1 AAA 555 01xx`` (the range reserved for fiction)."""
    if not (area_code.isdigit() and len(area_code) == 3):
        raise errors.twilio_error(21452, f"No phone numbers found in area code {area_code}")
    for suffix in range(100):
        candidate = f"+1{area_code}55501{suffix:02d}"
        if app.number_by_phone(candidate) is None:
            return candidate
    raise errors.twilio_error(21452, f"No phone numbers found in area code {area_code}")


def _number(app: TwilioFake, request: Request) -> PhoneNumber:
    number = app.numbers.get(request.path_params["sid"])
    if number is None:
        raise errors.not_found(request.path)
    return number


def fetch_number(app: TwilioFake, request: Request) -> Response:
    with app.lock:
        return Response.json(_number(app, request).to_json())


def update_number(app: TwilioFake, request: Request) -> Response:
    form = request.form()
    with app.lock:
        number = _number(app, request)
        for param, json_name in NUMBER_SETTABLE_FIELDS.items():
            if param in form:
                number.settings[json_name] = form[param]
        number.date_updated = utc_now()
        return Response.json(number.to_json())


def delete_number(app: TwilioFake, request: Request) -> Response:
    with app.lock:
        del app.numbers[_number(app, request).sid]
    return Response.empty(204)


def list_numbers(app: TwilioFake, request: Request) -> Response:
    query = request.query
    page, page_size = page_request(query)
    filters = {key: query[key] for key in ("PhoneNumber", "FriendlyName") if query.get(key)}
    with app.lock:
        records = [n.to_json() for n in app.numbers.values() if _number_matches(n, filters)]
    body = v2010_page(
        records, key="incoming_phone_numbers", path=request.path, filters=filters, page=page, page_size=page_size
    )
    return Response.json(body)


def _number_matches(number: PhoneNumber, filters: dict[str, str]) -> bool:
    """Twilio matches ``PhoneNumber`` partially, ``*`` standing for any digit."""
    wanted = filters.get("PhoneNumber")
    if wanted and not fnmatch.fnmatchcase(number.phone_number, f"*{wanted.replace('*', '?')}*"):
        return False
    name = filters.get("FriendlyName")
    return not (name and number.settings.get("friendly_name") != name)
