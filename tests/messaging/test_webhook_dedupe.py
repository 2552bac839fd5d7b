"""`record_webhook`: a Twilio webhook is stored once, in one statement, even when replays race it."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import Database
from app.telephony import service as telephony_service
from app.telephony.models import WebhookEvent
from tests.messaging.racing import committed_tenant_id, second_while_first_is_open

PAYLOAD = {"CallSid": "CA0001", "CallStatus": "no-answer"}


def record(db: Session, tenant_id: str, key: str = "voice-status:CA0001:no-answer") -> bool:
    return telephony_service.record_webhook(db=db, tenant_id=tenant_id, kind="voice-status", key=key,
                                            provider_ref="CA0001", payload=PAYLOAD)


def stored(database: Database) -> list[tuple[str, str, dict[str, str]]]:
    with database.session() as db:
        rows = db.scalars(select(WebhookEvent).order_by(WebhookEvent.received_at)).all()
        return [(row.kind, row.dedupe_key, dict(row.payload)) for row in rows]


def test_the_first_delivery_is_stored_and_a_replay_is_not(database: Database) -> None:
    tenant_id = committed_tenant_id(database, "Dedupe Plumbing")
    with database.session() as db:
        assert record(db, tenant_id) is True
        db.commit()
    with database.session() as db:
        assert record(db, tenant_id) is False
        assert record(db, tenant_id, key="voice-status:CA0001:completed") is True  # another status: a new event
        db.commit()
    assert stored(database) == [
        ("voice-status", "voice-status:CA0001:no-answer", PAYLOAD),
        ("voice-status", "voice-status:CA0001:completed", PAYLOAD),
    ]


def test_a_replay_in_the_same_transaction_is_not_stored_twice(database: Database) -> None:
    tenant_id = committed_tenant_id(database, "Dedupe Plumbing")
    with database.session() as db:
        assert [record(db, tenant_id), record(db, tenant_id)] == [True, False]
        db.commit()
        assert db.scalar(select(func.count()).select_from(WebhookEvent)) == 1


def test_a_racing_replay_waits_for_the_first_delivery_and_stores_nothing(database: Database) -> None:
    tenant_id = committed_tenant_id(database, "Dedupe Plumbing")
    assert second_while_first_is_open(database, lambda db: record(db, tenant_id), lambda db: record(db, tenant_id),
                                      first_commits=True) == (True, False)
    assert len(stored(database)) == 1


def test_a_racing_replay_is_stored_when_the_first_delivery_rolls_back(database: Database) -> None:
    tenant_id = committed_tenant_id(database, "Dedupe Plumbing")
    assert second_while_first_is_open(database, lambda db: record(db, tenant_id), lambda db: record(db, tenant_id),
                                      first_commits=False) == (True, True)
    assert len(stored(database)) == 1
