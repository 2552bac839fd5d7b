"""Provider tokens are stored encrypted (app/calendars/token_box.py): after connecting Google Calendar and
Jobber, no token either fake issued appears in the database (read back with plain SQL) or in the logs, yet
both connections sync. A token stored before encryption is sealed by the next sync; after a SECRET_KEY
change the Calendar page asks the owner to connect again instead of failing obscurely."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from app.calendars import service as calendars_service
from app.calendars import token_box
from app.calendars.models import CalendarConnection
from app.db import Database
from app.outbox.worker import OutboxWorker
from app.settings import Settings
from fakes.google import RunningGoogle
from fakes.jobber import RunningJobber, running_jobber
from tests.calendars import test_google_sync, test_jobber_sync
from tests.calendars.conftest import POLL_INTERVAL_S, calendar_of
from tests.conftest import make_settings


@pytest.fixture
def jobber() -> Iterator[RunningJobber]:
    with running_jobber(client_secret=test_jobber_sync.SECRET) as fake:  # no webhooks: syncs come from the poll
        yield fake


@pytest.fixture
def settings(database_url: str, google: RunningGoogle, jobber: RunningJobber) -> Settings:
    return make_settings(database_url, google_client_id="nmc-test-client", google_client_secret="nmc-test-secret",
                         google_api_base=google.base_url, google_oauth_base=google.base_url,
                         google_token_url=google.base_url + "/token", google_http_timeout_seconds=1.0,
                         jobber_client_id="nmc-test-client", jobber_client_secret=test_jobber_sync.SECRET,
                         jobber_api_base=jobber.base_url, jobber_http_timeout_seconds=1.0,
                         calendar_poll_interval_seconds=POLL_INTERVAL_S)


def stored_tokens(database: Database) -> list[str]:
    with database.session() as db:
        rows = db.execute(text("SELECT access_token, refresh_token FROM calendar_connections")).all()
    return [value for row in rows for value in row if value]


def test_tokens_are_stored_encrypted_and_never_logged(
    shop: dict[str, Any], login_as: Callable[..., TestClient], google: RunningGoogle, jobber: RunningJobber,
    worker: OutboxWorker, database: Database, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    google.control.add_event(calendar_of(shop), start=test_google_sync.local(10), end=test_google_sync.local(11))
    jobber.control.add_visit(calendar_of(shop), start=test_google_sync.local(12), end=test_google_sync.local(13))
    test_google_sync.connected(shop, login_as, google, worker, database)
    test_jobber_sync.connected(shop, login_as, jobber, worker, database)
    issued = [*google.app.access_tokens, *google.app.refresh_tokens, *jobber.app.access_tokens,
              *jobber.app.refresh_tokens]
    assert len(issued) == 4
    stored = stored_tokens(database)
    assert len(stored) == 4 and all(value.startswith(token_box.PREFIX) for value in stored), stored
    leaked = [token for token in issued if any(token in value for value in stored) or token in caplog.text]
    assert not leaked, "plaintext tokens in the database or the log"
    # Encrypted, and still usable: both syncs read their provider's busy time.
    assert {row[0] for row in test_jobber_sync.busy_rows(database, shop["id"])} == {"google", "jobber"}


def test_a_token_stored_before_encryption_is_sealed_by_the_next_sync(
    shop: dict[str, Any], login_as: Callable[..., TestClient], jobber: RunningJobber, worker: OutboxWorker,
    database: Database, settings: Settings, set_clock: Callable[..., Any],
) -> None:
    test_jobber_sync.connected(shop, login_as, jobber, worker, database)
    with database.session() as db:  # as a row written before this change would hold it
        connection = db.scalars(select(CalendarConnection)).one()
        plain = token_box.access_token(settings, connection)
        connection.access_token = plain
        db.commit()
    set_clock(shop, advance=POLL_INTERVAL_S)
    assert calendars_service.poll_due(database=database, settings=settings) == 1
    (access, _refresh) = stored_tokens(database)
    assert access.startswith(token_box.PREFIX) and plain not in access


def test_after_a_secret_key_change_the_owner_is_asked_to_connect_again(
    shop: dict[str, Any], login_as: Callable[..., TestClient], jobber: RunningJobber, worker: OutboxWorker,
    database: Database, settings: Settings, set_clock: Callable[..., Any],
) -> None:
    owner = test_jobber_sync.connected(shop, login_as, jobber, worker, database)
    rotated = settings.model_copy(update={"secret_key": settings.secret_key + "-rotated"})
    set_clock(shop, advance=POLL_INTERVAL_S)
    assert calendars_service.poll_due(database=database, settings=rotated) == 0
    page = owner.get("/calendar").text
    assert 'data-testid="jobber-status" data-state="error"' in page and "connect the calendar again" in page
