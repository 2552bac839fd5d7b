"""`_open_or_create`: one live conversation per caller and number, even when two webhooks for a new caller race."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.compliance import service as compliance_service
from app.compliance.keywords import Keyword
from app.conversations import service as conversations_service
from app.conversations.models import Conversation, Message
from app.db import Database
from app.tenancy.models import Tenant
from tests.messaging.conftest import CUSTOMER
from tests.messaging.racing import committed_tenant_id, second_while_first_is_open

BUSINESS = "+15005550199"


def missed_call(db: Session, tenant_id: str, call_sid: str) -> Conversation:
    tenant = db.get_one(Tenant, tenant_id)
    return conversations_service.record_missed_call(db=db, tenant=tenant, customer_phone=CUSTOMER,
                                                    business_phone=BUSINESS, call_sid=call_sid, call_status="no-answer")


def conversations_with_calls(database: Database) -> dict[str, list[str]]:
    """conversation id -> the call lines in its thread."""
    with database.session() as db:
        rows = db.execute(select(Message.conversation_id, Message.dedupe_key).where(Message.dedupe_key.like("call:%"))
                          .order_by(Message.dedupe_key)).all()
        found: dict[str, list[str]] = {}
        for conversation_id, key in rows:
            found.setdefault(conversation_id, []).append(key)
        return found


def test_a_new_caller_gets_one_conversation_and_a_second_call_joins_it(database: Database) -> None:
    tenant_id = committed_tenant_id(database, "Race Plumbing")
    with database.session() as db:
        first = missed_call(db, tenant_id, "CA0001")
        assert (first.state, first.customer_phone, first.business_phone) == ("open", CUSTOMER, BUSINESS)
        db.commit()
    with database.session() as db:
        assert missed_call(db, tenant_id, "CA0002").id == first.id
        db.commit()
    assert conversations_with_calls(database) == {first.id: ["call:CA0001", "call:CA0002"]}


def test_an_opted_out_caller_gets_a_blocked_conversation(database: Database) -> None:
    tenant_id = committed_tenant_id(database, "Race Plumbing")
    with database.session() as db:
        compliance_service.record_keyword(db=db, tenant=db.get_one(Tenant, tenant_id), customer_phone=CUSTOMER,
                                          keyword=Keyword.STOP, word="STOP")
        assert missed_call(db, tenant_id, "CA0001").state == "blocked"
        db.commit()


def racing_calls(database: Database, tenant_id: str, *, first_commits: bool) -> tuple[str, str]:
    """Call CA0001 creates the caller's conversation and its transaction stays open while CA0002 arrives."""
    return second_while_first_is_open(database, lambda db: missed_call(db, tenant_id, "CA0001").id,
                                      lambda db: missed_call(db, tenant_id, "CA0002").id, first_commits=first_commits)


def test_a_racing_call_waits_and_joins_the_conversation_the_first_created(database: Database) -> None:
    tenant_id = committed_tenant_id(database, "Race Plumbing")
    first_id, second_id = racing_calls(database, tenant_id, first_commits=True)
    assert second_id == first_id
    assert conversations_with_calls(database) == {first_id: ["call:CA0001", "call:CA0002"]}


def test_a_racing_call_creates_the_conversation_when_the_first_rolls_back(database: Database) -> None:
    tenant_id = committed_tenant_id(database, "Race Plumbing")
    first_id, second_id = racing_calls(database, tenant_id, first_commits=False)
    assert second_id != first_id
    assert conversations_with_calls(database) == {second_id: ["call:CA0002"]}
