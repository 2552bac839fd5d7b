"""The ``/_fake/`` control routes every fake has: journal, faults, hostile webhooks, reset, health.

They take and return JSON and need no provider credentials. A provider fake may register a route
with the same method and path on its own ``router`` to replace one of these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fakes.core.http import Request, Response, Router, control_error
from fakes.core.validate import require_str

if TYPE_CHECKING:
    from fakes.core.app import FakeApp


def install_standard_control_routes(router: Router, app: FakeApp) -> None:
    def health(request: Request) -> Response:
        return Response.json({"status": "ok", "fake": app.name, **app.control_info()})

    def list_requests(request: Request) -> Response:
        since = request.query.get("since_id")
        since_id: int | None = None
        if since not in (None, ""):
            try:
                since_id = int(str(since))
            except ValueError:
                raise control_error(422, f"since_id must be an integer; got {since!r}") from None
        direction = request.query.get("direction") or None
        if direction not in (None, "inbound", "outbound"):
            raise control_error(422, "direction must be inbound or outbound")
        contains = request.query.get("contains") or None
        entries = app.journal.entries(since_id=since_id, contains=contains, direction=direction)
        return Response.json({"requests": entries})

    def list_faults(request: Request) -> Response:
        return Response.json({"faults": app.faults.list()})

    def add_fault(request: Request) -> Response:
        rule = app.faults.add_from_json(request.json_object())
        return Response.json(rule.to_dict(), 201)

    def clear_faults(request: Request) -> Response:
        app.faults.clear()
        return Response.json({"faults": []})

    def get_webhook_config(request: Request) -> Response:
        return Response.json(app.webhooks.config.to_dict())

    def set_webhook_config(request: Request) -> Response:
        return Response.json(app.webhooks.configure_from_json(request.json_object()).to_dict())

    def redeliver(request: Request) -> Response:
        delivery_id = require_str(request.json_object(), "delivery_id")
        return Response.json(app.webhooks.redeliver(delivery_id).to_dict())

    def reset(request: Request) -> Response:
        app.reset()
        return Response.json({"status": "reset"})

    router.add("GET", r"/_fake/health", health)
    router.add("GET", r"/_fake/requests", list_requests)
    router.add("GET", r"/_fake/faults", list_faults)
    router.add("POST", r"/_fake/faults", add_fault)
    router.add("DELETE", r"/_fake/faults", clear_faults)
    router.add("GET", r"/_fake/webhooks/config", get_webhook_config)
    router.add("POST", r"/_fake/webhooks/config", set_webhook_config)
    router.add("POST", r"/_fake/webhooks/redeliver", redeliver)
    router.add("POST", r"/_fake/reset", reset)
