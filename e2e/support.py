"""The flow author's vocabulary, in one import.

A flow test imports its types and helpers from here (and page objects from ``pages``)::

    from e2e.support import Settle, TenantHandle, TwilioFakeClient, WaitUntil, texts_to

Helpers that speak about a tenant and a customer take both as keyword arguments, so a call cannot
swap them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from playwright.sync_api import Page, Route, expect

from e2e.plugins.tenants import PHONE_CONTEXT, WaitUntil
from fakes.stripe.client import StripeFakeClient
from fakes.twilio.client import TwilioFakeClient
from seed import http
from seed.factories import CatalogItem
from seed.handle import TenantHandle
from seed.seeder import TenantSeeder
from stack.description import Stack
from stack.waiting import Settle

__all__ = [
    "PHONE_CONTEXT", "CatalogItem", "Settle", "StripeFakeClient", "TenantHandle", "TenantSeeder",
    "TwilioFakeClient", "WaitUntil", "bodies_to", "skip_outside_app", "text_the_business", "texts_to",
]


def texts_to(twilio: TwilioFakeClient, *, tenant: TenantHandle, customer: str) -> list[dict[str, Any]]:
    """Every text the business's number sent the customer, oldest first, as the Twilio fake received it."""
    return twilio.messages(to=customer, from_=tenant.phone_number)


def bodies_to(twilio: TwilioFakeClient, *, tenant: TenantHandle, customer: str) -> list[str]:
    """The bodies of :func:`texts_to`."""
    return [text["body"] for text in texts_to(twilio, tenant=tenant, customer=customer)]


def text_the_business(twilio: TwilioFakeClient, *, tenant: TenantHandle, customer: str, body: str,
                      wait_until: WaitUntil) -> str:
    """The customer texts the business's number; returns the one reply the assistant sent back."""
    before = len(texts_to(twilio, tenant=tenant, customer=customer))
    assert twilio.inbound_sms(from_=customer, to=tenant.phone_number, body=body)["status_code"] == 200
    replies = wait_until(lambda: bodies_to(twilio, tenant=tenant, customer=customer)[before:],
                         message=f"the reply to {body!r}")
    assert len(replies) == 1, f"expected one reply to {body!r}, got {replies}"
    return replies[0]


# --- the app's API as a signed-in user -------------------------------------------------------------------
__all__ += ["bearer"]


def bearer(stack: Stack, token: str) -> httpx.Client:
    """An API client that sends `token` as its Bearer session (close it, or use it in a `with`)."""
    return http.client(base_url=stack.base_url, timeout=30, headers={"Authorization": f"Bearer {token}"})


# --- messaging flows (keywords, conversations, delivery) ---------------------------------------------------
__all__ += [
    "CREATE_MESSAGE",
    "first_attempt_unanswered",
    "first_reply",
    "handoff",
    "help_reply",
    "resubscribed",
    "send_attempts_to",
]

CREATE_MESSAGE = r"/Messages\.json$"  # the Twilio fake's path for creating a text (a fault rule's pattern)


@contextmanager
def first_attempt_unanswered(twilio: TwilioFakeClient, wait_until: WaitUntil) -> Iterator[None]:
    """Twilio never answers the next text's first attempt (held 5 s: the app gives up after its 1 s timeout and
    waits for a retry). The block sends the text; leaving it waits until that attempt has been made."""
    twilio.add_fault(CREATE_MESSAGE, "timeout", method="POST", times=1, hold_ms=5000)
    yield
    wait_until(lambda: [rule for rule in twilio.faults() if rule["remaining"] == 0], message="the unanswered attempt")


def send_attempts_to(twilio: TwilioFakeClient, *, tenant: TenantHandle, customer: str) -> list[dict[str, Any]]:
    """Every request the app made to create a text from the business to the customer, answered or not
    (the fake's journal: ``status`` is Twilio's answer, None when a fault dropped it). Unlike
    :func:`texts_to` it also shows attempts the fake refused, e.g. to an opted-out number (21610)."""
    return [entry for entry in twilio.requests(direction="inbound", contains=customer)
            if entry["method"] == "POST" and entry["path"].endswith("/Messages.json")
            and (entry.get("form") or {}).get("To") == customer
            and (entry.get("form") or {}).get("From") == tenant.phone_number]


def first_reply(tenant: TenantHandle) -> str:
    """The first text a caller gets after a missed call, word for word."""
    return (f"Hi, this is {tenant.name}. Sorry we missed your call! How can we help? "
            "Tell us what you need and we'll get right back to you. Reply STOP to opt out.")


def handoff(tenant: TenantHandle) -> str:
    """The assistant's answer to a text it cannot handle (the conversation is then flagged for a person)."""
    return f"Thanks! I've passed your message to the team at {tenant.name}. Someone will get back to you shortly."


def help_reply(tenant: TenantHandle) -> str:
    """The answer to HELP / INFO, word for word."""
    return (f"{tenant.name}: reply to this text with what you need and we'll help, or call us at "
            f"{tenant.phone_number}. Msg & data rates may apply. Reply STOP to opt out.")


def resubscribed(tenant: TenantHandle) -> str:
    """The confirmation of START / UNSTOP (and of YES while opted out), word for word."""
    return f"You're subscribed again to texts from {tenant.name}. Reply HELP for help, STOP to opt out."


# --- business flows (billing, compliance, booking) ---------------------------------------------------
__all__ += ["approve_brand", "decide_brand", "expect_banner_link", "item_id"]


def item_id(app_api: httpx.Client, name: str) -> str:
    """The id of the tenant's one catalog item called `name` (through the owner's API)."""
    [found] = [i["id"] for i in app_api.get("/api/v1/catalog/items").json()["items"] if i["name"] == name]
    return str(found)


def decide_brand(twilio: TwilioFakeClient, tenant: TenantHandle, brand_sid: str, status: str,
                 failure_reason: str | None = None) -> None:
    """Twilio decides on a brand registration and posts the signed callback; the app handles it in the request."""
    result = twilio.set_brand_status(brand_sid, status, callback_url=tenant.url("/webhooks/twilio/compliance"),
                                     failure_reason=failure_reason)
    assert result["status_code"] == 200, result


def approve_brand(twilio: TwilioFakeClient, tenant: TenantHandle) -> None:
    """Twilio approves the brand the app registered when the tenant was created (the fake posts the callback)."""
    decide_brand(twilio, tenant, tenant.extra["brand_sid"], "APPROVED")


def expect_banner_link(page: Page, test_id: str, text: str) -> None:
    """The banner's call to action reads ``text`` (owners only get one)."""
    expect(page.get_by_test_id(test_id).get_by_role("link")).to_have_text(text)


# --- the browser's network ---------------------------------------------------------------------------
__all__ += ["drop_first"]


def drop_first(page: Page, url_glob: str, method: str = "POST") -> list[str]:
    """Aborts the first `method` request to `url_glob` (as a dropped connection); lets later ones through.
    Returns the list of URLs it dropped, so the test can check the fault really fired."""
    dropped: list[str] = []

    def handle(route: Route) -> None:
        if route.request.method == method and not dropped:
            dropped.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route(url_glob, handle)
    return dropped


# -- Skips (issue 20) ----------------------------------------------------------------------------------
# The only way a flow test may skip: for a reason outside the app, named by a key of
# e2e.plugins.skips.OUTSIDE_APP_REASONS. A control that fails is a failure, never a skip.
from e2e.plugins.skips import skip_outside_app  # noqa: E402
