"""The dashboard page: first-response figures."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.deps import CurrentAuth, DbSession
from app.reporting.api import first_response_figures
from app.ui import nav
from app.ui.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)
nav.register("Dashboard", "/dashboard", order=15)


def duration_label(ms: int | None) -> str:
    """'—', '850 ms', '4.2 s', '3 min 5 s', '2 h 10 min'."""
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{ms} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


@router.get("/dashboard")
def dashboard(request: Request, db: DbSession, auth: CurrentAuth) -> Response:
    figures = first_response_figures(db=db, auth=auth, days=14)
    slowest = max((d.p95_ms or 0 for d in figures.days), default=0) or 1
    return render(request, "dashboard/index.html",
                  {"figures": figures, "duration": duration_label, "slowest_ms": slowest})
