"""[delivery] What happens to a text after the app hands it to Twilio, as the owner sees it in the thread and
the customer receives it: Twilio's status callbacks move it to Sent / Delivered or Failed / Not delivered
(with the carrier's reason), never backwards; a Twilio 5xx, or an answer lost to a timeout after Twilio
created the text, is retried without texting the customer twice; a permanent refusal (4xx) is not retried
and shows as failed; callbacks that overtake Twilio's late answer still count.

The Twilio fake plays the carrier: its control API forces statuses (posting the signed callbacks) and its
fault rules break the app's calls to the Messages API; its journal shows every attempt the app made.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from e2e.support import (
    CREATE_MESSAGE,
    Settle,
    TenantHandle,
    TenantSeeder,
    TwilioFakeClient,
    WaitUntil,
    bodies_to,
    first_reply,
    send_attempts_to,
    texts_to,
)
from pages.conversation import ConversationPage

pytestmark = pytest.mark.delivery


def sent_text(twilio: TwilioFakeClient, wait_until: WaitUntil, *, tenant: TenantHandle, customer: str,
              body: str) -> dict[str, object]:
    """The one text with this body the fake received (waits for it)."""
    [text] = wait_until(lambda: [t for t in texts_to(twilio, tenant=tenant, customer=customer) if t["body"] == body],
                        message=f"{body!r} at the fake")
    return text


def force(twilio: TwilioFakeClient, sid: object, status: str, *, error_code: int | None = None) -> None:
    """Twilio reports a status for one of our texts; the app answered the callback."""
    result = twilio.set_message_status(str(sid), status, error_code=error_code)
    assert result["status_code"] == 200, result


def outcomes(conversation: ConversationPage) -> dict[str, tuple[str, str | None, bool]]:
    """Each outbound text of the conversation as the API gives it: body -> (status, Twilio's error code, whether
    it has a `sent_at`: Twilio accepted it)."""
    answer = conversation.page.request.get(f"/api/v1/conversations/{conversation.conversation_id}/messages")
    assert answer.status == 200, answer.text()
    return {m["body"]: (m["status"], m["error_code"], m["sent_at"] is not None)
            for m in answer.json()["messages"] if m["direction"] == "outbound"}


def test_the_thread_shows_delivered_and_failed_from_twilio_status_callbacks(
    owner_page: Page, tenant: TenantHandle, twilio: TwilioFakeClient, customer_phone: str, wait_until: WaitUntil,
) -> None:
    twilio.configure(auto_status=False)  # texts stay queued at the fake until the test reports a status
    twilio.missed_call(from_=customer_phone, to=tenant.phone_number)
    first = sent_text(twilio, wait_until, tenant=tenant, customer=customer_phone, body=first_reply(tenant))
    conversation = ConversationPage.from_inbox(owner_page, customer_phone)
    conversation.expect_message(first_reply(tenant), status="Sending…")

    on_its_way = "Running 10 minutes late."
    # Each carrier failure Twilio explains, as the owner reads it: body -> (status, Twilio's error code, the words).
    carrier_failures = {
        "Can we come at 2 pm?": ("failed", 30003, "the customer's phone is unreachable"),
        "Or would 4 pm suit better?": ("undelivered", 30005, "the number does not exist"),
        "Is 5 pm too late?": ("undelivered", 30004, "the message was blocked by the customer's carrier"),
        "Or Saturday morning?": ("failed", 30006, "the number is a landline or cannot receive texts"),
        "Shall I call you instead?": ("undelivered", 30007, "the carrier filtered the message as spam"),
        "Are you still there?": ("failed", 30008, "the carrier reported an unknown error"),
        "Last try: reply 1 for a call back.": ("undelivered", 21610, "the customer has opted out of texts from this number"),
    }
    unreachable, unknown = "Can we come at 2 pm?", "Or would 4 pm suit better?"
    unexplained = "Or tomorrow morning?"  # a failure whose error code the app has no words for
    sids = {}
    for body in (on_its_way, *carrier_failures, unexplained):
        conversation.send(body)
        sids[body] = sent_text(twilio, wait_until, tenant=tenant, customer=customer_phone, body=body)["sid"]
    force(twilio, first["sid"], "sent")
    force(twilio, first["sid"], "delivered")
    force(twilio, sids[on_its_way], "sent")
    for body, (status, code, _) in carrier_failures.items():
        force(twilio, sids[body], status, error_code=code)
    force(twilio, sids[unexplained], "failed", error_code=30010)  # "Message price exceeds max price"
    # Late callbacks that would move a status backwards, or past a failure, change nothing.
    force(twilio, first["sid"], "sent")
    force(twilio, first["sid"], "undelivered", error_code=30008)  # delivered is final: no failure after it
    force(twilio, sids[on_its_way], "queued")
    force(twilio, sids[unreachable], "delivered")

    conversation.expect_message(first_reply(tenant), status="Delivered")
    conversation.expect_message(on_its_way, status="Sent")
    labels = {"failed": "Failed", "undelivered": "Not delivered"}
    for body, (status, code, words) in carrier_failures.items():
        conversation.expect_message(body, status=labels[status], note=f"Not delivered: {words} (Twilio error {code}).")
    conversation.expect_message(unexplained, status="Failed",
                                note="Not delivered: the carrier did not say why (Twilio error 30010).")
    conversation.reload()  # the page as rendered by the server says the same
    conversation.expect_message(first_reply(tenant), status="Delivered")
    conversation.expect_message(on_its_way, status="Sent")
    conversation.expect_message(unreachable, status="Failed",
                                note="Not delivered: the customer's phone is unreachable (Twilio error 30003).")
    conversation.expect_message(unknown, status="Not delivered")
    # The API gives each failure's code as Twilio sent it (what an integration reads), and none to the rest.
    assert outcomes(conversation) == {  # all accepted by Twilio, whatever became of them after
        first_reply(tenant): ("delivered", None, True), on_its_way: ("sent", None, True),
        **{body: (status, str(code), True) for body, (status, code, _) in carrier_failures.items()},
        unexplained: ("failed", "30010", True)}


def test_twilio_failures_are_retried_once_and_a_refusal_shows_as_failed(
    owner_page: Page, tenant: TenantHandle, twilio: TwilioFakeClient, customer_phone: str, wait_until: WaitUntil,
    settle: Settle,
) -> None:
    def attempts() -> list[dict[str, object]]:
        """Every create request so far, each once the fake has journaled its answer: the fake stores a text a
        moment before that, so a text already seen there can still have its request in flight."""
        def answered() -> tuple[list[dict[str, object]], ...]:
            found = send_attempts_to(twilio, tenant=tenant, customer=customer_phone)
            return (found,) if all(a["finished_at"] for a in found) else ()
        return wait_until(answered, message="the fake's answers to the app's create requests")[0]

    def lookups() -> list[dict[str, object]]:
        """The app asking Twilio for texts already created to the customer (before a retry, never before a
        first attempt: there is nothing to find yet)."""
        return [r for r in twilio.requests(direction="inbound", contains=quote(customer_phone))
                if r["method"] == "GET" and str(r["path"]).endswith("/Messages.json")]

    # Twilio answers 503, then 429 (too many requests) and 408 (request timeout): 4xx that are not refusals; the
    # first reply goes out on the fourth attempt (the stack's last), once.
    twilio.add_fault(CREATE_MESSAGE, "status", method="POST", code=503, times=1)
    twilio.add_fault(CREATE_MESSAGE, "status", method="POST", code=429, times=1,
                     body={"code": 20429, "message": "Too Many Requests", "status": 429,
                           "more_info": "https://www.twilio.com/docs/errors/20429"})
    twilio.add_fault(CREATE_MESSAGE, "status", method="POST", code=408, times=1)
    twilio.missed_call(from_=customer_phone, to=tenant.phone_number)
    wait_until(lambda: bodies_to(twilio, tenant=tenant, customer=customer_phone), message="the first SMS")
    assert [a["status"] for a in attempts()] == [503, 429, 408, 201]
    conversation = ConversationPage.from_inbox(owner_page, customer_phone)
    conversation.expect_message(first_reply(tenant), status="Delivered")  # (no second copy: checked below)

    # Twilio creates the owner's text but its answer comes after the app gave up waiting: the retry finds the
    # text at Twilio and adopts it instead of sending it again.
    slow = "We'll be there at 3 pm."
    # Twilio creates it 2.2 s after the request: past the app's 1 s timeout, but inside the 2 s the sender
    # waits before looking (a retry that looks sooner sends it twice).
    twilio.add_fault(CREATE_MESSAGE, "delay", method="POST", ms=2200, times=1)
    # The first look fails too (Twilio answers 500): unable to tell whether the text went, the app must not
    # send it again on a guess; it looks again later.
    twilio.add_fault(CREATE_MESSAGE, "status", method="GET", code=500, times=1)
    conversation.send(slow)
    # Meanwhile the thread says why it is not out yet (for the 2 s the sender waits before looking).
    conversation.expect_message(slow, status="Sending…", note=re.compile(r"^Retrying: Could not reach Twilio: "))
    sent_text(twilio, wait_until, tenant=tenant, customer=customer_phone, body=slow)
    conversation.expect_message(slow, status="Delivered")  # its callbacks apply once the text is adopted
    assert bodies_to(twilio, tenant=tenant, customer=customer_phone) == [first_reply(tenant), slow]
    assert len(attempts()) == 5, attempts()  # one create for the slow text, no second

    # The same words again, and Twilio answers 500 (an error on its side, worth a retry like the 503s): the retry
    # looks for a copy Twilio may have created, must not take the earlier one for it, and sends this one.
    twilio.add_fault(CREATE_MESSAGE, "status", method="POST", code=500, times=1)
    conversation.send(slow)
    wait_until(lambda: bodies_to(twilio, tenant=tenant, customer=customer_phone)[2:], message="the second copy")
    expect(conversation.messages_with_status("Delivered")).to_have_count(3)
    assert bodies_to(twilio, tenant=tenant, customer=customer_phone) == [first_reply(tenant), slow, slow]
    assert [a["status"] for a in attempts()][5:] == [500, 201], attempts()

    # Twilio answers 503, once 409 (a conflict: not a refusal either), to every attempt: the text gives up after
    # the stack's OUTBOX_MAX_ATTEMPTS (4, see playwright.config.toml) and says so, instead of showing "Retrying"
    # for good.
    given_up = "Running a little late."
    twilio.add_fault(CREATE_MESSAGE, "status", method="POST", code=503, times=1)
    twilio.add_fault(CREATE_MESSAGE, "status", method="POST", code=409, times=1)
    twilio.add_fault(CREATE_MESSAGE, "status", method="POST", code=503, times=2)
    conversation.send(given_up)
    conversation.expect_message(given_up, status="Failed",
                                note=re.compile(r"^Not sent after 4 attempts\. Twilio answered 503: "))
    assert [a["status"] for a in attempts()][7:] == [503, 409, 503, 503], attempts()

    # A permanent refusal: not retried (a retry would now succeed), shown as failed with Twilio's reason.
    refused = "See you tomorrow!"
    twilio.add_fault(CREATE_MESSAGE, "status", method="POST", code=400, times=1,
                     body={"code": 21211, "message": f"The 'To' number {customer_phone} is not a valid phone number.",
                           "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400})
    conversation.send(refused)
    # In Twilio's own words (its error's message), with its code.
    conversation.expect_message(refused, status="Failed", note=re.compile(
        r"^Twilio refused the text: Unable to create record: "
        rf"The 'To' number {re.escape(customer_phone)} is not a valid phone number\. \(error 21211\)\.$"))
    settle.assert_no_new(attempts, what="a retry of a refused text, or a fifth of the one that gave up")
    assert outcomes(conversation)[refused] == ("failed", "21211", False)  # never accepted
    assert [a["status"] for a in attempts()][7:] == [503, 409, 503, 503, 400], attempts()
    assert bodies_to(twilio, tenant=tenant, customer=customer_phone) == [first_reply(tenant), slow, slow]
    # Twilio was asked for earlier copies once before each retry and never before a first attempt: 3 for the first
    # reply, 2 for the slow text (one failed, one adopted it), 1 after the 500, 3 for the text that gave up, none
    # for the refusal.
    assert len(lookups()) == 9, lookups()

    # Twilio creates a text at once but answers late (0.6 s: inside the app's 1 s timeout), so both its status
    # callbacks overtake the answer: the app keeps them until it knows the text, then shows it Delivered.
    early = "On our way now."
    twilio.add_fault(CREATE_MESSAGE, "late", method="POST", ms=600, times=1)
    conversation.send(early)
    conversation.expect_message(early, status="Delivered")
    assert bodies_to(twilio, tenant=tenant, customer=customer_phone)[3:] == [early]
    assert len(lookups()) == 9, lookups()  # answered in time: no lookup, no retry


def test_twilio_reporting_a_text_of_a_business_that_left_gets_an_empty_answer(
    tenant: TenantHandle, twilio: TwilioFakeClient, customer_phone: str, seeder: TenantSeeder, wait_until: WaitUntil,
) -> None:
    twilio.configure(auto_status=False)
    twilio.missed_call(from_=customer_phone, to=tenant.phone_number)
    first = sent_text(twilio, wait_until, tenant=tenant, customer=customer_phone, body=first_reply(tenant))
    seeder.delete(tenant)
    # The text's fate arrives after the business left and its number went back to Twilio. Anything but a 2xx
    # would be an error in Twilio's debugger and a callback retried for nothing: the app answers, empty TwiML.
    force(twilio, first["sid"], "delivered")
    assert twilio.alerts(contains=tenant.phone_number) == []


def test_without_twilio_idempotency_tokens_a_replay_is_told_from_news_by_its_fields(
    owner_page: Page, tenant: TenantHandle, twilio: TwilioFakeClient, customer_phone: str, wait_until: WaitUntil,
    settle: Settle,
) -> None:
    # A proxy in front of the app strips Twilio's I-Twilio-Idempotency-Token, and every webhook comes twice: the
    # app tells a replay from news by the webhook's own fields (a call's SID and status, a text's SID and status).
    twilio.configure(idempotency_tokens=False)
    twilio.configure_webhooks(duplicate=2)
    twilio.missed_call(from_=customer_phone, to=tenant.phone_number)
    sent_text(twilio, wait_until, tenant=tenant, customer=customer_phone, body=first_reply(tenant))
    conversation = ConversationPage.from_inbox(owner_page, customer_phone)
    # "sent" then "delivered" for one text: two pieces of news, not one and its replay.
    conversation.expect_message(first_reply(tenant), status="Delivered")
    settle.assert_no_new(lambda: texts_to(twilio, tenant=tenant, customer=customer_phone), what="a second first reply")
    assert bodies_to(twilio, tenant=tenant, customer=customer_phone) == [first_reply(tenant)]
    assert list(outcomes(conversation).values()) == [("delivered", None, True)]
