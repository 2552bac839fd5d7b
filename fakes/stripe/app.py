"""``StripeFake``: the Stripe fake as a :class:`~fakes.core.FakeApp` — API, hosted pages, control routes.

Everything that touches the account runs under ``self.lock`` (one lock, so idempotent replays and
concurrent requests are trivially consistent); webhooks are prepared under the lock and posted
after it is released, on the delivery thread of :mod:`fakes.stripe.delivery`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import Any

from fakes.core import FakeApp, Request, Response
from fakes.core.http import Handler
from fakes.stripe import pages
from fakes.stripe.api import ROUTES, ApiCall, ApiHandler, virtual_fields
from fakes.stripe.cards import check_card
from fakes.stripe.catalog import DEFAULT_PRICES, CatalogPrice
from fakes.stripe.control import install_control_routes
from fakes.stripe.delivery import EventSender, PreparedDelivery, prepare
from fakes.stripe.errors import (
    API_ERROR,
    StripeApiError,
    invalid_api_key,
    invalid_request,
    missing_api_key,
    unrecognized_url,
)
from fakes.stripe.expand import expand
from fakes.stripe.idempotency import IdempotencyStore, StoredResponse
from fakes.stripe.ids import new_request_id
from fakes.stripe.objects import Obj
from fakes.stripe.params import Params, parse_form
from fakes.stripe.state import DEFAULT_API_VERSION, Origin, StateConflict, StripeState

DEFAULT_API_KEY = "sk_test_nevermisscall_fake"

_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[a-z_]+)?$")


class StripeFake(FakeApp):
    name = "stripe"

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        prices: Iterable[CatalogPrice] = DEFAULT_PRICES,
        public_url: str | None = None,
        api_version: str = DEFAULT_API_VERSION,
        webhook_timeout_s: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not api_key.startswith("sk_test_"):
            raise ValueError("the Stripe fake only takes test-mode secret keys (sk_test_...)")
        super().__init__(webhook_timeout_s=webhook_timeout_s)
        self.api_key = api_key
        #: Where browsers reach the fake (checkout/portal URLs). None: taken from each request's Host.
        self.public_url = public_url.rstrip("/") if public_url else None
        self.state = StripeState(catalog=tuple(prices), api_version=api_version, clock=clock)
        self.idempotency = IdempotencyStore()
        self.sender = EventSender(self.webhooks, self._mark_delivered)
        self._virtuals = virtual_fields(self.state)
        for method, pattern, handler in ROUTES:
            self.router.add(method, pattern, self._api(handler))
        self._install_pages()
        install_control_routes(self.router, self)

    # -- FakeApp hooks ------------------------------------------------------------------------
    def reset_state(self) -> None:
        self.state.clear()
        self.idempotency.clear()
        self.sender.forget_queued()

    def default_fault_body(self, code: int) -> Any:
        return StripeApiError(code, f"Injected fault: HTTP {code}.", type=API_ERROR).payload

    def not_found(self, request: Request) -> Response:
        error = unrecognized_url(request.method, request.path)
        return Response.json(error.payload, error.status, {"Request-Id": new_request_id()})

    def control_info(self) -> dict[str, Any]:
        with self.lock:
            return {
                "api_key": self.api_key,
                "public_url": self.public_url,
                "prices": sorted(self.state.prices),
                "webhook_endpoints": [
                    {"id": e["id"], "url": e["url"], "enabled_events": e["enabled_events"]}
                    for e in self.state.webhook_endpoints.values()
                ],
            }

    def close(self) -> None:
        self.sender.close()
        super().close()

    # -- set-up helpers ---------------------------------------------------------------------------
    def register_webhook_endpoint(
        self, url: str, *, enabled_events: Iterable[str] = ("*",), secret: str | None = None
    ) -> Obj:
        """Register an endpoint that survives ``/_fake/reset`` (start-up configuration); returns it with its secret."""
        if secret is not None and not secret.startswith("whsec_"):
            raise ValueError("a webhook signing secret starts with whsec_")
        with self.lock:
            return dict(self.state.preregister_webhook_endpoint(url=url, enabled_events=list(enabled_events), secret=secret))

    def base_url_for(self, request: Request) -> str:
        if self.public_url:
            return self.public_url
        return f"http://{request.headers.get('Host') or '127.0.0.1'}"

    # -- webhooks -----------------------------------------------------------------------------
    def _mark_delivered(self, event_id: str) -> None:
        with self.lock:
            self.state.mark_delivered(event_id)

    def take_deliveries(self) -> tuple[list[Obj], list[PreparedDelivery]]:
        """Call with the lock held: the events just emitted and their signed webhooks."""
        outgoing = self.state.take_outbox()
        return [item.event for item in outgoing], prepare(outgoing)

    def send(self, deliveries: list[PreparedDelivery]) -> Future[list[dict[str, Any]]]:
        """Call without the lock: queue one burst for delivery."""
        return self.sender.submit(deliveries)

    # -- the /v1/ API ---------------------------------------------------------------------------
    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("Authorization") or ""
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "bearer":
            presented = credentials.strip()
        elif scheme.lower() == "basic":
            # Stripe also takes the key as the basic-auth user name (curl -u sk_test_...:).
            try:
                presented = base64.b64decode(credentials.strip()).decode().split(":", 1)[0]
            except (binascii.Error, UnicodeDecodeError):
                presented = ""
        else:
            presented = ""
        if not presented:
            raise missing_api_key()
        if presented != self.api_key:
            raise invalid_api_key(presented)

    @staticmethod
    def _read_params(request: Request) -> dict[str, Any]:
        pairs = list(request.query.pairs)
        if request.method == "POST" and request.body.strip():
            if request.content_type not in ("", "application/x-www-form-urlencoded"):
                raise invalid_request(
                    f"Invalid request: the Stripe API takes application/x-www-form-urlencoded bodies, "
                    f"not {request.content_type}."
                )
            pairs.extend(request.form().pairs)
        return parse_form(pairs)

    def _api(self, handler: ApiHandler) -> Handler:
        def serve(request: Request) -> Response:
            request_id = new_request_id()
            version = request.headers.get("Stripe-Version") or self.state.api_version
            headers = {"Request-Id": request_id, "Stripe-Version": version}
            key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
            if key:
                headers["Idempotency-Key"] = key
            try:
                self._authenticate(request)
                if not _API_VERSION.match(version):
                    raise invalid_request(f"Invalid Stripe API version: {version}", param="Stripe-Version")
                params = Params(self._read_params(request))
                with self.lock:
                    if key:
                        stored = self.idempotency.lookup(key, request.method, request.path, params.data)
                        if stored is not None:
                            replay = {**headers, "Idempotent-Replayed": "true", "Original-Request": stored.request_id}
                            return Response(stored.status, stored.body, {"Content-Type": "application/json", **replay})
                    call = ApiCall(request, params, self.state, Origin(request_id, key), self.base_url_for(request))
                    try:
                        result = expand(handler(call), params.expand(), self.state.find, self._virtuals)
                    except StateConflict as conflict:
                        raise invalid_request(f"{conflict}.") from conflict
                    body = json.dumps(result, indent=2).encode()
                    if key:
                        self.idempotency.save(
                            key, StoredResponse(request.method, request.path, params.data, 200, body, request_id)
                        )
                    _, deliveries = self.take_deliveries()
            except StripeApiError as error:
                # Operations check before they change anything, so a failed one emitted nothing; what
                # may be queued is a side effect that did happen (a session expiring as it was read).
                with self.lock:
                    _, deliveries = self.take_deliveries()
                self.send(deliveries)
                return Response.json(error.payload, error.status, headers)
            self.send(deliveries)
            return Response(200, body, {"Content-Type": "application/json", **headers})

        return serve

    # -- hosted pages ---------------------------------------------------------------------------
    def _install_pages(self) -> None:
        session_path = r"/checkout/(?P<id>[^/]+)"
        self.router.add("GET", session_path, self._checkout_page)
        self.router.add("POST", session_path + r"/pay", self._checkout_pay)
        self.router.add("POST", session_path + r"/cancel", self._checkout_cancel)
        self.router.add("GET", r"/portal/(?P<id>[^/]+)", self._portal_page)
        self.router.add("POST", r"/portal/(?P<id>[^/]+)/subscriptions/(?P<sub>[^/]+)/cancel", self._portal_cancel)

    def _session_gone(self, session: Obj | None, session_id: str) -> Response:
        status = 404 if session is None else 410 if session["status"] == "expired" else 200
        return Response.html(pages.checkout_gone_page(session, session_id), status)

    def _open_session(self, session_id: str) -> tuple[Obj | None, Obj | None]:
        """(session, its first line item) — the session is None when unknown."""
        session = self.state.find(session_id) if session_id.startswith("cs_") else None
        if session is None:
            return None, None
        return session, self.state.session_records[session_id].line_items[0]

    def _checkout_page(self, request: Request) -> Response:
        session_id = request.path_params["id"]
        with self.lock:
            session, line_item = self._open_session(session_id)
            if session is None or line_item is None or session["status"] != "open":
                response = self._session_gone(session, session_id)
            else:
                response = Response.html(pages.checkout_page(session, line_item))
            _, deliveries = self.take_deliveries()  # a lazily expired session emits checkout.session.expired
        self.send(deliveries)
        return response

    def _checkout_pay(self, request: Request) -> Response:
        session_id = request.path_params["id"]
        card_number = request.form().get("card_number") or ""
        with self.lock:
            session, line_item = self._open_session(session_id)
            if session is not None and session["status"] == "complete":
                # A second submit (double click, back button): the payment already went through.
                return self._after_payment(session)
            if session is None or line_item is None or session["status"] != "open":
                response = self._session_gone(session, session_id)
            else:
                check = check_card(card_number)
                if check.ok:
                    self.state.complete_checkout(session_id)
                    response = self._after_payment(session)
                else:
                    # Declined or invalid: show why, keep what was typed, change nothing.
                    status = 402 if check.outcome == "declined" else 400
                    html = pages.checkout_page(session, line_item, card_number=card_number, error=check.message)
                    response = Response.html(html, status)
            _, deliveries = self.take_deliveries()
        self.send(deliveries)
        return response

    @staticmethod
    def _after_payment(session: Obj) -> Response:
        success_url = session.get("success_url")
        if not success_url:
            return Response.html(pages.checkout_done_page("Payment successful", "Thanks! You can close this page."))
        return Response.redirect(str(success_url).replace("{CHECKOUT_SESSION_ID}", session["id"]), 303)

    def _checkout_cancel(self, request: Request) -> Response:
        session_id = request.path_params["id"]
        with self.lock:
            session, _ = self._open_session(session_id)
            if session is None or session["status"] != "open":
                return self._session_gone(session, session_id)
            cancel_url = session.get("cancel_url")
        if not cancel_url:
            return Response.html(pages.checkout_done_page("Checkout canceled", "You have not been charged."))
        return Response.redirect(str(cancel_url), 303)

    def _portal_page(self, request: Request) -> Response:
        portal_id = request.path_params["id"]
        with self.lock:
            portal = self.state.portal_sessions.get(portal_id)
            if portal is None:
                html = pages.checkout_done_page("Portal session not found", f"There is no portal session {portal_id}.")
                return Response.html(html, 404)
            customer = self.state.customers[portal["customer"]]
            subscriptions = self.state.customer_subscriptions(customer["id"])
            canceled = request.query.get("canceled")
            notice = "Your subscription has been canceled." if canceled else None
            return Response.html(pages.portal_page(portal, customer, subscriptions, notice=notice))

    def _portal_cancel(self, request: Request) -> Response:
        portal_id, sub_id = request.path_params["id"], request.path_params["sub"]
        with self.lock:
            portal = self.state.portal_sessions.get(portal_id)
            sub = self.state.subscriptions.get(sub_id)
            if portal is None or sub is None or sub["customer"] != portal["customer"]:
                html = pages.checkout_done_page("Subscription not found", "This portal session has no such subscription.")
                return Response.html(html, 404)
            if sub["status"] != "canceled":
                # The portal cancels immediately (a portal configuration choice Stripe offers).
                self.state.cancel_subscription(sub_id, None)
            _, deliveries = self.take_deliveries()
        self.send(deliveries)
        return Response.redirect(f"/portal/{portal_id}?canceled={sub_id}", 303)
