"""JSON API for the dashboard: first-response figures."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.api_errors import error_responses
from app.conversations import service as conversations_service
from app.deps import CurrentAuth, DbSession
from app.reporting import service as reporting_service

router = APIRouter(prefix="/api/v1", tags=["dashboard"])


class DayOut(BaseModel):
    day: date = Field(description="a day in the tenant's time zone")
    samples: int = Field(description="waits answered that day")
    unanswered: int = Field(description="waits that started that day and are still unanswered")
    p50_ms: int | None
    p95_ms: int | None


class PeriodOut(BaseModel):
    first_day: date
    last_day: date
    samples: int
    unanswered: int
    p50_ms: int | None
    p95_ms: int | None


class FirstResponseOut(BaseModel):
    timezone: str
    today: date
    last_7_days: PeriodOut
    days: list[DayOut] = Field(description="newest first")
    needs_attention: int = Field(description="conversations flagged for a person right now")


def first_response_figures(*, db: DbSession, auth: CurrentAuth, days: int) -> FirstResponseOut:
    tenant = auth.tenant
    period = reporting_service.period_figures(db=db, tenant=tenant, days=7)
    return FirstResponseOut(
        timezone=tenant.timezone, today=reporting_service.local_today(tenant=tenant),
        last_7_days=PeriodOut(**vars(period)),
        days=[DayOut(**vars(d)) for d in reporting_service.daily_figures(db=db, tenant=tenant, days=days)],
        needs_attention=conversations_service.count_needing_attention(db=db, tenant_id=tenant.id),
    )


@router.get("/dashboard/first-response", response_model=FirstResponseOut, responses=error_responses(401, 403, 422))
def first_response(db: DbSession, auth: CurrentAuth, days: Annotated[int, Query(ge=1, le=90)] = 14) -> FirstResponseOut:
    """Latency from a missed call or a text to the first reply: p50/p95 per tenant-local day and for 7 days."""
    return first_response_figures(db=db, auth=auth, days=days)
