"""[takeover] Flow 3: the owner takes over a conversation; the assistant stays silent (checked on the Twilio
fake's journal over the settle window); the owner's own text reaches the fake exactly as typed; returning
the conversation to the assistant brings automatic replies back. Texts the owner writes in a row reach the
customer in that order.
"""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from e2e.support import (
    CREATE_MESSAGE,
    Settle,
    TenantHandle,
    TwilioFakeClient,
    WaitUntil,
    text_the_business,
    texts_to,
)
from pages.conversation import ConversationPage
from pages.dashboard import week_counts
from pages.inbox import InboxPage

pytestmark = pytest.mark.takeover


def conversation_after_missed_call(
    page: Page, tenant: TenantHandle, twilio: TwilioFakeClient, customer: str, wait_until: WaitUntil
) -> ConversationPage:
    """A caller the assistant already texted back, opened from the inbox."""
    twilio.missed_call(from_=customer, to=tenant.phone_number)
    wait_until(lambda: texts_to(twilio, tenant=tenant, customer=customer), message="the first SMS")
    return ConversationPage.from_inbox(page, customer)


@pytest.mark.smoke
@pytest.mark.allow_app_errors("the test answers one of the page's refreshes 502 itself (the app never does)",
                              only=r"answered 502 to the browser: GET \S+/api/v1/conversations/[0-9a-f]{32}$")
def test_taking_over_changes_the_badge(
    owner_page: Page, tenant: TenantHandle, twilio: TwilioFakeClient, customer_phone: str, wait_until: WaitUntil,
    app_api: httpx.Client,
) -> None:
    conversation = conversation_after_missed_call(owner_page, tenant, twilio, customer_phone, wait_until)
    conversation.expect_state("open")
    conversation.expect_steady()
    # Taken over from another device while the owner is typing: the open page reloads itself into "human"
    # and the half-written text survives the reload.
    draft = "Hi, this is the owner — we can come by"
    conversation.composer.fill(draft)
    taken = app_api.post(f"/api/v1/conversations/{conversation.conversation_id}/takeover")
    assert taken.status_code == 200, taken.text
    conversation.expect_state("human")
    expect(conversation.composer).to_have_value(draft)
    conversation.expect_steady()
    # A refresh the server fails (502 while it restarts) does not stop the page: the customer's next text shows.
    conversation.one_refresh_fails(502)
    assert twilio.inbound_sms(from_=customer_phone, to=tenant.phone_number, body="Are you coming?")["status_code"] == 200
    conversation.expect_message("Are you coming?")
    # The owner deletes the draft: it was kept for that one reload, and does not come back on the next visit.
    conversation.composer.fill("")
    InboxPage(owner_page).goto().expect_conversation(customer_phone, state="human")
    conversation = ConversationPage.from_inbox(owner_page, customer_phone)
    expect(conversation.composer).to_have_value("")


@pytest.mark.tenant(catalog=["Leak repair"])
def test_the_assistant_is_silent_while_a_person_answers_and_resumes_after(
    owner_page: Page, tenant: TenantHandle, twilio: TwilioFakeClient, customer_phone: str, wait_until: WaitUntil,
    settle: Settle, app_api: httpx.Client,
) -> None:
    conversation = conversation_after_missed_call(owner_page, tenant, twilio, customer_phone, wait_until)
    conversation.take_over()

    # A job the assistant quotes whenever it answers (proved below, after handing back): while a person
    # answers, the same words must get no automatic reply.
    job = "There's a leaking pipe under my sink"
    with settle.window(lambda: texts_to(twilio, tenant=tenant, customer=customer_phone),
                       what="automatic replies while taken over"):
        assert twilio.inbound_sms(from_=customer_phone, to=tenant.phone_number, body=job)["status_code"] == 200
    conversation.expect_message(job)  # the thread updates by itself
    conversation.expect_state("human")
    # The dashboard counts the customer as waiting (the missed call's wait was answered by the first text)...
    wait_until(lambda: week_counts(owner_page) == (1, 1), message="the customer's text counted as a wait")

    answer = "Yes — we'll be there at 11 <sharp> & call ahead"
    conversation.send(answer)
    sent = wait_until(lambda: [m for m in texts_to(twilio, tenant=tenant, customer=customer_phone) if m["body"] == answer],
                      message="the owner's text at the fake")
    assert len(sent) == 1
    # ...until the person's text answers them: a person's answer counts as the assistant's would.
    wait_until(lambda: week_counts(owner_page) == (2, 0), message="the person's answer counted on the dashboard")
    conversation.expect_message(answer, author=tenant.owner.name)  # shown as typed, never as markup, signed
    conversation.expect_state("human")
    # The longest text Twilio takes (1,600 characters) goes out whole.
    longest = ("We'll replace the trap and both supply lines. " * 40)[:1600]
    conversation.send(longest)
    wait_until(lambda: [m for m in texts_to(twilio, tenant=tenant, customer=customer_phone) if m["body"] == longest],
               message="the 1,600-character text at the fake")
    # One character more is refused, not cut or split.
    too_long = app_api.post(f"/api/v1/conversations/{conversation.conversation_id}/messages", json={"body": longest + "!"})
    assert (too_long.status_code, too_long.json().get("code")) == (422, "validation_error"), too_long.text
    # The shortest text there is, one character, goes out too (an owner's "K").
    shortest = app_api.post(f"/api/v1/conversations/{conversation.conversation_id}/messages", json={"body": "K"})
    assert shortest.status_code == 201, shortest.text
    wait_until(lambda: [m for m in texts_to(twilio, tenant=tenant, customer=customer_phone) if m["body"] == "K"],
               message="the one-character text at the fake")
    # Three texts written in a row while Twilio is slow to take the first: the two written meanwhile go out
    # after it, in the order they were written.
    burst = ["On my way.", "Traffic is light.", "Five minutes out."]
    twilio.add_fault(CREATE_MESSAGE, "delay", method="POST", ms=500, times=1)
    for body in burst:
        posted = app_api.post(f"/api/v1/conversations/{conversation.conversation_id}/messages", json={"body": body})
        assert posted.status_code == 201, posted.text

    def burst_at_the_fake() -> list[str]:
        bodies = [m["body"] for m in texts_to(twilio, tenant=tenant, customer=customer_phone) if m["body"] in burst]
        return bodies if len(bodies) == len(burst) else []

    assert wait_until(burst_at_the_fake, message="the three texts at the fake") == burst
    # The customer writes again once all of them are out: a new wait, which none of the person's earlier texts
    # answers.
    for body in burst:
        conversation.expect_message(body, status="Delivered")
    assert twilio.inbound_sms(from_=customer_phone, to=tenant.phone_number, body="Great, see you then")["status_code"] == 200
    wait_until(lambda: week_counts(owner_page) == (2, 1), message="the customer's new text counted as waiting")

    conversation.return_to_assistant()
    reply = text_the_business(twilio, tenant=tenant, customer=customer_phone, body=job, wait_until=wait_until)
    assert reply.startswith("Leak repair: $"), reply  # the quote it held back while a person answered
    conversation.expect_message(reply, author="Assistant")
