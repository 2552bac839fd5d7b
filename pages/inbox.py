"""The inbox: one row per conversation, with the caller's number and a state badge."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, expect

from pages.base import BasePage

CONVERSATION_ROW_TEST_ID = "conversation-row"
CONVERSATION_STATE_TEST_ID = "conversation-state"
INBOX_EMPTY_TEST_ID = "inbox-empty"
CONVERSATION_PREVIEW_TEST_ID = "conversation-preview"  # messaging: the last message of the row
NEEDS_ATTENTION_TEST_ID = "needs-attention"


class InboxPage(BasePage):
    path = "/inbox"
    heading_name = "Inbox"
    title = "Inbox"

    @property
    def conversations(self) -> Locator:
        return self.page.get_by_role("table", name="Conversations")

    @property
    def rows(self) -> Locator:
        return self.page.get_by_test_id(CONVERSATION_ROW_TEST_ID)

    @property
    def empty_state(self) -> Locator:
        return self.page.get_by_test_id(INBOX_EMPTY_TEST_ID)

    def row_for(self, caller: str) -> Locator:
        return self.rows.filter(has_text=caller)

    def state_of(self, caller: str) -> Locator:
        return self.row_for(caller).get_by_test_id(CONVERSATION_STATE_TEST_ID)

    def open_conversation(self, caller: str, *, state: str | None = None) -> None:
        """Follows the caller's row (the one in `state` when a closed conversation has a successor)."""
        row = self.row_for(caller) if state is None else self.rows_in_state(caller, state)
        row.get_by_role("link", name=caller).click()

    def expect_empty(self) -> None:
        expect(self.empty_state).to_be_visible()
        expect(self.rows).to_have_count(0)

    def expect_conversation(self, caller: str, *, state: str | None = None) -> None:
        expect(self.row_for(caller)).to_have_count(1)
        if state is not None:
            expect(self.state_of(caller)).to_have_text(state)
            # ...in the state's colour (the badge's class), as the page drew it or the inbox script redrew it
            expect(self.state_of(caller)).to_have_class(re.compile(rf"\bbadge-{state}\b"))

    def expect_first(self, caller: str, *, state: str | None = None) -> None:
        """The top row (the most recently active conversation) is the caller's, in `state` when given."""
        top = self.rows.first
        expect(top).to_contain_text(caller)
        if state is not None:
            expect(top.get_by_test_id(CONVERSATION_STATE_TEST_ID)).to_have_text(state)

    def updated_of(self, caller: str) -> Locator:
        """The row's "Updated" column: when the conversation was last active, in the business's time zone."""
        return self.row_for(caller).locator("time")

    def expect_updated(self, caller: str, label: str | re.Pattern[str]) -> None:
        expect(self.updated_of(caller)).to_have_text(label)

    def expect_conversation_count(self, count: int) -> None:
        expect(self.rows).to_have_count(count)

    # --- added by messaging: the row's last-message preview (the inbox refreshes itself) ---------
    def preview_of(self, caller: str) -> Locator:
        return self.row_for(caller).get_by_test_id(CONVERSATION_PREVIEW_TEST_ID)

    def expect_last_message(self, caller: str, text: str, *, by: str) -> None:
        """The row's preview: who wrote the newest message (its label: "Assistant", "Customer", a name) and what."""
        expect(self.preview_of(caller)).to_have_text(f"{by}: {text}")

    # --- the "Needs you" badge of a row, and conversations of one state --------------------------
    def attention_badge_of(self, caller: str) -> Locator:
        return self.row_for(caller).get_by_test_id(NEEDS_ATTENTION_TEST_ID)

    def expect_needs_attention(self, caller: str, reason: str | re.Pattern[str] | None = None) -> None:
        """The row shows "Needs you" (its tooltip says why)."""
        badge = self.attention_badge_of(caller)
        expect(badge).to_have_text("Needs you")
        expect(self.row_for(caller)).to_have_class(re.compile(r"\brow-attention\b"))  # the row stands out too
        if reason is not None:
            expect(badge).to_have_attribute("title", reason)

    def expect_no_attention_needed(self, caller: str) -> None:
        expect(self.row_for(caller)).to_have_count(1)
        expect(self.attention_badge_of(caller)).to_have_count(0)
        expect(self.row_for(caller)).not_to_have_class(re.compile(r"\brow-attention\b"))

    def rows_in_state(self, caller: str, state: str) -> Locator:
        """The caller's rows whose state badge reads `state` (a closed conversation and its successor)."""
        badge = self.page.get_by_test_id(CONVERSATION_STATE_TEST_ID).filter(has_text=re.compile(rf"^\s*{state}\s*$"))
        return self.row_for(caller).filter(has=badge)
