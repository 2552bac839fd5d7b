"""The calendar poll: a thread beside the outbox worker that syncs each connection when its next poll is due
on its tenant's clock (so a missed push notification costs at most one poll interval)."""

from __future__ import annotations

import logging
import threading

from app.calendars import service as calendars_service
from app.db import Database
from app.settings import Settings

log = logging.getLogger("app.calendars")


class CalendarPoller:
    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="calendar-poller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        # Checking is one cheap query; the tick is short so that moving a tenant's clock past its poll
        # interval is noticed within about a second.
        while not self._stop.wait(self.settings.calendar_poll_tick_seconds):
            try:
                calendars_service.poll_due(database=self.database, settings=self.settings)
            except Exception:  # keep polling: one bad round must not stop the thread for good
                log.exception("calendar poll round failed")
