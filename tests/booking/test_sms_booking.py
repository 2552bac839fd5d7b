"""The booking dialogue over SMS, through the real pipeline: inbound row -> outbox -> assistant -> booking
skill -> queue_outbound -> outbox -> telephony. Plus the confirmation SMS of a web booking, and a
provider timeout while sending it (the booking stands; the SMS is retried and sent once)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.booking import service as booking_service
from app.booking.models import BookingLink
from app.booking.skill import booking_skill, choices_text
from app.conversations import assistant
from app.conversations import service as conversations_service
from app.conversations.models import Conversation, Message
from app.db import Database
from app.outbox.worker import OutboxWorker
from app.scheduling.models import Appointment
from app.settings import Settings
from app.tenancy import service as tenancy_service
from tests.booking.conftest import FlakyTelephony, drain_all, tenant_row
from tests.conftest import csrf_of

CUSTOMER = "+15550100444"


class Phone:
    """A customer texting the shop's number; `text()` returns the replies the provider was asked to send."""

    def __init__(self, database: Database, worker: OutboxWorker, telephony: FlakyTelephony, shop: dict[str, Any],
                 number: str = CUSTOMER) -> None:
        self.database, self.worker, self.telephony, self.shop, self.number = database, worker, telephony, shop, number

    def text(self, body: str) -> str:
        with self.database.session() as session:
            tenant = tenancy_service.get(db=session, tenant_id=self.shop["id"])
            conversations_service.record_inbound_message(
                db=session, tenant=tenant, customer_phone=self.number, business_phone=self.shop["phone_number"],
                body=body, provider_sid=f"SM{uuid.uuid4().hex}",
            )
            session.commit()
        return self.drain()

    def drain(self) -> str:
        before = len(self.telephony.sent)
        drain_all(self.worker, self.database)
        return "\n".join(m["body"] for m in self.telephony.sent[before:] if m["to"] == self.number)

    def conversation_id(self) -> str:
        with self.database.session() as session:
            found = session.scalar(select(Conversation.id).where(Conversation.tenant_id == self.shop["id"],
                                                                 Conversation.customer_phone == self.number))
        assert found is not None
        return found

    def appointments(self) -> list[Appointment]:
        with self.database.session() as session:
            return list(session.scalars(select(Appointment).where(Appointment.tenant_id == self.shop["id"],
                                                                  Appointment.customer_phone == self.number)))


@pytest.fixture
def phone(database: Database, worker: OutboxWorker, telephony: FlakyTelephony, shop: dict[str, Any]) -> Phone:
    return Phone(database, worker, telephony, shop)


def token_in(reply: str) -> str:
    found = re.search(r"/book/([A-Za-z0-9_-]+)", reply)
    assert found, reply
    return found.group(1)


def test_quote_hold_and_book_by_sms(phone: Phone, telephony: FlakyTelephony, app: FastAPI) -> None:
    quote = phone.text("Hi, my kitchen sink is leaking under the cabinet")
    assert quote.startswith("Leak repair: $149, about 1 h.\n")
    assert "1) Mon Jan 7, 9:30 AM\n2) Mon Jan 7, 10:30 AM\n3) Mon Jan 7, 11:30 AM\n" in quote
    assert "Reply 1, 2 or 3 to hold a time, or book online: " in quote
    assert booking_service.link_url(token_in(quote)).endswith(f"/book/{token_in(quote)}")
    held = phone.text("2")
    assert held.startswith("Holding Mon Jan 7, 10:30 AM for you until ") and held.endswith("Reply YES to book it.")
    booked = phone.text("YES")
    assert booked.startswith("You're booked: Leak repair on Mon Jan 7, 10:30 AM, $149.")
    assert phone.drain() == ""  # the YES reply was the confirmation: no second one from AppointmentBooked
    [appointment] = phone.appointments()
    assert (appointment.source, appointment.price_cents, appointment.conversation_id) == (
        "sms", 14900, phone.conversation_id())
    assert appointment.confirmation_queued_at is not None
    assert sum(m["body"].startswith("You're booked") for m in telephony.sent) == 1
    with TestClient(app) as browser:  # the page of that link now shows the booking
        page = browser.get(f"/book/{token_in(quote)}/booked")
        assert "You're booked" in page.text


def test_a_slot_taken_meanwhile_gets_an_apology_and_fresh_offers(phone: Phone, db: Session,
                                                                 shop: dict[str, Any]) -> None:
    quote = phone.text("my drain is clogged")
    assert quote.startswith("Drain cleaning: $120, about 1 h 30 min.")
    tenant = tenant_row(db, shop)
    rival = booking_service.create_link(
        db=db, tenant=tenant, quote=booking_service.catalog_service.quote(db=db, tenant_id=tenant.id,
                                                                            item_id=shop["items"]["Drain cleaning"]))
    second_offer = re.search(r"2\) ([^\n]+)", quote).group(1)  # type: ignore[union-attr]
    slots = booking_service.offers_for(db=db, tenant=tenant, link=rival)
    booking_service.pick(db=db, tenant=tenant, link=rival, starts_at=slots[1].starts_at, source="web")
    db.commit()
    reply = phone.text("2")
    assert reply.startswith(f"Sorry, {second_offer} was just taken. Here are the next free times:")
    assert second_offer not in reply.split("\n", 1)[1]
    assert "Reply 1, 2 or 3" in reply
    held = phone.text("2")  # the second of the fresh offers
    assert held.startswith("Holding ")


def test_an_expired_hold_gets_fresh_offers(phone: Phone, set_clock: Callable[..., datetime],
                                           shop: dict[str, Any]) -> None:
    phone.text("leaking pipe")
    phone.text("1")
    set_clock(shop, advance=15 * 60)
    reply = phone.text("yes")
    assert reply.startswith("Sorry, your hold on Mon Jan 7, 9:30 AM expired. Here are the next free times:")
    assert phone.appointments() == []
    assert phone.text("1").startswith("Holding Mon Jan 7, 9:45 AM")  # 9:30 is free again, but the lead time moved


def test_yes_before_picking_and_out_of_range_numbers(phone: Phone) -> None:
    phone.text("leak")
    assert phone.text("YES").startswith("Please pick a time first:\n1) ")
    assert phone.text("7").startswith("Please reply 1, 2 or 3 to pick a time, or book online: ")


def test_texts_about_something_else_are_handed_to_a_person(phone: Phone, database: Database) -> None:
    reply = phone.text("Can you call me back about my invoice?")
    assert "/book/" not in reply and reply  # the fallback hand-off
    # a number with nothing offered is not a booking; the thread is flagged already, so no second hand-off
    assert phone.text("2") == "" and phone.appointments() == []
    with database.session() as session:
        conversation = session.get(Conversation, phone.conversation_id())
        assert conversation is not None and conversation.needs_attention


def test_a_web_booking_gets_one_confirmation_sms(phone: Phone, app: FastAPI, telephony: FlakyTelephony) -> None:
    token = token_in(phone.text("water heater is broken, no hot water"))
    with TestClient(app) as browser:
        page = browser.get(f"/book/{token}")
        start = re.findall(r'name="start" value="([^"]+)"', page.text)[0]
        browser.post(f"/book/{token}/hold", data={"start": start, "csrf_token": csrf_of(browser)})
        with phone.database.session() as session:
            hold_id = session.scalar(select(BookingLink.pending_hold_id).where(BookingLink.token == token))
        done = browser.post(f"/book/{token}/confirm", data={"hold_id": hold_id, "csrf_token": csrf_of(browser)},
                            follow_redirects=False)
        assert done.status_code == 303
    confirmation = phone.drain()
    assert confirmation == ("You're booked: Water heater install on Mon Jan 7, 9:30 AM, $1,200. "
                            f"{phone.shop['name']} will see you then. Reply here if you need to change it.")
    assert phone.drain() == ""
    assert sum(m["body"].startswith("You're booked") for m in telephony.sent) == 1


def test_provider_timeout_on_the_confirmation_keeps_the_booking_and_retries(
    phone: Phone, app: FastAPI, telephony: FlakyTelephony, database: Database
) -> None:
    token = token_in(phone.text("leak"))
    telephony.fail_prefix, telephony.timeouts = "You're booked", 1
    with TestClient(app) as browser:
        start = re.findall(r'name="start" value="([^"]+)"', browser.get(f"/book/{token}").text)[0]
        browser.post(f"/book/{token}/hold", data={"start": start, "csrf_token": csrf_of(browser)})
        with database.session() as session:
            hold_id = session.scalar(select(BookingLink.pending_hold_id).where(BookingLink.token == token))
        browser.post(f"/book/{token}/confirm", data={"hold_id": hold_id, "csrf_token": csrf_of(browser)})
    phone.worker.drain()  # first attempt: the provider times out
    assert [b.startswith("You're booked") for b in telephony.attempts].count(True) == 1
    assert not any(m["body"].startswith("You're booked") for m in telephony.sent)
    assert len(phone.appointments()) == 1  # the booking stands
    confirmation = phone.drain()  # the retry
    assert confirmation.startswith("You're booked: Leak repair")
    assert [b.startswith("You're booked") for b in telephony.attempts].count(True) == 2
    with database.session() as session:
        message = session.scalar(select(Message).where(Message.tenant_id == phone.shop["id"],
                                                       Message.body.startswith("You're booked")))
        assert message is not None and message.provider_sid and message.send_attempts == 2


def test_the_skill_is_registered_and_declines_what_it_cannot_book(db: Session, shop: dict[str, Any],
                                                                  settings: Settings) -> None:
    assert "booking" in [s.name for s in assistant.skills()]
    info = assistant.ConversationInfo(id="c" * 32, tenant_id=shop["id"], customer_phone=CUSTOMER,
                                      business_phone=shop["phone_number"], state="open")
    tenant = tenant_row(db, shop)
    assert booking_skill(db, tenant, info, "what are your opening hours?", settings) is None
    assert booking_skill(db, tenant, info, "1", settings) is None  # nothing was offered in this conversation
    reply = booking_skill(db, tenant, info, "there is a gas smell", settings)  # only an inactive item matches
    assert reply is None
    assert [choices_text(n) for n in (1, 2, 3)] == ["1", "1 or 2", "1, 2 or 3"]


@pytest.mark.parametrize("reply", ["#2", "2.", "Option 2", "2 please", " 2 "])
def test_ways_of_picking_the_second_offer(phone: Phone, reply: str) -> None:
    phone.text("leak")
    assert phone.text(reply).startswith("Holding Mon Jan 7, 10:30 AM for you until ")
