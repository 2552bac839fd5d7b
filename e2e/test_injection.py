"""[security] Script injection in a real browser: a business, a catalog item, customer texts, the owner's reply
and the customer's name all carry SQL-looking text and markup that would run script if it were rendered
raw (a <script>, an <img onerror>). Across every page that shows them - server-rendered and rebuilt by the
pages' own JavaScript - the text reads exactly as typed, no dialog ever opens and no injected code runs.
Also: a request body over the size limit is refused (413) before the app reads it whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Dialog, Page

from e2e.support import TenantHandle, TwilioFakeClient, WaitUntil
from pages.appointments import AppointmentsPage
from pages.booking_page import OffersPage
from pages.catalog import CatalogPage
from pages.conversation import ConversationPage
from pages.inbox import InboxPage
from seed import http
from stack.description import Stack

pytestmark = pytest.mark.security


def payload(tag: str) -> str:
    """Breaks out of SQL quotes and HTML attributes; flags `window.__nmcInjected` if any of it ever runs."""
    return (f"Robert'); DROP TABLE users;-- <script>window.__nmcInjected='{tag}';alert('{tag}')</script>"
            f"<img src=x onerror=\"window.__nmcInjected='{tag}';alert('{tag}')\"> \" ' &amp;")


BUSINESS = payload("business")[:190]
ITEM = "Leak repair <script>alert('item')</script>"  # catalog names are at most 120 characters
JOB = "burst pipe " + payload("sms")  # quoted with ITEM, which the owner adds with that alias
LIVE_SMS = payload("live")  # arrives while the thread is open: inserted by the page's script
REPLY = payload("reply")
CUSTOMER_NAME = "<img src=x onerror=alert('name')>"  # the booking form takes 120 characters
BOOKING_LINK = re.compile(r"https?://\S+/book/[A-Za-z0-9_-]+")


class DialogWatch:
    """Records every alert/confirm/prompt a page opens (dismissing it, so nothing blocks)."""

    def __init__(self, *pages: Page) -> None:
        self.opened: list[str] = []
        for page in pages:
            page.on("dialog", self._record)

    def _record(self, dialog: Dialog) -> None:
        self.opened.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()


def assert_nothing_ran(page: Page, dialogs: DialogWatch, where: str) -> None:
    assert dialogs.opened == [], f"{where}: a dialog opened: {dialogs.opened}"
    assert page.evaluate("() => window.__nmcInjected") is None, f"{where}: injected script ran"


@pytest.mark.tenant(name=BUSINESS, catalog=["Leak repair"])
def test_injected_markup_never_runs_and_reads_as_typed(
    owner_page: Page, customer_page: Page, tenant: TenantHandle, twilio: TwilioFakeClient, customer_phone: str,
    wait_until: WaitUntil,
) -> None:
    dialogs = DialogWatch(owner_page, customer_page)

    catalog = CatalogPage(owner_page).goto()
    catalog.add_item(name=ITEM, price="180", duration="1 h", aliases="burst pipe, <b>flood</b>")
    catalog.expect_item(ITEM, price="$180")
    assert_nothing_ran(owner_page, dialogs, "catalog")

    assert twilio.inbound_sms(from_=customer_phone, to=tenant.phone_number, body=JOB)["status_code"] == 200
    quote = wait_until(lambda: twilio.messages(to=customer_phone, from_=tenant.phone_number), message="the quote")
    inbox = InboxPage(owner_page).goto()
    inbox.expect_conversation(customer_phone)
    assert_nothing_ran(owner_page, dialogs, "inbox")

    conversation = ConversationPage.from_inbox(owner_page, customer_phone)
    conversation.expect_message(JOB)
    conversation.send(REPLY)
    conversation.expect_message(REPLY)
    assert twilio.inbound_sms(from_=customer_phone, to=tenant.phone_number, body=LIVE_SMS)["status_code"] == 200
    conversation.expect_message(LIVE_SMS)  # added by messaging.js from the JSON API, not by the server
    assert_nothing_ran(owner_page, dialogs, "conversation")

    link = BOOKING_LINK.search(quote[0]["body"])
    assert link, quote
    offers = OffersPage.open(customer_page, link.group(0))
    offers.expect_quote(ITEM, "$180")
    # The long words wrap: the phone-sized page is not pushed wider than the screen (buttons stay reachable).
    assert customer_page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    offers.pick_slot(1).confirm(name=CUSTOMER_NAME)
    assert_nothing_ran(customer_page, dialogs, "booking pages")

    appointments = AppointmentsPage(owner_page).goto()
    appointments.expect_count(1)
    assert appointments.rows.first.inner_text().count(ITEM) == 1
    assert_nothing_ran(owner_page, dialogs, "appointments")
    texts = [m["body"] for m in twilio.messages(to=customer_phone, from_=tenant.phone_number)]
    assert REPLY in texts  # what the owner typed is what the customer got, unmangled


MAX_BODY_BYTES = 1_000_000  # MAX_BODY_BYTES: larger requests are refused before the app reads them whole


def test_an_oversized_request_is_refused_whole_or_streamed(stack: Stack) -> None:
    """A body over the limit is a 413, whether it announces its length or arrives in chunks without one
    (then the app stops reading at the limit); a body of exactly the limit is read (and refused for what it
    says: not JSON). The sign-in API reads its body before anything else."""

    def chunks(body: bytes) -> Iterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start:start + 64 * 1024]

    url = f"{stack.base_url}/api/v1/auth/token"
    expected = {MAX_BODY_BYTES + 1: (413, "payload_too_large"), MAX_BODY_BYTES: (422, "validation_error")}
    answers = {(size, how): http.post(url, content=content, headers={"Content-Type": "application/json"}, timeout=30)
               for size in expected
               for how, content in (("announced", b"x" * size), ("chunked", chunks(b"x" * size)))}
    wrong = {key: (r.status_code, r.text[:120]) for key, r in answers.items()
             if (r.status_code, r.json().get("code")) != expected[key[0]]}
    assert not wrong, f"requests at or over the {MAX_BODY_BYTES}-byte limit answered wrongly: {wrong}"
