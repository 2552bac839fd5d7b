"""``FakeApp``: the state every fake shares (journal, fault rules, webhook dispatcher, routes).

A provider fake subclasses it, registers its routes on ``self.router`` and overrides the hooks
(``reset_state``, ``default_fault_body``, ``not_found``). The socket server (``fakes.core.server``)
calls :meth:`FakeApp.handle` for every request after applying fault rules and journaling.
"""

from __future__ import annotations

import sys
import threading
import traceback
from typing import Any

from fakes.core.control import install_standard_control_routes
from fakes.core.faults import FaultRules
from fakes.core.http import HttpError, Request, Response, Router, control_error
from fakes.core.journal import Journal
from fakes.core.webhooks import WebhookDispatcher

CONTROL_PREFIX = "/_fake/"


class FakeApp:
    #: Shown by ``GET /_fake/health`` and in logs.
    name = "fake"

    def __init__(self, *, webhook_timeout_s: float = 10.0) -> None:
        #: Guards the provider's domain state; re-entrant so helpers can nest.
        self.lock = threading.RLock()
        self.journal = Journal()
        self.faults = FaultRules()
        self.webhooks = WebhookDispatcher(self.journal, timeout_s=webhook_timeout_s)
        #: Provider routes, and provider-specific control routes (these win over the standard ones).
        self.router = Router()
        self.standard_control_router = Router()
        install_standard_control_routes(self.standard_control_router, self)

    # -- hooks for subclasses ---------------------------------------------------------------
    def reset_state(self) -> None:
        """Forget the provider's domain state (called by ``POST /_fake/reset``)."""

    def default_fault_body(self, code: int) -> Any:
        """Body of a ``status`` fault that gave none; override with the provider's error shape."""
        return {"detail": f"injected fault: HTTP {code}", "code": "injected_fault"}

    def not_found(self, request: Request) -> Response:
        """Answer for an unknown provider path; override with the provider's 404 shape."""
        detail = f"no route for {request.method} {request.path}"
        return Response.json({"detail": detail, "code": "not_found"}, 404)

    def control_info(self) -> dict[str, Any]:
        """Extra fields for ``GET /_fake/health`` (e.g. configured credentials)."""
        return {}

    # -- used by the server and the control routes --------------------------------------------
    @staticmethod
    def is_control_path(path: str) -> bool:
        return path.startswith(CONTROL_PREFIX) or path == CONTROL_PREFIX.rstrip("/")

    def reset(self) -> None:
        self.faults.clear()
        self.webhooks.reset()
        self.journal.clear()
        with self.lock:
            self.reset_state()

    def fault_response(self, code: int, body: Any) -> Response:
        return Response.json(self.default_fault_body(code) if body is None else body, code)

    def handle(self, request: Request) -> Response:
        """Route the request; errors become JSON responses, never a dropped connection."""
        try:
            return self._route(request)
        except HttpError as error:
            return Response.json(error.payload, error.status, error.headers)
        except Exception as exc:  # a bug in the fake: say so loudly, answer 500 with the reason
            traceback.print_exc(file=sys.stderr)
            return Response.json({"detail": f"fake {self.name} crashed: {exc!r}", "code": "fake_error"}, 500)

    def _route(self, request: Request) -> Response:
        is_control = self.is_control_path(request.path)
        routers = [self.router, self.standard_control_router] if is_control else [self.router]
        allowed: list[str] = []
        for router in routers:
            match = router.match(request.method, request.path)
            if match.handler is not None:
                request.path_params = match.params
                return match.handler(request)
            allowed.extend(match.allowed)
        if not is_control:
            return self.not_found(request)
        if allowed:
            methods = ", ".join(allowed)
            raise control_error(405, f"{request.method} not allowed on {request.path}; use {methods}")
        raise control_error(404, f"no control route {request.method} {request.path}")

    def close(self) -> None:
        """Release background resources (webhook threads, HTTP client)."""
        self.faults.clear()
        self.webhooks.close()
