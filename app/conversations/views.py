"""Inbox page. (Threads, takeover and the composer arrive with the messaging domain.)"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app.deps import CurrentAuth
from app.ui import nav
from app.ui.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)
nav.register("Inbox", "/inbox", order=10)


@router.get("/")
def home() -> Response:
    return RedirectResponse("/inbox", status_code=303)


@router.get("/inbox")
def inbox(request: Request, auth: CurrentAuth) -> Response:
    return render(request, "inbox.html", {"conversations": []})
