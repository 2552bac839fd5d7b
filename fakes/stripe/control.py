"""Stripe-specific ``/_fake/`` control routes (JSON, no auth). Core provides the rest.

``POST /_fake/subscriptions/{id}/payment_failed|payment_succeeded|cancel|cancel_at_period_end`` {wait?}
``POST /_fake/checkout_sessions/{id}/complete`` {card_number?, wait?}  — pay without a browser
``GET  /_fake/events?type=``  ``GET /_fake/checkout_sessions?client_reference_id=``
``GET  /_fake/subscriptions?customer=&status=``  ``GET /_fake/webhook_endpoints`` (secrets included)
``POST /_fake/webhooks/redeliver`` {event_id} (freshly signed) or {delivery_id} (byte-identical, core)

Operations answer ``{"subscription"|"session": ..., "events": [...]}``; with ``"wait": true`` they
also wait for the webhooks to be posted and add ``"deliveries"`` (status code the app answered).
"""

from __future__ import annotations

import copy
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

from fakes.core import Request, Response, Router, control_error
from fakes.core.validate import optional_bool, optional_str, require_str
from fakes.stripe.cards import SUCCESS_CARD, check_card
from fakes.stripe.delivery import PreparedDelivery, prepare
from fakes.stripe.errors import StripeApiError
from fakes.stripe.state import Outgoing, StateConflict

if TYPE_CHECKING:
    from fakes.stripe.app import StripeFake

#: Longest a ``wait: true`` control call waits for its webhooks (hostile delay is at most 120 s).
WAIT_LIMIT_S = 150.0


def install_control_routes(router: Router, app: StripeFake) -> None:
    def finish(deliveries: list[PreparedDelivery], wait: bool, answer: dict[str, Any]) -> Response:
        future = app.send(deliveries)
        if wait:
            try:
                answer["deliveries"] = future.result(timeout=WAIT_LIMIT_S)
            except FutureTimeout:
                raise control_error(504, f"webhooks not delivered within {WAIT_LIMIT_S:.0f} s") from None
        return Response.json(answer)

    def subscription_action(action: str) -> Any:
        def handle(request: Request) -> Response:
            body = request.json_object()
            wait = optional_bool(body, "wait", False)
            sub_id = request.path_params["id"]
            with app.lock:
                if sub_id not in app.state.subscriptions:
                    raise control_error(404, f"no subscription {sub_id!r}")
                try:
                    if action == "payment_failed":
                        sub = app.state.fail_payment(sub_id)
                    elif action == "payment_succeeded":
                        sub = app.state.succeed_payment(sub_id)
                    elif action == "status":  # Stripe's own moves: a trial, dunning's "unpaid", a paused trial
                        sub = app.state.move_subscription(sub_id, require_str(body, "status"))
                    elif action == "cancel_at_period_end":  # the customer cancels, effective at the period's end
                        sub = app.state.update_subscription(sub_id, cancel_at_period_end=True, metadata=None,
                                                            description=None, origin=None)
                    else:
                        sub = app.state.cancel_subscription(sub_id, None)
                except StateConflict as conflict:
                    raise control_error(409, str(conflict), "conflict") from conflict
                events, deliveries = app.take_deliveries()
                answer = {"subscription": copy.deepcopy(sub), "events": copy.deepcopy(events)}
            return finish(deliveries, wait, answer)

        return handle

    def complete_checkout(request: Request) -> Response:
        body = request.json_object()
        wait = optional_bool(body, "wait", False)
        card = optional_str(body, "card_number", SUCCESS_CARD) or SUCCESS_CARD
        session_id = request.path_params["id"]
        check = check_card(card)
        with app.lock:
            session = app.state.find(session_id) if session_id.startswith("cs_") else None
            if session is None:
                raise control_error(404, f"no checkout session {session_id!r}")
            if session["status"] != "open":
                raise control_error(409, f"checkout session {session_id} is {session['status']}, not open", "conflict")
            if not check.ok:
                raise control_error(402, check.message, check.decline_code or "invalid_card")
            app.state.complete_checkout(session_id)
            events, deliveries = app.take_deliveries()
            success_url = session.get("success_url")
            answer = {
                "session": copy.deepcopy(session),
                "events": copy.deepcopy(events),
                "redirect_url": str(success_url).replace("{CHECKOUT_SESSION_ID}", session_id) if success_url else None,
            }
        return finish(deliveries, wait, answer)

    def list_events(request: Request) -> Response:
        wanted = request.query.get("type") or None
        with app.lock:
            events = [e for e in app.state.events if wanted is None or e["type"] == wanted]
            return Response.json({"events": copy.deepcopy(events)})

    def list_checkout_sessions(request: Request) -> Response:
        reference = request.query.get("client_reference_id") or None
        with app.lock:
            sessions = []
            for session_id, session in app.state.sessions.items():
                if reference is not None and session["client_reference_id"] != reference:
                    continue
                record = app.state.session_records[session_id]
                sessions.append({"session": session, "params": record.create_params, "line_items": record.line_items})
            return Response.json({"checkout_sessions": copy.deepcopy(sessions)})

    def list_subscriptions(request: Request) -> Response:
        customer, status = request.query.get("customer") or None, request.query.get("status") or None
        with app.lock:
            subs = [
                s
                for s in app.state.subscriptions.values()
                if (customer is None or s["customer"] == customer) and (status is None or s["status"] == status)
            ]
            return Response.json({"subscriptions": copy.deepcopy(subs)})

    def list_webhook_endpoints(request: Request) -> Response:
        with app.lock:
            return Response.json({"webhook_endpoints": copy.deepcopy(list(app.state.webhook_endpoints.values()))})

    def redeliver(request: Request) -> Response:
        body = request.json_object()
        event_id, delivery_id = body.get("event_id"), body.get("delivery_id")
        if delivery_id is not None and event_id is None:
            if not isinstance(delivery_id, str) or not delivery_id:
                raise control_error(422, "delivery_id must be a non-empty string")
            return Response.json(app.webhooks.redeliver(delivery_id).to_dict())
        if not isinstance(event_id, str) or not event_id:
            raise control_error(422, "event_id is required (a string such as 'evt_...'); or give delivery_id")
        with app.lock:
            try:
                event = app.state.event(event_id)
            except StripeApiError:
                raise control_error(404, f"no event {event_id!r}") from None
            endpoints = tuple((e["id"], e["url"], e["secret"]) for e in app.state.endpoints_for(event["type"]))
            deliveries = prepare([Outgoing(event, endpoints)])
        if not deliveries:
            raise control_error(409, f"no enabled webhook endpoint listens for {event['type']}", "no_endpoint")
        return finish(deliveries, True, {"event_id": event_id})

    for action in ("payment_failed", "payment_succeeded", "cancel", "cancel_at_period_end", "status"):
        router.add("POST", rf"/_fake/subscriptions/(?P<id>[^/]+)/{action}", subscription_action(action))
    router.add("POST", r"/_fake/checkout_sessions/(?P<id>[^/]+)/complete", complete_checkout)
    router.add("GET", r"/_fake/events", list_events)
    router.add("GET", r"/_fake/checkout_sessions", list_checkout_sessions)
    router.add("GET", r"/_fake/subscriptions", list_subscriptions)
    router.add("GET", r"/_fake/webhook_endpoints", list_webhook_endpoints)
    router.add("POST", r"/_fake/webhooks/redeliver", redeliver)


__all__ = ["install_control_routes"]
