"""Command line: `python -m app migrate | downgrade | serve | worker`."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import SimpleNamespace

from app import logs
from app.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app", description="NeverMissCall application")
    sub = parser.add_subparsers(dest="command", required=True)
    migrate = sub.add_parser("migrate", help="upgrade the database schema (default: to the newest)")
    migrate.add_argument("--revision", default="heads")
    downgrade = sub.add_parser("downgrade", help="downgrade the database schema")
    downgrade.add_argument("--revision", default="base")
    serve = sub.add_parser("serve", help="run the web app (and the outbox worker in-process)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-migrate", action="store_true", help="do not upgrade the schema before serving")
    serve.add_argument("--no-worker", action="store_true", help="run the outbox worker separately")
    sub.add_parser("worker", help="run the outbox worker on its own")
    args = parser.parse_args(argv)

    try:
        settings = get_settings()
    except Exception as exc:  # a configuration error deserves one clear line, not a traceback
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level, settings.log_file)

    if args.command == "migrate":
        from app import migrations

        migrations.upgrade(settings.database_url, args.revision)
        return 0
    if args.command == "downgrade":
        from app import migrations

        migrations.downgrade(settings.database_url, args.revision)
        return 0
    if args.command == "serve":
        import uvicorn

        from app.main import create_app

        if not args.no_migrate:
            from app import migrations  # Alembic is a ~0.4 s import: only when there is migrating to do

            migrations.upgrade(settings.database_url)
            logs.configure(settings.log_level, settings.log_file)  # alembic's fileConfig-free setup keeps ours
        if args.no_worker:  # the worker runs as its own process: /healthz must not wait for one in this one
            settings.run_worker_in_process = False
        app = create_app(settings)
        # proxy_headers off: uvicorn would otherwise take the client address from X-Forwarded-For sent by any
        # peer on 127.0.0.1, and the per-address sign-in limit (identity/ratelimit.py) would count whatever
        # a client writes there. Behind a real proxy, run uvicorn yourself with --forwarded-allow-ips.
        uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False, proxy_headers=False)
        return 0
    return run_worker(settings)


LISTEN_TIMEOUT_S = 10.0


def run_worker(settings: object) -> int:
    from app.db import Database
    from app.outbox.worker import OutboxWorker
    from app.providers.factory import build_telephony
    from app.settings import Settings

    assert isinstance(settings, Settings)
    import app.handlers  # noqa: F401  registers every event handler

    db = Database(settings.database_url)
    services = SimpleNamespace(settings=settings, db=db, telephony=build_telephony(settings))
    worker = OutboxWorker(db, settings, services)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    log = logging.getLogger("app.outbox")
    listener = None
    if db.dialect == "postgresql":
        from app.outbox.notify import OutboxListener

        # `serve --no-worker` NOTIFYs at every commit that emitted events; listening turns the poll into
        # a safety net. Wait (briefly) for the LISTEN, so "running" below means "woken on commit".
        listener = OutboxListener(settings.database_url).start()
        if not listener.listening.wait(LISTEN_TIMEOUT_S):
            log.warning("outbox listener not listening after %.0fs; polling until it is", LISTEN_TIMEOUT_S)
    worker.start()
    from app.calendars.poller import CalendarPoller

    poller = CalendarPoller(db, settings)  # the calendar poll runs wherever the outbox worker runs
    poller.start()
    woken_by = "NOTIFY and a poll" if listener is not None else "a poll"
    log.info("standalone worker running, woken by %s every %gs; Ctrl-C to stop", woken_by,
             settings.outbox_poll_interval_seconds)
    stop.wait()
    worker.stop()
    poller.stop()
    if listener is not None:
        listener.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
