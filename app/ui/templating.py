"""Jinja2 rendering with the context every page needs: user, tenant, navigation, banners, CSRF token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.ui import banners, nav

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATE_DIR))


def render(request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200) -> HTMLResponse:
    ctx: dict[str, Any] = dict(context or {})
    auth = getattr(request.state, "auth", None)
    ctx.setdefault("auth", auth)
    ctx.setdefault("csrf_token", getattr(request.state, "csrf_token", ""))
    ctx.setdefault("page_poll_ms", request.app.state.settings.page_poll_interval_ms)
    if auth is not None:
        ctx.setdefault("nav_items", nav.items_for(is_owner=auth.is_owner))
        db = getattr(request.state, "db", None)
        ctx.setdefault("banners", banners.banners_for(db, auth.tenant, auth.is_owner) if db is not None else [])
    else:
        ctx.setdefault("nav_items", [])
        ctx.setdefault("banners", [])
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
