"""[keywords] A customer texts a carrier keyword: any STOP word (any case, surrounding spaces ignored) opts
them out at once and gets no reply, HELP gets the help text, START / UNSTOP (and YES while opted out)
opt them back in with a confirmation. The opt-out is that customer's only: the business keeps texting
its other customers. HELP / INFO are answered even while a person has taken the conversation over. A text
that only contains a keyword ("Cancel that, can you come Friday instead?") or resembles one ("No") is ordinary.

"No reply" is checked on the app's attempts in the Twilio fake's journal, not only on delivered texts:
the fake itself refuses texts to an opted-out number (21610), which would hide an app that still tries.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import httpx
import pytest
from playwright.sync_api import Page, expect

from e2e.support import (
    Settle,
    TenantHandle,
    TwilioFakeClient,
    WaitUntil,
    bodies_to,
    first_reply,
    handoff,
    help_reply,
    resubscribed,
    send_attempts_to,
    text_the_business,
)
from fakes.twilio.signing import SIGNATURE_HEADER
from pages.conversation import ConversationPage
from pages.inbox import InboxPage
from seed import http

pytestmark = pytest.mark.keywords


def answered_waits(app_api: httpx.Client) -> int:
    """How many customer waits the dashboard counts as answered over the last 7 days."""
    return int(app_api.get("/api/v1/dashboard/first-response").json()["last_7_days"]["samples"])


def state_of(app_api: httpx.Client, conversation_id: str) -> str:
    response = app_api.get(f"/api/v1/conversations/{conversation_id}")
    assert response.status_code == 200, response.text
    return str(response.json()["state"])


def test_stop_words_opt_out_one_customer_and_start_words_opt_back_in(
    owner_page: Page, tenant: TenantHandle, twilio: TwilioFakeClient, new_customer_phone: Callable[[], str],
    app_api: httpx.Client, wait_until: WaitUntil, settle: Settle,
) -> None:
    quitter, neighbour = new_customer_phone(), new_customer_phone()
    for caller in (quitter, neighbour):
        twilio.missed_call(from_=caller, to=tenant.phone_number)
        wait_until(partial(bodies_to, twilio, tenant=tenant, customer=caller), message="the first SMS")
    # A STOP not signed by Twilio (someone forging the customer's text) is refused and opts nobody out:
    # HELP right after still gets its answer.
    forged = http.post(tenant.url("/webhooks/twilio/sms"), timeout=30,
                       data={"MessageSid": "SM" + "f" * 32, "From": quitter, "To": tenant.phone_number, "Body": "STOP"},
                       headers={SIGNATURE_HEADER: "bm90IFR3aWxpbydzIHNpZ25hdHVyZQ=="})
    assert forged.status_code == 403 and forged.json()["code"] == "invalid_signature", forged.text
    wait_until(lambda: answered_waits(app_api) == 2, message="the two first texts counted as answered waits")
    assert text_the_business(twilio, tenant=tenant, customer=quitter, body="HELP",
                             wait_until=wait_until) == help_reply(tenant)
    # Asking for HELP is waiting for an answer too: the help text answers it in the first-response figures.
    wait_until(lambda: answered_waits(app_api) == 3, message="the HELP counted as a wait the help text answered")
    conversation = ConversationPage.from_inbox(owner_page, quitter)

    # STOP in lower case with spaces, then everything that would text them if the opt-out were ignored:
    # another missed call, an ordinary question, HELP.
    attempts_before = len(send_attempts_to(twilio, tenant=tenant, customer=quitter))
    with settle.window(lambda: send_attempts_to(twilio, tenant=tenant, customer=quitter), what="texts after STOP"):
        assert twilio.inbound_sms(from_=quitter, to=tenant.phone_number, body="  stop ")["status_code"] == 200
        # Told twice, as people do: the second STOP is taken in too (Twilio gets its 200), and changes nothing.
        assert twilio.inbound_sms(from_=quitter, to=tenant.phone_number, body="STOP")["status_code"] == 200
        twilio.missed_call(from_=quitter, to=tenant.phone_number)
        twilio.inbound_sms(from_=quitter, to=tenant.phone_number, body="Do you fix water heaters?")
        twilio.inbound_sms(from_=quitter, to=tenant.phone_number, body="HELP")
    assert len(send_attempts_to(twilio, tenant=tenant, customer=quitter)) == attempts_before
    conversation.expect_state("blocked")
    conversation.expect_composer_disabled("opted out")
    # Not even a reply kept back as "Not sent": the thread holds the customer's texts and the two earlier replies.
    conversation.expect_message_count(7)
    conversation.expect_event_count(2)
    expect(conversation.messages_with_status("Not sent")).to_have_count(0)

    # The business's other customer is not affected: a missed call still gets its first text, and so
    # does the owner's own message.
    twilio.missed_call(from_=neighbour, to=tenant.phone_number)
    wait_until(lambda: bodies_to(twilio, tenant=tenant, customer=neighbour)[1:], message="the neighbour's second first SMS")
    inbox = InboxPage(owner_page).goto()
    inbox.expect_conversation(quitter, state="blocked")
    inbox.expect_conversation(neighbour, state="open")
    other = ConversationPage.from_inbox(owner_page, neighbour)
    other.expect_composer_enabled()
    other.send("Still here for you — when suits?")
    wait_until(lambda: "Still here for you — when suits?" in bodies_to(twilio, tenant=tenant, customer=neighbour),
               message="the owner's text to the other customer")
    other.expect_state("human")  # the owner's text took the conversation over
    # HELP and INFO follow the carrier rules, answered even while a person answers.
    assert text_the_business(twilio, tenant=tenant, customer=neighbour, body="info",
                             wait_until=wait_until) == help_reply(tenant)
    other.expect_state("human")
    # START from a subscribed customer is confirmed, and the person keeps the conversation.
    assert text_the_business(twilio, tenant=tenant, customer=neighbour, body="START",
                             wait_until=wait_until) == resubscribed(tenant)
    other.reload()
    other.expect_state("human")
    other.expect_no_attention_needed()  # keywords the assistant answered wait for nobody
    assert bodies_to(twilio, tenant=tenant, customer=neighbour) == [
        first_reply(tenant), first_reply(tenant), "Still here for you — when suits?", help_reply(tenant),
        resubscribed(tenant)]

    # UNSTOP opts back in with a confirmation; other STOP words, in any case, opt out again without a
    # reply, and START words (YES only while opted out) confirm again.
    assert text_the_business(twilio, tenant=tenant, customer=quitter, body="UNSTOP",
                             wait_until=wait_until) == resubscribed(tenant)
    conversation = ConversationPage.from_inbox(owner_page, quitter)
    conversation.expect_state("open")
    conversation.expect_composer_enabled()
    cycles = [("cancel", "yes"), ("Unsubscribe", "Start")]
    for stop_word, start_word in cycles:
        assert twilio.inbound_sms(from_=quitter, to=tenant.phone_number, body=stop_word)["status_code"] == 200
        assert state_of(app_api, conversation.conversation_id) == "blocked", f"{stop_word!r} did not opt out"
        assert text_the_business(twilio, tenant=tenant, customer=quitter, body=start_word,
                                 wait_until=wait_until) == resubscribed(tenant), f"{start_word!r} after {stop_word!r}"
        assert state_of(app_api, conversation.conversation_id) == "open", f"{start_word!r} did not opt back in"
    # The open page follows each flip by reloading itself; wait for it to show "open" again so no reload of it
    # is still due when the test navigates away.
    conversation.expect_state("open")

    # Every other STOP word opts out whoever texts it first (the webhook applies it before answering).
    others = {word: new_customer_phone() for word in ("Stop", "STOPALL", "end", "Quit", "REVOKE", "optout")}
    for word, customer in others.items():
        assert twilio.inbound_sms(from_=customer, to=tenant.phone_number, body=word)["status_code"] == 200
    blocked = app_api.get("/api/v1/conversations", params={"state": "blocked"}).json()["conversations"]
    assert sorted(c["customer_phone"] for c in blocked) == sorted(others.values())
    # Each names the business number that was texted, and its last message the word, recognised as a STOP.
    assert sorted((c["business_phone"], c["last_message"]["body"], c["last_message"]["keyword"]) for c in blocked) == \
        sorted((tenant.phone_number, word, "STOP") for word in others), blocked
    # A client asking for the two most recently active gets those two, newest first.
    newest = app_api.get("/api/v1/conversations", params={"limit": 2}).json()["conversations"]
    assert [c["customer_phone"] for c in newest] == [others["optout"], others["REVOKE"]], newest

    # Subscribed, START is still confirmed (the assistant keeps answering), but YES is an ordinary answer: the
    # assistant hands it to a person instead of confirming again.
    assert text_the_business(twilio, tenant=tenant, customer=quitter, body="START",
                             wait_until=wait_until) == resubscribed(tenant)
    assert text_the_business(twilio, tenant=tenant, customer=quitter, body="YES",
                             wait_until=wait_until) == handoff(tenant)
    assert bodies_to(twilio, tenant=tenant, customer=quitter) == [
        first_reply(tenant), help_reply(tenant), resubscribed(tenant),
        *[resubscribed(tenant) for _ in cycles], resubscribed(tenant), handoff(tenant)]


    # The hand-off asked for a person, who takes over; the customer's answer to them asks again. STOP then ends
    # the wait and the takeover: a blocked conversation needs nobody.
    taken = app_api.post(f"/api/v1/conversations/{conversation.conversation_id}/takeover")
    assert taken.status_code == 200, taken.text
    conversation.expect_state("human")  # the open page reloads itself; let it, before navigating away
    assert twilio.inbound_sms(from_=quitter, to=tenant.phone_number, body="Thanks, call me")["status_code"] == 200
    inbox = InboxPage(owner_page).goto()
    inbox.expect_needs_attention(quitter, "The customer replied")
    flagged = app_api.get("/api/v1/conversations", params={"needs_attention": "true"}).json()["conversations"]
    assert [c["customer_phone"] for c in flagged] == [quitter], "the API's needs_attention filter"
    calm = [c["customer_phone"] for c in app_api.get("/api/v1/conversations", params={"needs_attention": "false"})
            .json()["conversations"]]
    assert neighbour in calm and quitter not in calm, f"the API's needs_attention=false filter: {calm}"
    # The person's page hears nothing from here on (its refreshes fail), so it still offers "Return to assistant"
    # after the STOP; pressing it is refused on the page, which says why.
    conversation = ConversationPage.open(owner_page, flagged[0]["id"], quitter)
    with conversation.deaf():
        assert twilio.inbound_sms(from_=quitter, to=tenant.phone_number, body="STOP")["status_code"] == 200
        with conversation.expect_form_answer(409):
            conversation.return_to_assistant_button.click()
        expect(conversation.error).to_have_text("Can't return to assistant now: the customer opted out by texting STOP.")
    conversation.expect_state("blocked")
    inbox = InboxPage(owner_page).goto()
    inbox.expect_conversation(quitter, state="blocked")
    inbox.expect_no_attention_needed(quitter)
    # A keyword is the whole text: one that only looks like a keyword, or has one inside it, is an ordinary text,
    # answered as such, and opts nobody out.
    for body in ("No", "Please stop by after 3", "Cancel that, can you come Friday instead?", "Help, it's leaking"):
        reply = text_the_business(twilio, tenant=tenant, customer=new_customer_phone(), body=body,
                                  wait_until=wait_until)
        assert reply not in (help_reply(tenant), resubscribed(tenant)), (body, reply)
    blocked = app_api.get("/api/v1/conversations", params={"state": "blocked"}).json()["conversations"]
    assert sorted(c["customer_phone"] for c in blocked) == sorted([*others.values(), quitter]), "a text taken for STOP"
