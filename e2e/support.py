"""The flow author's vocabulary, in one import.

A flow test imports its types and helpers from here (and page objects from ``pages``)::

    from e2e.support import Settle, TenantHandle, TwilioFakeClient, WaitUntil, texts_to

Helpers that speak about a tenant and a customer take both as keyword arguments, so a call cannot
swap them.
"""

from __future__ import annotations

from typing import Any

from e2e.plugins.tenants import PHONE_CONTEXT, WaitUntil
from e2e.waiting import Settle
from fakes.stripe.client import StripeFakeClient
from fakes.twilio.client import TwilioFakeClient
from seed.factories import CatalogItem
from seed.handle import TenantHandle
from seed.seeder import TenantSeeder

__all__ = [
    "PHONE_CONTEXT", "CatalogItem", "Settle", "StripeFakeClient", "TenantHandle", "TenantSeeder",
    "TwilioFakeClient", "WaitUntil", "bodies_to", "text_the_business", "texts_to",
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
