"""The calendar page (OWNER: connect Google Calendar and/or Jobber, see each one's sync status), Google's push
webhook and Jobber's signed webhook."""

from __future__ import annotations

import hmac
import json
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import RedirectResponse, Response

from app.calendars import google, jobber
from app.calendars import service as calendars_service
from app.calendars.models import CalendarConnection
from app.deps import AppSettings, DbSession, OwnerAuth
from app.errors import AppError, BadRequest, Forbidden, ValidationFailed
from app.ui import nav
from app.ui.templating import render

log = logging.getLogger("app.calendars")
router = APIRouter(tags=["pages"], include_in_schema=False)
webhook_router = APIRouter(prefix="/webhooks", tags=["webhooks"], include_in_schema=False)
nav.register("Calendar", "/calendar", order=70, owner_only=True)

# What the page says for each error code a redirect can carry: codes only, so words slipped into a link (a doctored
# "/calendar?error=Your account was suspended. Call ...") are never shown as the app's own.
CONNECT_ERRORS = {
    "expired": "The connection request expired. Try again.",
    "google_declined": "Google Calendar was not connected.",
    "google_failed": "Google Calendar could not be connected. Try again.",
    "jobber_declined": "Jobber was not connected.",
    "jobber_failed": "Jobber could not be connected. Try again.",
}


def _callback_url(settings: AppSettings, provider: str = "google") -> str:
    return f"{settings.public_base_url.rstrip('/')}/calendar/{provider}/callback"


async def raw_body(request: Request) -> bytes:
    """The exact request bytes: Jobber's signature covers them, not a re-encoded JSON."""
    return await request.body()


@router.get("/calendar")
def calendar_page(request: Request, db: DbSession, auth: OwnerAuth) -> Response:
    connection = calendars_service.connection_for(db=db, tenant_id=auth.tenant.id)
    jobber_connection = calendars_service.connection_for(db=db, tenant_id=auth.tenant.id,
                                                         provider=calendars_service.JOBBER)
    return render(request, "calendar/index.html", {
        "connection": connection, "jobber": jobber_connection,
        "error": CONNECT_ERRORS.get(request.query_params.get("error", ""), ""),
        "connected": request.query_params.get("connected") == "1",
        "jobber_connected": request.query_params.get("connected") == "jobber"})


@router.post("/calendar/google/connect")
def connect_google(settings: AppSettings, auth: OwnerAuth) -> Response:
    """Sends the owner to Google's consent page; Google sends them back to the callback."""
    if not settings.google_client_id:
        raise ValidationFailed("Google Calendar is not configured on this server", code="calendar_not_configured")
    url = google.authorize_url(settings=settings, redirect_uri=_callback_url(settings),
                               state=calendars_service.connect_state(settings=settings, tenant_id=auth.tenant.id),
                               login_hint=auth.user.email)
    return RedirectResponse(url, status_code=303)


@router.get("/calendar/google/callback")
def google_callback(
    db: DbSession, settings: AppSettings, auth: OwnerAuth,
    code: Annotated[str, Query(max_length=2000)] = "", state: Annotated[str, Query(max_length=200)] = "",
    error: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    expected = calendars_service.connect_state(settings=settings, tenant_id=auth.tenant.id)
    if not hmac.compare_digest(state, expected):
        return RedirectResponse("/calendar?error=expired", status_code=303)
    if error or not code:
        return RedirectResponse("/calendar?error=google_declined", status_code=303)
    try:
        calendars_service.complete_connect(db=db, settings=settings, tenant=auth.tenant, code=code,
                                           redirect_uri=_callback_url(settings))
    except (google.CalendarError, AppError) as exc:
        db.rollback()
        log.warning("google calendar connect failed: %s", exc, extra={"tenant_id": auth.tenant.id})
        return RedirectResponse("/calendar?error=google_failed", status_code=303)
    db.commit()
    return RedirectResponse("/calendar?connected=1", status_code=303)


@router.post("/calendar/jobber/connect")
def connect_jobber(settings: AppSettings, auth: OwnerAuth) -> Response:
    """Sends the owner to Jobber's consent page; Jobber sends them back to the callback."""
    if not settings.jobber_client_id:
        raise ValidationFailed("Jobber is not configured on this server", code="calendar_not_configured")
    url = jobber.authorize_url(settings=settings, redirect_uri=_callback_url(settings, "jobber"),
                               state=calendars_service.connect_state(settings=settings, tenant_id=auth.tenant.id,
                                                                     provider=calendars_service.JOBBER))
    return RedirectResponse(url, status_code=303)


@router.get("/calendar/jobber/callback")
def jobber_callback(
    db: DbSession, settings: AppSettings, auth: OwnerAuth,
    code: Annotated[str, Query(max_length=2000)] = "", state: Annotated[str, Query(max_length=200)] = "",
    error: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    expected = calendars_service.connect_state(settings=settings, tenant_id=auth.tenant.id,
                                               provider=calendars_service.JOBBER)
    if not hmac.compare_digest(state, expected):
        return RedirectResponse("/calendar?error=expired", status_code=303)
    if error or not code:
        return RedirectResponse("/calendar?error=jobber_declined", status_code=303)
    try:
        calendars_service.complete_jobber_connect(db=db, settings=settings, tenant=auth.tenant, code=code,
                                                  redirect_uri=_callback_url(settings, "jobber"))
    except (google.CalendarError, AppError) as exc:
        db.rollback()
        log.warning("jobber connect failed: %s", exc, extra={"tenant_id": auth.tenant.id})
        return RedirectResponse("/calendar?error=jobber_failed", status_code=303)
    db.commit()
    return RedirectResponse("/calendar?connected=jobber", status_code=303)


@webhook_router.post("/jobber")
def jobber_webhook(
    db: DbSession, settings: AppSettings, body: Annotated[bytes, Depends(raw_body)],
    signature: Annotated[str, Header(alias=jobber.SIGNATURE_HEADER, max_length=200)] = "",
) -> Response:
    """Jobber's webhook: a visit of an account changed. The signature is checked before the body is read;
    then every connection of that account syncs (through the outbox: Jobber wants an answer within 1 s)."""
    if not jobber.signature_valid(settings=settings, body=body, signature=signature):
        log.warning("jobber webhook refused: missing or wrong signature")
        raise Forbidden("missing or wrong X-Jobber-Hmac-SHA256 signature", code="invalid_signature")
    try:
        event = json.loads(body)["data"]["webHookEvent"]
        account_id, topic = str(event["accountId"]), str(event["topic"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BadRequest("expected {data: {webHookEvent: {topic, accountId, ...}}}", code="invalid_payload") from exc
    connections = calendars_service.jobber_connections(db=db, account_id=account_id)
    if topic.startswith("VISIT_"):
        for connection in connections:
            calendars_service.request_sync(db=db, connection=connection, reason="webhook")
        db.commit()
    # 200 for an account nobody here connects (any more): Jobber disables apps whose webhooks keep failing.
    return Response(status_code=200)


@webhook_router.post("/google/calendar")
def google_push(  # nosec B107  # empty header defaults mean "not sent", refused as an unknown channel
    db: DbSession,
    settings: AppSettings,
    channel_id: Annotated[str, Header(alias="X-Goog-Channel-ID", max_length=64)] = "",
    resource_state: Annotated[str, Header(alias="X-Goog-Resource-State", max_length=32)] = "",
    channel_token: Annotated[str, Header(alias="X-Goog-Channel-Token", max_length=200)] = "",
) -> Response:
    """Google's push notification: `sync` opens the channel, anything else means "something changed".

    Google does not sign these; the channel id and the token we chose when opening the channel are the
    credential, so an unknown channel, a wrong token or a server without Google configured is a 403.
    """
    if not channel_id or not resource_state:
        raise BadRequest("X-Goog-Channel-ID and X-Goog-Resource-State are required", code="invalid_signature")
    connection = db.query(CalendarConnection).filter_by(channel_id=channel_id).one_or_none()
    if (not settings.google_client_id or connection is None
            or not hmac.compare_digest(channel_token, connection.channel_token or "")):
        log.warning("google push refused: unknown channel or wrong token")
        raise Forbidden("unknown channel or wrong channel token", code="invalid_signature")
    if resource_state != "sync":
        calendars_service.request_sync(db=db, connection=connection, reason="webhook")
        db.commit()
    return Response(status_code=200)
