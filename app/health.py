"""Liveness/readiness: the database answers and the outbox worker runs."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(request: Request) -> JSONResponse:
    try:
        with request.app.state.db.session() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "reason": f"database: {type(exc).__name__}"}, status_code=503)
    worker = request.app.state.worker
    if request.app.state.settings.run_worker_in_process and (worker is None or not worker.alive):
        return JSONResponse({"status": "unavailable", "reason": "outbox worker not running"}, status_code=503)
    return JSONResponse({"status": "ok"})
