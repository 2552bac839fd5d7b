"""The route table, classified: who may call each route, written down explicitly and checked against the app.

`ACCESS` is the expected-answer table of the RBAC matrix. Every route the app serves must have an entry
(a new route without one fails `test_every_route_has_an_access_entry`), and each entry must agree with
the route's dependencies (an OWNER entry on a route without the owner check fails too), so the table
cannot silently drift from the code in either direction.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from app.deps import check_csrf, get_auth, get_owner

PARAM = re.compile(r"{(\w+)(?::\w+)?}")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Access(enum.StrEnum):
    PUBLIC = "public"  # anyone, signed in or not (public forms still need the CSRF token)
    SIGNED_IN = "signed_in"  # OWNER or TECH of the tenant
    OWNER = "owner"  # the tenant's OWNER only
    OPERATOR = "operator"  # the operator API's bearer token, never a user session
    WEBHOOK = "webhook"  # a provider's signature, never a user session


P, S, OWN, X, W = Access.PUBLIC, Access.SIGNED_IN, Access.OWNER, Access.OPERATOR, Access.WEBHOOK

ACCESS: dict[tuple[str, str], Access] = {
    # platform and identity
    ("GET", "/healthz"): P,
    ("GET", "/login"): P,
    ("POST", "/login"): P,
    ("POST", "/logout"): P,
    ("POST", "/api/v1/auth/token"): P,
    ("GET", "/api/v1/me"): S,
    # conversations
    ("GET", "/"): P,  # redirects to /inbox, which asks for a session
    ("GET", "/inbox"): S,
    ("GET", "/conversations/{conversation_id}"): S,
    ("POST", "/conversations/{conversation_id}/takeover"): S,
    ("POST", "/conversations/{conversation_id}/release"): S,
    ("POST", "/conversations/{conversation_id}/messages"): S,
    ("GET", "/api/v1/conversations"): S,
    ("GET", "/api/v1/conversations/{conversation_id}"): S,
    ("GET", "/api/v1/conversations/{conversation_id}/messages"): S,
    ("POST", "/api/v1/conversations/{conversation_id}/messages"): S,
    ("POST", "/api/v1/conversations/{conversation_id}/takeover"): S,
    ("POST", "/api/v1/conversations/{conversation_id}/release"): S,
    # reporting
    ("GET", "/dashboard"): S,
    ("GET", "/api/v1/dashboard/first-response"): S,
    # compliance (owner only)
    ("GET", "/compliance"): OWN,
    ("POST", "/compliance"): OWN,
    ("GET", "/api/v1/compliance"): OWN,
    ("POST", "/api/v1/compliance/registration"): OWN,
    # billing (owner only)
    ("GET", "/billing"): OWN,
    ("POST", "/billing/checkout"): OWN,
    ("POST", "/billing/portal"): OWN,
    ("GET", "/billing/success"): OWN,
    ("GET", "/api/v1/billing/status"): OWN,
    ("POST", "/api/v1/billing/checkout"): OWN,
    ("POST", "/api/v1/billing/portal"): OWN,
    # catalog (owner only, except matching and quoting, which a TECH needs while working a conversation)
    ("GET", "/catalog"): OWN,
    ("POST", "/catalog"): OWN,
    ("GET", "/catalog/{item_id}/edit"): OWN,
    ("POST", "/catalog/{item_id}"): OWN,
    ("POST", "/catalog/{item_id}/deactivate"): OWN,
    ("POST", "/catalog/{item_id}/activate"): OWN,
    ("GET", "/api/v1/catalog/items"): OWN,
    ("POST", "/api/v1/catalog/items"): OWN,
    ("GET", "/api/v1/catalog/items/{item_id}"): OWN,
    ("PATCH", "/api/v1/catalog/items/{item_id}"): OWN,
    ("DELETE", "/api/v1/catalog/items/{item_id}"): OWN,
    ("POST", "/api/v1/catalog/match"): S,
    ("POST", "/api/v1/catalog/quote"): S,
    # scheduling and booking
    ("GET", "/appointments"): S,
    ("GET", "/api/v1/offers"): S,
    ("GET", "/api/v1/availability"): S,
    ("POST", "/api/v1/holds"): S,
    ("GET", "/api/v1/holds/{hold_id}"): S,
    ("DELETE", "/api/v1/holds/{hold_id}"): S,
    ("POST", "/api/v1/bookings"): S,
    ("GET", "/api/v1/appointments"): S,
    ("GET", "/api/v1/appointments/{appointment_id}"): S,
    ("POST", "/api/v1/booking-links"): S,
    # external calendars (owner only)
    ("GET", "/calendar"): OWN,
    ("POST", "/calendar/google/connect"): OWN,
    ("GET", "/calendar/google/callback"): OWN,
    ("POST", "/calendar/jobber/connect"): OWN,
    ("GET", "/calendar/jobber/callback"): OWN,
    # the customer's booking page: the token in the SMS is the credential
    ("GET", "/book/{token}"): P,
    ("POST", "/book/{token}/hold"): P,
    ("GET", "/book/{token}/hold"): P,
    ("POST", "/book/{token}/confirm"): P,
    ("GET", "/book/{token}/booked"): P,
    # providers
    ("POST", "/webhooks/twilio/voice-status"): W,
    ("POST", "/webhooks/twilio/sms"): W,
    ("POST", "/webhooks/twilio/message-status"): W,
    ("POST", "/webhooks/twilio/compliance"): W,
    ("POST", "/webhooks/stripe"): W,
    ("POST", "/webhooks/google/calendar"): W,  # the channel token we chose is the credential
    ("POST", "/webhooks/jobber"): W,  # X-Jobber-Hmac-SHA256 with the app's client secret
    # operator API (what the seeder calls)
    ("POST", "/api/operator/tenants"): X,
    ("GET", "/api/operator/tenants"): X,
    ("GET", "/api/operator/tenants/{tenant_id}"): X,
    ("DELETE", "/api/operator/tenants/{tenant_id}"): X,
    ("POST", "/api/operator/tenants/{tenant_id}/sessions"): X,
    ("PATCH", "/api/operator/tenants/{tenant_id}/users/{user_id}"): X,
    ("GET", "/api/operator/tenants/{tenant_id}/clock"): X,
    ("PUT", "/api/operator/tenants/{tenant_id}/clock"): X,
    ("GET", "/api/operator/tenants/{tenant_id}/outbox"): X,
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    route: APIRoute

    @property
    def params(self) -> list[str]:
        return PARAM.findall(self.path)

    @property
    def is_api(self) -> bool:
        """JSON API (401/403 as JSON) rather than a page (redirect to the login form, error page)."""
        return self.path.startswith(("/api/", "/webhooks/")) or self.path == "/healthz"

    @property
    def unsafe(self) -> bool:
        return self.method in UNSAFE_METHODS

    def depends_on(self, call: Any) -> bool:
        return _depends_on(self.route.dependant, call)

    @property
    def dependency_names(self) -> set[str]:
        return _dependency_names(self.route.dependant)

    def url(self, values: dict[str, str]) -> str:
        url = self.path
        for name in self.params:
            url = re.sub(r"{" + name + r"(?::\w+)?}", values[name], url)
        return url

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _depends_on(dependant: Any, call: Any) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)


def _dependency_names(dependant: Any) -> set[str]:
    names: set[str] = set()
    for d in dependant.dependencies:
        names.add(getattr(d.call, "__name__", repr(d.call)))
        names |= _dependency_names(d)
    return names


def all_routes(app: FastAPI) -> list[Route]:
    """Every (method, path) the app serves through its routers (static files and docs excluded)."""
    found = []
    for router in app.state.routers:
        for route in router.routes:
            if isinstance(route, APIRoute):
                for method in sorted((route.methods or set()) - {"HEAD", "OPTIONS"}):
                    found.append(Route(method, route.path, route))
    return found


def routes_with(app: FastAPI, *levels: Access) -> Iterator[Route]:
    for route in all_routes(app):
        if ACCESS.get((route.method, route.path)) in levels:
            yield route


def inferred_access(route: Route) -> Access:
    """What the route's dependencies say about who may call it (to cross-check the explicit table)."""
    names = route.dependency_names
    if "require_operator" in names:
        return Access.OPERATOR
    if route.path.startswith("/webhooks/"):
        return Access.WEBHOOK
    if route.depends_on(get_owner):
        return Access.OWNER
    if route.depends_on(get_auth):
        return Access.SIGNED_IN
    return Access.PUBLIC


def csrf_checked(route: Route) -> bool:
    """Unsafe browser routes: cookie sessions are CSRF-checked inside get_auth, public forms by check_csrf."""
    return route.unsafe and (route.depends_on(get_auth) or route.depends_on(check_csrf))
