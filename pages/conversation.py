"""One conversation: the live thread, Take over / Return to assistant, and the composer.

The thread updates by itself (the page polls the app), and the page reloads itself when the
conversation's state or the right to text changes (a STOP, an approval), so assertions here simply
wait with ``expect``. Reach it from the inbox (``InboxPage.open_conversation``) or by id with
:meth:`ConversationPage.open`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Self

from playwright.sync_api import Locator, Page, expect

from pages.base import BasePage

STATE_TEST_ID = "conversation-state"
MESSAGE_TEST_ID = "message"
MESSAGE_BODY_TEST_ID = "message-body"
MESSAGE_STATUS_TEST_ID = "message-status"
MESSAGE_NOTE_TEST_ID = "message-note"
THREAD_EVENT_TEST_ID = "thread-event"
COMPOSER_NOTE_TEST_ID = "composer-disabled-reason"
NEEDS_ATTENTION_TEST_ID = "needs-attention"
ATTENTION_REASON_TEST_ID = "attention-reason"
ERROR_TEST_ID = "conversation-error"
POLL_PATH = "/api/v1/conversations/"  # what an open conversation page asks for news
POLL_ROUTE = f"**{POLL_PATH}**"
CONVERSATION_URL = re.compile(r"/conversations/([0-9a-f]{32})(#.*)?$")  # no named groups: it runs in the browser too


def _exactly(text: str) -> re.Pattern[str]:
    """Whole-text match, any run of white space matching any other (Playwright's has_text alone matches substrings)."""
    return re.compile(r"^\s*" + r"\s+".join(re.escape(word) for word in text.split()) + r"\s*$")


class ConversationPage(BasePage):
    path = "/conversations/"
    heading_name = re.compile(r"^\+\d{7,15}$")  # the customer's number

    def __init__(self, page: Page, caller: str | None = None) -> None:
        super().__init__(page)
        self.caller = caller

    @classmethod
    def open(cls, page: Page, conversation_id: str, caller: str | None = None) -> ConversationPage:
        page.goto(f"/conversations/{conversation_id}")
        return cls(page, caller).expect_loaded()

    @classmethod
    def from_inbox(cls, page: Page, caller: str) -> ConversationPage:
        """Opens the caller's conversation from the inbox (the way a person gets there)."""
        from pages.inbox import InboxPage  # late: the inbox page object belongs to the suite's base set

        InboxPage(page).goto().open_conversation(caller)
        return cls(page, caller).expect_loaded()

    def goto(self) -> Self:
        raise TypeError("a conversation has no fixed URL: use ConversationPage.open(page, id) or .from_inbox(page, caller)")

    def _expected_title(self) -> str | re.Pattern[str]:
        """The tab is named for the customer, as the heading is."""
        return f"{self.caller} · NeverMissCall" if self.caller else re.compile(r"^\+\d{7,15} · NeverMissCall$")

    def url_pattern(self) -> re.Pattern[str]:
        return CONVERSATION_URL

    @property
    def heading(self) -> Locator:
        name = self.caller if self.caller else self.heading_name
        return self.page.get_by_role("heading", level=1, name=name)

    @property
    def conversation_id(self) -> str:
        match = CONVERSATION_URL.search(self.page.url)
        if match is None:
            raise AssertionError(f"not on a conversation page: {self.page.url}")
        return match.group(1)

    # --- elements -----------------------------------------------------------------------------------
    @property
    def state_badge(self) -> Locator:
        return self.page.get_by_test_id(STATE_TEST_ID)

    @property
    def needs_attention_badge(self) -> Locator:
        return self.page.get_by_test_id(NEEDS_ATTENTION_TEST_ID)

    @property
    def attention_reason(self) -> Locator:
        """Why the conversation needs a person (shown under the header with the "Needs you" badge)."""
        return self.page.get_by_test_id(ATTENTION_REASON_TEST_ID)

    @property
    def take_over_button(self) -> Locator:
        return self.page.get_by_role("button", name="Take over")

    @property
    def return_to_assistant_button(self) -> Locator:
        return self.page.get_by_role("button", name="Return to assistant")

    @property
    def thread(self) -> Locator:
        return self.page.get_by_role("log", name="Messages")

    @property
    def messages(self) -> Locator:
        return self.thread.get_by_test_id(MESSAGE_TEST_ID)

    @property
    def events(self) -> Locator:
        """Lines such as "Missed call (no answer)"."""
        return self.thread.get_by_test_id(THREAD_EVENT_TEST_ID)

    def message(self, text: str) -> Locator:
        """The message whose body is exactly `text` (as the customer or the business wrote it)."""
        body = self.page.get_by_test_id(MESSAGE_BODY_TEST_ID).filter(has_text=_exactly(text))
        return self.messages.filter(has=body)

    def messages_with_status(self, label: str) -> Locator:
        """Messages showing a status such as "Held", "Delivered", "Failed", "Not sent"."""
        status = self.page.get_by_test_id(MESSAGE_STATUS_TEST_ID).filter(has_text=_exactly(label))
        return self.messages.filter(has=status)

    @property
    def composer(self) -> Locator:
        return self.page.get_by_label("Message", exact=True)

    @property
    def send_button(self) -> Locator:
        return self.page.get_by_role("button", name="Send")

    @property
    def composer_note(self) -> Locator:
        """Why the composer is disabled (opted out, registration pending...)."""
        return self.page.get_by_test_id(COMPOSER_NOTE_TEST_ID)

    @property
    def error(self) -> Locator:
        return self.page.get_by_test_id(ERROR_TEST_ID)

    # --- actions --------------------------------------------------------------------------------------
    @contextmanager
    def deaf(self) -> Iterator[Self]:
        """Inside the block every refresh of the page fails (as with the network gone), so it keeps showing what
        it showed. The block starts once a refresh has failed: the page asks one at a time, so an answer to a
        question asked before cannot still arrive inside the block and change (or reload) the page."""
        with self.page.expect_event("requestfailed", lambda request: POLL_PATH in request.url):
            self.page.route(POLL_ROUTE, lambda route: route.abort())
        try:
            yield self
        finally:
            self.page.unroute(POLL_ROUTE)

    def one_refresh_fails(self, status: int = 503) -> None:
        """The server answers the page's next refresh with `status` (an app restarting, a proxy's hiccup) and
        then as usual: the page keeps asking, later."""
        with self.page.expect_response(lambda response: POLL_PATH in response.url and response.status == status):
            self.page.route(POLL_ROUTE, lambda route: route.fulfill(  # as the app's own answers, never stored
                status=status, body="Service Unavailable", headers={"Cache-Control": "no-store"}), times=1)

    def expect_steady(self) -> None:
        """While nothing changes, the page does not reload itself: a mark left in it survives two of its refreshes
        (a page that misreads its own state reloads at every refresh, and the mark goes with it)."""
        self.page.evaluate("() => { window.__steady = true; }")
        for _ in range(2):
            with self.page.expect_response(lambda response: POLL_PATH in response.url):
                pass
        assert self.page.evaluate("() => window.__steady === true"), "the conversation page reloaded by itself"

    def reload(self) -> Self:
        """Loads the page again (the live update refreshes the thread, not the header's attention badge)."""
        self.page.reload()
        return self.expect_loaded()

    def take_over(self) -> Self:
        """A person answers from now on; the assistant stays silent."""
        with self.expect_form_answer(303):
            self.take_over_button.click()
        self.expect_state("human")
        return self

    def return_to_assistant(self) -> Self:
        with self.expect_form_answer(303):
            self.return_to_assistant_button.click()
        self.expect_state("open")
        return self

    def send(self, text: str) -> Self:
        """Types and sends a text as the signed-in person; waits until it is in the thread."""
        already = self.message(text).count()  # the same words may have been sent before
        self.composer.fill(text)
        with self.expect_form_answer(303):
            self.send_button.click()
        expect(self.message(text)).to_have_count(already + 1)
        return self

    # --- expectations ---------------------------------------------------------------------------------
    def expect_state(self, state: str) -> None:
        """open | human | blocked | closed, as the badge shows it."""
        expect(self.state_badge).to_have_attribute("data-state", state)
        expect(self.state_badge).to_have_text(state)

    def expect_state_described(self, description: str) -> None:
        """The sentence next to the state badge that says what the state means."""
        expect(self.page.get_by_text(description, exact=True)).to_be_visible()

    def expect_message(self, text: str, *, status: str | None = None, note: str | re.Pattern[str] | None = None,
                       author: str | None = None, at: str | re.Pattern[str] | None = None) -> None:
        """A message with exactly this body is in the thread (shown as text, never as markup), with the
        delivery status label ("Sending…", "Sent", "Delivered", "Failed", "Not delivered"...), the note
        saying why it failed or was held (none once it is Sent or Delivered), who wrote it ("Assistant",
        "Customer", a person's name) and when ("3:04 PM" today, "Mon 3:04 PM" this week, "Jan 5, 3:04 PM"
        before), when given."""
        message = self.message(text)
        expect(message).to_have_count(1)
        expect(message.get_by_test_id(MESSAGE_BODY_TEST_ID)).to_have_text(text)
        # On its side of the thread (the customer's on the left, the business's on the right), however it was drawn.
        expect(message).to_have_class(re.compile(rf"\bmsg-{message.get_attribute('data-direction')}\b"))
        if author is not None:  # the byline under the bubble: "<author> · <time>"
            expect(message.get_by_text(author, exact=True)).to_be_visible()
        if at is not None:
            expect(message.get_by_role("time")).to_have_text(at)
        if status is not None:
            expect(message.get_by_test_id(MESSAGE_STATUS_TEST_ID)).to_have_text(status)
        if note is not None:
            expect(message.get_by_test_id(MESSAGE_NOTE_TEST_ID)).to_have_text(note)
        elif status in ("Sent", "Delivered"):  # out: no reason left over from a retry or a hold
            expect(message.get_by_test_id(MESSAGE_NOTE_TEST_ID)).to_have_count(0)

    def expect_message_count(self, count: int) -> None:
        expect(self.messages).to_have_count(count)

    def expect_event_count(self, count: int) -> None:
        """Thread lines such as "Missed call (no answer)"."""
        expect(self.events).to_have_count(count)

    def expect_event(self, text: str) -> None:
        """Exactly one thread line reads `text` (before its time), e.g. "Missed call (busy)"."""
        line = re.compile(r"^\s*" + re.escape(text) + r"\s*·")
        expect(self.events.filter(has_text=line)).to_have_count(1)

    def expect_needs_attention(self, reason: str | re.Pattern[str]) -> None:
        """The "Needs you" badge and why (as the header shows them when the page loads)."""
        expect(self.needs_attention_badge).to_have_text("Needs you")
        expect(self.attention_reason).to_have_text(reason)

    def expect_no_attention_needed(self) -> None:
        expect(self.needs_attention_badge).to_have_count(0)
        expect(self.attention_reason).to_have_count(0)

    def expect_held_messages(self, count: int) -> None:
        held = self.messages_with_status("Held")
        expect(held).to_have_count(count)
        if count:
            expect(held.first.get_by_test_id(MESSAGE_NOTE_TEST_ID)).to_contain_text("registration")

    def expect_no_held_messages(self) -> None:
        expect(self.messages_with_status("Held")).to_have_count(0)

    def expect_composer_disabled(self, because: str | re.Pattern[str]) -> None:
        expect(self.composer).to_be_disabled()
        expect(self.send_button).to_be_disabled()
        expect(self.composer_note).to_contain_text(because)
        # ... the reason a screen reader reads with the disabled box.
        expect(self.composer).to_have_accessible_description(
            because if isinstance(because, re.Pattern) else re.compile(re.escape(because)))

    def expect_composer_enabled(self) -> None:
        expect(self.composer).to_be_enabled()
        expect(self.send_button).to_be_enabled()
        expect(self.composer_note).to_have_count(0)

    def expect_refused(self, reason: str | re.Pattern[str], *, draft: str) -> None:
        """A send the app refused: the page says why and keeps the text the person wrote."""
        expect(self.error).to_contain_text(reason)
        expect(self.composer).to_have_value(draft)

    def expect_can_take_over(self) -> None:
        expect(self.take_over_button).to_be_visible()
        expect(self.return_to_assistant_button).to_have_count(0)
