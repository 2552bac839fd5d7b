"""Tests of the suite itself, run only by tests/seed/test_selfcheck.py (E2E_SELF_CHECK=1).

Each one misbehaves on purpose; the outer test checks the suite noticed: a failed test, its trace,
its bundle, the show-trace line, and the leak check failing the run.
"""

from __future__ import annotations

import json

from playwright.sync_api import Page, expect

from fakes.twilio.client import TwilioFakeClient
from pages.flows import open_inbox
from seed.handle import TenantHandle
from seed.seeder import TenantSeeder
from stack.description import Stack


def test_assertion_fails(owner_page: Page, tenant: TenantHandle, twilio: TwilioFakeClient, customer_phone: str) -> None:
    twilio.missed_call(from_=customer_phone, to=tenant.phone_number)  # something of this tenant in the journal
    open_inbox(owner_page)
    raise AssertionError("deliberate failure: the suite must keep a trace and write a bundle")


def test_uncaught_page_error_fails(owner_page: Page) -> None:
    inbox = open_inbox(owner_page)
    # Thrown from a timer the test starts, not an inline <script>: the app's CSP refuses inline script.
    owner_page.evaluate("setTimeout(() => { throw new Error('selfcheck: uncaught page error'); })")
    inbox.expect_loaded()


def test_app_5xx_seen_by_the_browser_fails(owner_page: Page) -> None:
    # Stands in for an app bug: the browser receives a 503 from the app's origin.
    owner_page.route("**/inbox", lambda route: route.fulfill(status=503, body="selfcheck: unavailable"))
    owner_page.goto("/inbox")


def test_app_5xx_in_the_app_log_fails(tenant: TenantHandle, stack: Stack) -> None:
    # Stands in for a server-side error the browser never sees (a webhook the app answered with 500).
    assert stack.app_log_file is not None
    line = {"level": "ERROR", "logger": "app.http", "message": "POST /webhooks/twilio/sms -> 500",
            "status": 500, "method": "POST", "path": "/webhooks/twilio/sms", "tenant_id": tenant.id}
    with open(stack.app_log_file, "a", encoding="utf-8") as log:
        log.write(json.dumps(line) + "\n")


def test_leaks_a_tenant(seeder: TenantSeeder) -> None:
    leaked = seeder.create()
    seeder.created.remove(leaked)  # teardown will not delete it: the session-end leak check must notice


def test_fails_in_the_second_of_two_contexts(owner_page: Page, customer_page: Page) -> None:
    open_inbox(owner_page)
    customer_page.goto("/login")
    expect(customer_page.get_by_role("heading", name="selfcheck: a heading that is not there")).to_be_visible(
        timeout=500)
