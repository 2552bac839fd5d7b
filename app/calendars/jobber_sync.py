"""Jobber's side of calendar sync: its visits mirrored into the shadow table, appointments booked as visits.

Jobber has no sync tokens, so a sync reads every visit in a window around the tenant's now (from a day back
to as far ahead as a hold may be placed) and replaces the connection's rows with them. It is started by
Jobber's signed webhook and by the poll, like Google's (app/calendars/service.py runs both).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.calendars import jobber, token_box
from app.calendars.http import AccessTokenRejected
from app.calendars.models import CalendarConnection, ExternalBusy
from app.scheduling.models import Appointment
from app.settings import Settings

JOBBER = "jobber"
# Our own visits carry this at the start of their instructions, so the sync leaves them out: the appointment
# blocks its time already, and a cancelled one must not stay blocked through its Jobber copy.
OWN_VISIT_MARK = "Booked through NeverMissCall"
WINDOW_BEFORE = timedelta(days=1)  # visits that started yesterday may still run into today
WINDOW_AHEAD = timedelta(days=180)  # scheduling.MAX_DAYS_AHEAD: nothing later can be offered or held

T = TypeVar("T")


def with_fresh_token(settings: Settings, connection: CalendarConnection, work: Callable[[jobber.JobberApi], T]) -> T:
    """Runs `work`; when Jobber rejects the access token (they expire after an hour), refreshes it once and
    runs it again. The new tokens are set on the connection (Jobber rotates refresh tokens)."""
    try:
        return work(jobber.JobberApi(settings=settings, access_token=token_box.access_token(settings, connection)))
    except AccessTokenRejected:
        refresh_token = token_box.refresh_token(settings, connection)
        if not refresh_token:
            raise
    tokens = jobber.refresh(settings=settings, refresh_token=refresh_token)
    token_box.store(settings, connection, access_token=tokens["access_token"], refresh_token=tokens.get("refresh_token"))
    return work(jobber.JobberApi(settings=settings, access_token=tokens["access_token"]))


def sync(*, db: Session, settings: Settings, connection: CalendarConnection, now: datetime) -> int:
    """Replaces the connection's busy rows with the visits in the window; returns how many visits were read.
    Every Jobber call happens before the first write, so a failure changes nothing."""
    visits = with_fresh_token(settings, connection, lambda api: api.visits(start=now - WINDOW_BEFORE,
                                                                           end=now + WINDOW_AHEAD))
    db.execute(delete(ExternalBusy).where(ExternalBusy.connection_id == connection.id))
    seen: set[str] = set()
    for visit in visits:
        span = _span(visit)
        external_id = str(visit.get("id") or "")
        if span is None or not external_id or external_id in seen:
            continue
        if str(visit.get("instructions") or "").startswith(OWN_VISIT_MARK):
            continue
        seen.add(external_id)
        db.add(ExternalBusy(tenant_id=connection.tenant_id, connection_id=connection.id, provider=JOBBER,
                            external_id=external_id, starts_at=span[0], ends_at=span[1],
                            summary=str(visit.get("title") or "")[:200], updated_at=now))
    return len(visits)


def push(*, settings: Settings, connection: CalendarConnection, appointment: Appointment) -> str:
    """Books the appointment as a visit keyed by the appointment id (a retry returns the same visit)."""
    instructions = f"{OWN_VISIT_MARK}. Customer: {appointment.customer_name or 'unknown'}"
    return with_fresh_token(settings, connection, lambda api: api.create_visit(
        key=appointment.id, title=f"{appointment.service_name} (NeverMissCall)", instructions=instructions,
        start=appointment.starts_at, end=appointment.ends_at))


def _span(visit: dict[str, Any]) -> tuple[datetime, datetime] | None:
    """The visit's [start, end) in UTC; None when unscheduled or unreadable (an unscheduled visit blocks nothing)."""
    try:
        begins = datetime.fromisoformat(str(visit.get("startAt")).replace("Z", "+00:00"))
        ends = datetime.fromisoformat(str(visit.get("endAt")).replace("Z", "+00:00"))
    except ValueError:
        return None
    if begins.tzinfo is None or ends.tzinfo is None or ends <= begins:
        return None
    return begins.astimezone(UTC), ends.astimezone(UTC)
