"""Assembles the application: settings, database, providers, routers, worker. Nothing else lives here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

import app.handlers  # noqa: F401  registers every outbox handler
from app import errors, middleware
from app.calendars.poller import CalendarPoller
from app.db import Database
from app.health import router as health_router
from app.identity import api as identity_api
from app.identity import security
from app.identity import views as identity_views
from app.operator import api as operator_api
from app.outbox.notify import notify_on_commit
from app.outbox.worker import OutboxWorker
from app.providers import Telephony
from app.providers.factory import build_telephony
from app.routers import domain_routers
from app.settings import Settings, get_settings


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    telephony: Telephony | None = None,
    start_worker: bool | None = None,
) -> FastAPI:
    """Builds the app. Tests pass their own settings, database and an in-memory telephony."""
    settings = settings or get_settings()
    database = database or Database(settings.database_url)
    run_worker = settings.run_worker_in_process if start_worker is None else start_worker
    if not run_worker and database.dialect == "postgresql":
        # The events this process commits are handled by a worker elsewhere (`python -m app worker`):
        # tell it at commit instead of leaving them to its next poll.
        notify_on_commit(database)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if run_worker:
            app.state.worker = OutboxWorker(database, settings, app.state)
            app.state.worker.start()
            app.state.calendar_poller = CalendarPoller(database, settings)
            app.state.calendar_poller.start()
        yield
        if app.state.worker is not None:
            app.state.worker.stop()
        if app.state.calendar_poller is not None:
            app.state.calendar_poller.stop()

    app = FastAPI(title="NeverMissCall", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.db = database
    app.state.telephony = telephony if telephony is not None else build_telephony(settings)
    app.state.worker = None
    app.state.calendar_poller = None

    security.dummy_hash(settings)  # computed now, so no sign-in (known email or not) pays for it
    errors.install(app)
    middleware.install(app, settings)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    routers = [health_router, identity_views.router, identity_api.router, *domain_routers()]
    if settings.operator_token:
        routers.append(operator_api.router)
    for router in routers:
        app.include_router(router)
    # Kept for introspection (route-table tests): FastAPI's own included-router objects are internal.
    app.state.routers = routers
    return app
