"""Shared core of the provider fakes: an HTTP server with a journal, fault rules and webhooks.

How to build a fake on it
=========================

1. Subclass :class:`FakeApp` and register routes on ``self.router`` in ``__init__``::

       class AcmeFake(FakeApp):
           name = "acme"

           def __init__(self, api_key: str = "sk_test_x") -> None:
               super().__init__()
               self.api_key = api_key
               self.widgets: dict[str, dict] = {}          # domain state, guarded by self.lock
               self.router.add("POST", r"/v1/widgets", self.create_widget)
               self.router.add("GET", r"/v1/widgets/(?P<id>[^/]+)", self.get_widget)
               self.router.add("POST", r"/_fake/widgets/(?P<id>[^/]+)/poke", self.poke)  # control

           def create_widget(self, request: Request) -> Response:
               form = request.form()                    # FormData: .get(), .getall(), .to_dict()
               with self.lock:
                   ...
               return Response.json({...}, 200)

   Handlers are ``(Request) -> Response``. Patterns are full-match regexes on the path; named
   groups land in ``request.path_params``. Raise :class:`HttpError` (status, JSON payload) for a
   provider error shape, or :func:`control_error` (``{"detail","code"}``) in control routes.
   ``request.json_object()`` answers 400 on malformed JSON and 422 on a non-object by itself;
   :mod:`fakes.core.validate` has ``require_str`` / ``optional_int`` / ``optional_bool`` / ... that
   answer 422 with a clear message.

2. Override the hooks as needed:

   * ``reset_state()`` — clear domain state (``POST /_fake/reset`` already clears journal,
     faults and webhook config/history, and holds ``self.lock`` while calling you);
   * ``default_fault_body(code)`` — provider-shaped body for a ``status`` fault without a body;
   * ``not_found(request)`` — provider-shaped 404 for unknown provider paths;
   * ``control_info()`` — extra fields for ``GET /_fake/health``.

3. Send webhooks through ``self.webhooks`` (a :class:`WebhookDispatcher`). Build the exact bytes
   and headers once, signature included, so duplicates/redeliveries are identical::

       hook = Webhook(url=..., body=payload_bytes, headers={"Content-Type": "application/json",
                                                           "Acme-Signature": sign(payload_bytes)},
                      kind="widget.created")
       self.webhooks.deliver_async(hook)       # background thread, never blocks the handler
       result = self.webhooks.deliver(hook)    # or now, on this thread -> DeliveryResult
       with self.webhooks.burst() as burst:    # related events; reversed when reorder is on
           burst.send(hook1); burst.send(hook2)
       self.webhooks.redeliver(hook.delivery_id)

   ``Webhook.form(url, params, headers)`` builds a form-encoded one. Every attempt is journaled
   as an ``"outbound"`` entry with its ``delivery_id``.

4. Serve it: ``with running(AcmeFake()) as server: server.base_url`` (port 0 = free port), or
   ``FakeServer(app, host, port).start()`` / ``.stop()``; from a CLI, ``base_parser(...)`` for
   ``--host/--port`` and ``serve(app, host, port)`` which prints ``listening on http://HOST:PORT``.

What every fake gets for free (``/_fake/``, JSON, no provider auth; never faulted or journaled):
``GET /_fake/health``, ``GET /_fake/requests?since_id=&contains=&direction=``,
``GET|POST|DELETE /_fake/faults``, ``GET|POST /_fake/webhooks/config``,
``POST /_fake/webhooks/redeliver {delivery_id}``, ``POST /_fake/reset``. A provider route with the
same method and path on ``self.router`` replaces a standard one. :class:`ControlClient` wraps
these routes (subclass it for the provider's own control routes; errors raise
:class:`FakeControlError`). Fault semantics:
:mod:`fakes.core.faults`; hostile delivery: :mod:`fakes.core.webhooks`.
"""

from fakes.core.app import CONTROL_PREFIX, FakeApp
from fakes.core.cli import base_parser, serve
from fakes.core.client import ControlClient, FakeControlError
from fakes.core.control import install_standard_control_routes
from fakes.core.faults import FaultRule, FaultRules
from fakes.core.http import FormData, Headers, HttpError, Request, Response, Router, control_error
from fakes.core.journal import Journal, iso_now
from fakes.core.server import FakeServer, running
from fakes.core.webhooks import DeliveryResult, Webhook, WebhookBurst, WebhookConfig, WebhookDispatcher

__all__ = [
    "CONTROL_PREFIX",
    "ControlClient",
    "DeliveryResult",
    "FakeApp",
    "FakeControlError",
    "FakeServer",
    "FaultRule",
    "FaultRules",
    "FormData",
    "Headers",
    "HttpError",
    "Journal",
    "Request",
    "Response",
    "Router",
    "Webhook",
    "WebhookBurst",
    "WebhookConfig",
    "WebhookDispatcher",
    "base_parser",
    "control_error",
    "install_standard_control_routes",
    "iso_now",
    "running",
    "serve",
]
