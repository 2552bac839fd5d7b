"""[conversations] What happens to a conversation over time, as the owner sees it: it closes by itself after a
day without activity (the tenant's clock) and the customer's next text starts a new one; the "Needs you"
badge appears when the assistant hands a customer to a person, when the customer answers a person, and
when a call is missed during a takeover — which texts nobody — and goes away once a person acts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from e2e.support import (
    Settle,
    TenantHandle,
    TenantSeeder,
    TwilioFakeClient,
    WaitUntil,
    bodies_to,
    first_reply,
    handoff,
    text_the_business,
)
from pages.conversation import ConversationPage
from pages.inbox import InboxPage

pytestmark = pytest.mark.conversations

DAY_S = 24 * 60 * 60
#: How the thread dates a message: the time alone today, the weekday too earlier this week.
TODAY = re.compile(r"^\d{1,2}:\d{2} [AP]M$")
EARLIER_THIS_WEEK = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2}:\d{2} [AP]M$")


def message_created_at(app_api: httpx.Client, conversation_id: str, body: str) -> datetime:
    """The instant the app gives a message of the thread (the API's `created_at`, an aware datetime)."""
    thread = app_api.get(f"/api/v1/conversations/{conversation_id}").json()["messages"]
    return datetime.fromisoformat(next(m["created_at"] for m in thread if m.get("body") == body))


def local_label(instant: datetime, tenant: TenantHandle, *, weekday: bool = False) -> str:
    """"3:04 PM" (or "Mon 3:04 PM"): the instant on the tenant's wall clock, as the thread dates a message."""
    local = instant.astimezone(ZoneInfo(tenant.timezone))
    clock = f"{local:%I:%M %p}".lstrip("0")
    return f"{local:%a} {clock}" if weekday else clock


def test_an_idle_conversation_closes_after_a_day_and_the_next_text_starts_a_new_one(
    owner_page: Page, tenant: TenantHandle, seeder: TenantSeeder, twilio: TwilioFakeClient, customer_phone: str,
    new_customer_phone: Callable[[], str], app_api: httpx.Client, wait_until: WaitUntil,
) -> None:
    quiet_caller = new_customer_phone()  # idle as long, but never texts again and nobody opens it
    listed_caller = new_customer_phone()  # idle as long too, and only ever seen in the inbox's list
    for caller in (customer_phone, quiet_caller, listed_caller):
        twilio.missed_call(from_=caller, to=tenant.phone_number)
    wait_until(lambda: bodies_to(twilio, tenant=tenant, customer=customer_phone), message="the first SMS")
    conversation = ConversationPage.from_inbox(owner_page, customer_phone)
    old_id = conversation.conversation_id
    ids = {c["customer_phone"]: c["id"] for c in app_api.get("/api/v1/conversations").json()["conversations"]}
    quiet_id = ids[quiet_caller]

    seeder.set_clock(tenant, advance_seconds=DAY_S - 60)  # a minute short of a day: still open
    # A person takes both idle callers over now: a conversation a person answers closes after a day too, and
    # taking it over is no activity of the customer's (the day still counts from the call).
    for caller in (quiet_caller, listed_caller):
        taken = app_api.post(f"/api/v1/conversations/{ids[caller]}/takeover")
        assert (taken.status_code, taken.json()["state"]) == (200, "human"), taken.text
    InboxPage(owner_page).goto().expect_conversation(customer_phone, state="open")
    conversation = ConversationPage.open(owner_page, old_id, customer_phone)
    conversation.expect_state("open")
    conversation.expect_composer_enabled()
    # Spaces alone are no message, and a NUL character cannot be texted: both refused, nothing sent.
    for body, code in (("  \n ", "empty_message"), ("Call me\x00 back", "invalid_message")):
        refused = app_api.post(f"/api/v1/conversations/{old_id}/messages", json={"body": body})
        assert (refused.status_code, refused.json().get("code")) == (422, code), refused.text
    # A request without the text at all is refused by the API's schema, naming the field it lacks.
    refused = app_api.post(f"/api/v1/conversations/{old_id}/messages", json={})
    assert (refused.status_code, refused.json().get("code"), [e.get("loc") for e in refused.json().get("detail", [])]) == (
        422, "validation_error", [["body", "body"]]), refused.text

    # A minute past it, the customer texts before anyone looks: the webhook finds the old conversation idle,
    # closes it and starts a new one, which the assistant answers. The owner's page stays open but hears
    # nothing (its refreshes fail), so no poll of it closes the conversation first.
    with conversation.deaf():
        seeder.set_clock(tenant, advance_seconds=120)
        question = "Are you open on Saturdays?"
        assert text_the_business(twilio, tenant=tenant, customer=customer_phone, body=question,
                                 wait_until=wait_until) == handoff(tenant)
        refused = app_api.post(f"/api/v1/conversations/{old_id}/messages", json={"body": "Still there?"})
        assert refused.status_code == 409 and refused.json()["code"] == "conversation_closed", refused.text
        taken = app_api.post(f"/api/v1/conversations/{old_id}/takeover")  # a closed conversation stays closed
        assert (taken.status_code, taken.json().get("code"), taken.json().get("detail")) == (
            409, "illegal_transition", "Can't take over now: the conversation is closed."), taken.text
        # Sending from the stale page is refused too: it says why and keeps what the owner wrote.
        draft = "Still there? We can come Saturday."
        conversation.composer.fill(draft)
        with conversation.expect_form_answer(409):
            conversation.send_button.click()
        conversation.expect_refused("closed after a day without activity", draft=draft)
    # Asked for by itself, the quiet caller's conversation is closed too (before any list closed it).
    quiet = app_api.get(f"/api/v1/conversations/{quiet_id}").json()
    assert (quiet["state"], quiet["composer"]["code"]) == ("closed", "conversation_closed"), quiet
    assert quiet["closed_at"] is not None and quiet["closed_at"] > quiet["last_activity_at"], quiet
    # Its last message, as the conversation and as the inbox's list give it, is the newest of its thread.
    listed = {c["id"]: c for c in app_api.get("/api/v1/conversations").json()["conversations"]}
    assert quiet["last_message"] == quiet["messages"][-1] == listed[quiet_id]["last_message"], quiet
    inbox = InboxPage(owner_page).goto()
    inbox.expect_conversation_count(4)
    inbox.expect_first(customer_phone, state="open")  # the most recently active on top
    inbox.expect_conversation(quiet_caller, state="closed")
    inbox.expect_conversation(listed_caller, state="closed")  # the inbox itself closes what has been idle a day
    expect(inbox.rows_in_state(customer_phone, "closed")).to_have_count(1)
    expect(inbox.rows_in_state(customer_phone, "open")).to_have_count(1)
    inbox.open_conversation(customer_phone, state="open")
    fresh = ConversationPage(owner_page, customer_phone).expect_loaded()
    assert fresh.conversation_id != old_id
    fresh.expect_state("open")
    fresh.expect_message(question, at=TODAY)
    # ...and that time is the tenant's wall clock (its zone, not UTC or the server's), read from the message's instant.
    fresh.expect_message(question, at=local_label(message_created_at(app_api, fresh.conversation_id, question), tenant))
    fresh.expect_message(handoff(tenant))
    fresh.expect_message_count(2)
    old = ConversationPage.open(owner_page, old_id, customer_phone)
    old.expect_state("closed")
    old.expect_state_described("Closed after a day without activity")
    old.expect_composer_disabled("closed after a day without activity")
    old.expect_message_count(1)  # only the first reply; the new text went to the new conversation
    old.expect_message(first_reply(tenant), at=EARLIER_THIS_WEEK)  # sent yesterday on the tenant's clock
    sent = message_created_at(app_api, old_id, first_reply(tenant))
    old.expect_message(first_reply(tenant), at=local_label(sent, tenant, weekday=True))


@pytest.mark.tenant(catalog=["Leak repair"])
def test_needs_attention_follows_who_must_answer_and_a_missed_call_during_a_takeover_texts_nobody(
    owner_page: Page, tenant: TenantHandle, twilio: TwilioFakeClient, customer_phone: str, wait_until: WaitUntil,
    settle: Settle, new_customer_phone: Callable[[], str], app_api: httpx.Client,
) -> None:
    twilio.missed_call(from_=customer_phone, to=tenant.phone_number)  # the assistant answers: a first text
    wait_until(lambda: bodies_to(twilio, tenant=tenant, customer=customer_phone), message="the first SMS")
    inbox = InboxPage(owner_page).goto()
    inbox.expect_no_attention_needed(customer_phone)

    # A question no skill answers: the assistant hands it to a person, once. The open inbox refreshes itself
    # into "Needs you", its tooltip saying why (the rows its script rebuilds, not only the server's).
    # A long question (81 characters, one too many) is quoted by its first 79 characters and an ellipsis (80).
    question = "Can you come before noon? We're out from one o'clock until late, sorry about that"
    assert len(question) == 81
    assert text_the_business(twilio, tenant=tenant, customer=customer_phone, body=question,
                             wait_until=wait_until) == handoff(tenant)
    couldnt = f"The assistant couldn't answer: “{question[:79]}…”"
    inbox.expect_needs_attention(customer_phone, couldnt)
    conversation = ConversationPage.from_inbox(owner_page, customer_phone)
    conversation.expect_needs_attention(couldnt)
    nudge = "Hello? Is anyone there? I sent you a message a while ago and I am still waiting!"
    assert len(nudge) == 80  # quoted whole: the ellipsis is for longer texts only
    with settle.window(lambda: bodies_to(twilio, tenant=tenant, customer=customer_phone), what="a second hand-off"):
        assert twilio.inbound_sms(from_=customer_phone, to=tenant.phone_number, body=nudge)["status_code"] == 200
    conversation.expect_message(nudge)
    # No second hand-off, but the badge now quotes the newest text nobody answered.
    wait_until(lambda: app_api.get(f"/api/v1/conversations/{conversation.conversation_id}").json()["attention_reason"]
               == f"The assistant couldn't answer: “{nudge}”", message="the badge to quote the newest unanswered text")

    conversation.take_over()
    conversation.expect_no_attention_needed()

    # Another caller, answered by the assistant, is now the most recent conversation...
    newer = new_customer_phone()
    twilio.missed_call(from_=newer, to=tenant.phone_number)
    wait_until(lambda: bodies_to(twilio, tenant=tenant, customer=newer), message="the other caller's first SMS")

    # ...until a missed call while a person answers: no automatic text, a line in the thread, the badge says
    # why, and the call itself is the newest activity (the conversation is back on top of the inbox).
    with settle.window(lambda: bodies_to(twilio, tenant=tenant, customer=customer_phone),
                       what="a first text for a call missed during a takeover"):
        assert twilio.missed_call(from_=customer_phone, to=tenant.phone_number)["status_code"] == 200
    conversation.expect_event_count(2)
    conversation.reload()
    conversation.expect_state("human")
    conversation.expect_needs_attention("Missed a call while you were handling this conversation")
    inbox = InboxPage(owner_page).goto()
    inbox.expect_first(customer_phone, state="human")
    inbox.expect_needs_attention(customer_phone, "Missed a call while you were handling this conversation")

    # The other caller writes meanwhile and the assistant hands them over: theirs is the newest conversation...
    # (The phone's keyboard left a space after the question: the badge quotes the question without it.)
    assert text_the_business(twilio, tenant=tenant, customer=newer, body="Do you work weekends? ",
                             wait_until=wait_until) == handoff(tenant)
    inbox.expect_needs_attention(newer, "The assistant couldn't answer: “Do you work weekends?”")
    # ...until the person texts the customer back: that text is the newest activity.
    conversation = ConversationPage.from_inbox(owner_page, customer_phone)
    conversation.send("Sorry we missed you again — calling you back now.")
    conversation.expect_no_attention_needed()
    inbox = InboxPage(owner_page).goto()
    inbox.expect_first(customer_phone, state="human")
    inbox.expect_no_attention_needed(customer_phone)
    conversation = ConversationPage.from_inbox(owner_page, customer_phone)

    # The other caller calls again (a text of theirs would move with the very line checked next) and is the
    # newest again once the assistant has texted them back...
    twilio.missed_call(from_=newer, to=tenant.phone_number)
    wait_until(lambda: bodies_to(twilio, tenant=tenant, customer=newer)[2:], message="the other caller's second first SMS")
    # ...until the customer answers the person: flagged for them (test_takeover proves the assistant keeps
    # quiet), and their text, answered by nobody yet, puts them back on top.
    assert twilio.inbound_sms(from_=customer_phone, to=tenant.phone_number, body="OK thanks")["status_code"] == 200
    conversation.expect_message("OK thanks")
    conversation.reload()
    conversation.expect_needs_attention("The customer replied")
    conversation_id = conversation.conversation_id

    # From another device, while the inbox is open here: handing the conversation back to the assistant ends
    # the wait, and taking it over again changes nothing but its state. The open inbox redraws the row by itself
    # each time, though its last message and time stay the same.
    inbox = InboxPage(owner_page).goto()
    inbox.expect_needs_attention(customer_phone, "The customer replied")
    for action, state in (("release", "open"), ("takeover", "human")):
        moved = app_api.post(f"/api/v1/conversations/{conversation_id}/{action}")
        assert moved.status_code == 200, moved.text
        inbox.expect_conversation(customer_phone, state=state)
        inbox.expect_no_attention_needed(customer_phone)
    # The customer answers the person (flagged again); taking over a conversation that is already a person's then
    # changes nothing but the badge, which the open inbox drops by itself.
    assert twilio.inbound_sms(from_=customer_phone, to=tenant.phone_number, body="Great")["status_code"] == 200
    inbox.expect_needs_attention(customer_phone, "The customer replied")
    moved = app_api.post(f"/api/v1/conversations/{conversation_id}/takeover")
    assert moved.status_code == 200, moved.text
    inbox.expect_no_attention_needed(customer_phone)
    inbox.expect_first(customer_phone, state="human")
    assert bodies_to(twilio, tenant=tenant, customer=customer_phone) == [
        first_reply(tenant), handoff(tenant), "Sorry we missed you again — calling you back now."]


@pytest.mark.tenant(compliance="pending")  # the first replies are held: the calls are all this test needs
def test_the_inbox_lists_every_caller_not_only_the_latest_twenty(
    owner_page: Page, tenant: TenantHandle, twilio: TwilioFakeClient, new_customer_phone: Callable[[], str],
    app_api: httpx.Client, new_context: CreateContextCallback,
) -> None:
    callers = [new_customer_phone() for _ in range(25)]  # a busy Monday's missed calls
    for caller in callers:
        assert twilio.missed_call(from_=caller, to=tenant.phone_number)["status_code"] == 200
    inbox = InboxPage(owner_page).goto()
    inbox.expect_conversation_count(len(callers))
    inbox.expect_first(callers[-1])
    # ...as the server sends the page, too (what shows before its script first asks the API for the list).
    served = new_context(storage_state=owner_page.context.storage_state(), java_script_enabled=False).new_page()
    InboxPage(served).goto().expect_conversation_count(len(callers))
    listed = app_api.get("/api/v1/conversations").json()["conversations"]
    assert [c["customer_phone"] for c in listed] == callers[::-1]  # newest first, all of them
