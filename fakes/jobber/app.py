"""The Jobber fake: the slice of Jobber's GraphQL API, OAuth 2.0 and webhooks the app uses, on :mod:`fakes.core`.

Provider routes (what Jobber's documentation describes; see fakes/README.md for the sources):

* ``GET  /api/oauth/authorize`` — the consent page (``client_id``, ``redirect_uri``, ``response_type=code``,
  ``state``); Allow redirects back with ``code`` and ``state``, Cancel with ``error=access_denied``.
* ``POST /api/oauth/token`` — ``grant_type=authorization_code`` (``code``, ``redirect_uri``) or
  ``refresh_token``, both with ``client_id`` / ``client_secret``: ``access_token``, ``refresh_token``,
  ``expires_in``. Access tokens expire (``--token-ttl``); the API answers 401 after that.
* ``POST /api/graphql`` — JSON ``{query, variables}`` with ``Authorization: Bearer <token>`` and the
  ``X-JOBBER-GRAPHQL-VERSION`` header. Executed by graphql-core against :data:`SCHEMA_SDL`, so a query the
  schema does not have is a GraphQL error (HTTP 200, ``errors``), as at Jobber.
* Webhooks: each visit change posts ``{"data":{"webHookEvent":{topic, appId, accountId, itemId, occurredAt}}}``
  to the configured URL, signed ``X-Jobber-Hmac-SHA256: base64(HMAC-SHA256(client secret, body))``.

Each consent names a Jobber account (an email); its id is an encoded id, as Jobber's are. Control
(``/_fake/jobber/...``): add / move / delete a visit made in Jobber itself, list an account's visits, drop
the next webhooks, set the webhook URL, expire an account's access tokens at once, answer an account's
``visits`` in pages smaller than ``first`` asks. Failing or slowing the next calls is the core's ``/_fake/faults``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from typing import Any

from graphql import GraphQLError, GraphQLSchema, build_schema, graphql_sync

from fakes.core import FakeApp, HttpError, Request, Response, Webhook, control_error
from fakes.core.consent import answer_consent
from fakes.core.journal import iso_now
from fakes.core.validate import optional_int, optional_str, require_str

SIGNATURE_HEADER = "X-Jobber-Hmac-SHA256"
VERSION_HEADER = "X-JOBBER-GRAPHQL-VERSION"
DEFAULT_PAGE = 50
MAX_PAGE = 100  # Jobber caps connection pages too; larger `first` is an error, not a silent cut

#: The part of Jobber's schema the fake answers. Field and type names follow Jobber's (``visits`` with a
#: ``startAt`` range filter, Relay-style ``nodes`` / ``pageInfo``, mutations answering ``userErrors``).
#: ``visitCreate`` is the fake's stand-in for Jobber's job-scheduling mutations: one call books one visit,
#: and its ``idempotencyKey`` makes a retried call return the visit the first call made.
SCHEMA_SDL = """
scalar ISO8601DateTime
scalar EncodedId

type Query {
  account: Account!
  visits(first: Int, after: String, filter: VisitFilterAttributes): VisitConnection!
}

type Mutation {
  visitCreate(input: VisitCreateInput!): VisitCreatePayload!
}

type Account { id: EncodedId! name: String! }

input Iso8601DateTimeRangeInput { after: ISO8601DateTime, before: ISO8601DateTime }
input VisitFilterAttributes { startAt: Iso8601DateTimeRangeInput }

type PageInfo { hasNextPage: Boolean! endCursor: String }
type VisitConnection { nodes: [Visit!]! pageInfo: PageInfo! totalCount: Int! }

type Visit {
  id: EncodedId!
  title: String!
  instructions: String
  startAt: ISO8601DateTime
  endAt: ISO8601DateTime
  allDay: Boolean!
  createdAt: ISO8601DateTime!
}

input VisitCreateInput {
  title: String!
  instructions: String
  startAt: ISO8601DateTime!
  endAt: ISO8601DateTime!
  idempotencyKey: String
}

type UserError { message: String! path: [String!]! }
type VisitCreatePayload { visit: Visit userErrors: [UserError!]! }
"""


def jobber_error(status: int, message: str, code: str) -> HttpError:
    """An HTTP-level error (auth, headers, malformed body): ``{"message", "code"}``, never a traceback."""
    return HttpError(status, {"message": message, "code": code})


def encoded_id(kind: str, number: int) -> str:
    """Jobber's ids are base64 of a global id, e.g. ``gid://Jobber/Visit/12``."""
    return base64.b64encode(f"gid://Jobber/{kind}/{number}".encode()).decode()


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class Account:
    id: str
    email: str
    visits: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)  # idempotencyKey -> visit id
    #: At most this many visits a page, whatever `first` asks (a Relay connection returns *at most* `first`
    #: nodes), so a client must follow `hasNextPage` / `endCursor`. None: `first`.
    page_size: int | None = None


class JobberFake(FakeApp):
    name = "jobber"

    def __init__(self, *, client_id: str = "nmc-test-client", client_secret: str = "nmc-test-secret",
                 webhook_url: str = "", token_ttl_s: int = 3600) -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.app_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"jobber-app:{client_id}"))
        self.initial_webhook_url = webhook_url
        self.token_ttl_s = token_ttl_s
        self.schema: GraphQLSchema = build_schema(SCHEMA_SDL)
        self.reset_state()
        r = self.router
        r.add("GET", r"/api/oauth/authorize", self.consent_page)
        r.add("POST", r"/api/oauth/approve", self.approve)
        r.add("POST", r"/api/oauth/token", self.token)
        r.add("POST", r"/api/graphql", self.graphql)
        r.add("POST", r"/_fake/jobber/visits", self.control_add)
        r.add("PATCH", r"/_fake/jobber/visits/(?P<id>[^/]+)", self.control_move)
        r.add("DELETE", r"/_fake/jobber/visits/(?P<id>[^/]+)", self.control_delete)
        r.add("GET", r"/_fake/jobber/visits", self.control_list)
        r.add("POST", r"/_fake/jobber/drop-webhooks", self.control_drop)
        r.add("POST", r"/_fake/jobber/webhook-url", self.control_webhook_url)
        r.add("POST", r"/_fake/jobber/expire-tokens", self.control_expire_tokens)
        r.add("POST", r"/_fake/jobber/page-size", self.control_page_size)

    # -- state -------------------------------------------------------------------------------------
    def reset_state(self) -> None:
        self.accounts: dict[str, Account] = {}  # by email
        self.next_number = 1
        self.codes: dict[str, tuple[str, str]] = {}  # authorization code -> (redirect_uri, account email)
        self.access_tokens: dict[str, tuple[str, float]] = {}  # token -> (account email, monotonic expiry)
        self.refresh_tokens: dict[str, str] = {}
        self.webhook_url = self.initial_webhook_url
        self.drop_webhooks = 0
        self.dropped: list[str] = []

    def control_info(self) -> dict[str, Any]:
        return {"client_id": self.client_id, "app_id": self.app_id, "webhook_url": self.webhook_url,
                "dropped_webhooks": len(self.dropped)}

    def default_fault_body(self, code: int) -> Any:
        return {"message": f"injected fault: HTTP {code}", "code": "injected_fault"}

    def not_found(self, request: Request) -> Response:
        raise jobber_error(404, f"Not Found: {request.method} {request.path}", "not_found")

    def _number(self) -> int:
        self.next_number += 1
        return self.next_number

    def _account(self, email: str) -> Account:
        account = self.accounts.get(email)
        if account is None:
            account = self.accounts[email] = Account(id=encoded_id("Account", self._number()), email=email)
        return account

    def _authorize(self, request: Request) -> Account:
        header = request.headers.get("Authorization", "")
        token = header[len("Bearer "):].strip() if header[:7].lower() == "bearer " else ""
        entry = self.access_tokens.get(token)
        if entry is None or time.monotonic() >= entry[1]:
            raise jobber_error(401, "Access token is missing, invalid or expired", "invalid_request")
        return self._account(entry[0])

    def _changed(self, account: Account, visit_id: str, topic: str) -> None:
        """Sends the change's webhook (caller holds the lock), unless no URL is set or a drop was asked for."""
        if not self.webhook_url:
            return
        body = json.dumps({"data": {"webHookEvent": {
            "topic": topic, "appId": self.app_id, "accountId": account.id, "itemId": visit_id,
            "occurredAt": iso_now()}}}, separators=(",", ":")).encode()
        hook = Webhook(url=self.webhook_url, body=body, kind=topic.lower(), headers={
            "Content-Type": "application/json", SIGNATURE_HEADER: sign(self.client_secret, body)})
        if self.drop_webhooks > 0:
            self.drop_webhooks -= 1
            self.dropped.append(hook.delivery_id)  # never sent: what a lost webhook looks like to the app
            return
        self.webhooks.deliver_async(hook)

    # -- OAuth 2.0 (authorization code) ------------------------------------------------------------
    def consent_page(self, request: Request) -> Response:
        query = request.query
        if query.get("client_id") != self.client_id:
            return Response.html("<h1>Unknown application</h1><p>client_id is not a Jobber app.</p>", 401)
        redirect_uri, state = query.get("redirect_uri") or "", query.get("state") or ""
        if not redirect_uri.startswith(("http://", "https://")) or query.get("response_type") != "code":
            return Response.html("<h1>Invalid request</h1><p>redirect_uri and response_type=code are required.</p>", 400)
        fields = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
                         for k, v in (("redirect_uri", redirect_uri), ("state", state)))
        return Response.html(
            "<!doctype html><title>Jobber - Connect app</title><h1>NeverMissCall would like to connect to your "
            "Jobber account</h1><form method=post action=/api/oauth/approve>" + fields +
            '<label>Jobber account email <input type="email" name="email" required></label> '
            '<button name=decision value=allow>Allow Access</button> '
            '<button name=decision value=deny formnovalidate>Cancel</button></form>')

    def approve(self, request: Request) -> Response:
        def grant(redirect_uri: str, email: str) -> str:
            code = secrets.token_urlsafe(16)
            with self.lock:
                self._account(email)
                self.codes[code] = (redirect_uri, email)
            return code

        return answer_consent(request, account_kind="Jobber account", grant=grant)

    def token(self, request: Request) -> Response:
        form = request.form()
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return Response.json({"error": "invalid_client", "error_description": "Unknown client or wrong secret"}, 401)
        with self.lock:
            if form.get("grant_type") == "authorization_code":
                redirect_uri, email = self.codes.pop(form.get("code") or "", ("", ""))
                if not email or redirect_uri != form.get("redirect_uri"):
                    return Response.json({"error": "invalid_grant", "error_description": "Bad code or redirect_uri"}, 400)
            elif form.get("grant_type") == "refresh_token":
                # Refresh token rotation, as Jobber requires of published apps: the old one stops working.
                email = self.refresh_tokens.pop(form.get("refresh_token") or "", "")
                if not email:
                    return Response.json({"error": "invalid_grant", "error_description": "Refresh token is invalid"}, 400)
            else:
                return Response.json({"error": "unsupported_grant_type"}, 400)
            access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            self.access_tokens[access] = (email, time.monotonic() + self.token_ttl_s)
            self.refresh_tokens[refresh] = email
        return Response.json({  # nosec B105  # "bearer" is the OAuth token type, not a secret
            "access_token": access, "refresh_token": refresh, "token_type": "bearer", "expires_in": self.token_ttl_s})

    # -- GraphQL -----------------------------------------------------------------------------------
    def graphql(self, request: Request) -> Response:
        if not request.headers.get(VERSION_HEADER):
            raise jobber_error(400, f"The {VERSION_HEADER} header is required (an API version, e.g. 2025-04-16)",
                               "missing_version")
        if "application/json" not in request.headers.get("Content-Type", ""):
            raise jobber_error(415, "GraphQL requests must be application/json", "unsupported_content_type")
        account = self._authorize(request)
        data = request.json_object()
        query, variables = data.get("query"), data.get("variables")
        if not isinstance(query, str) or not query.strip():
            raise jobber_error(400, "'query' is required and must be a GraphQL document string", "invalid_query")
        if variables is not None and not isinstance(variables, dict):
            raise jobber_error(400, "'variables' must be an object", "invalid_variables")
        operation = data.get("operationName")
        with self.lock:
            result = graphql_sync(self.schema, query, root_value=_Root(self, account), variable_values=variables,
                                  operation_name=operation if isinstance(operation, str) else None)
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [error.formatted for error in result.errors]
        return Response.json(body)

    # -- control -----------------------------------------------------------------------------------
    def control_add(self, request: Request) -> Response:
        data = request.json_object()
        start, end = _control_time(data, "start"), _control_time(data, "end")
        if end <= start:
            raise control_error(422, "'end' must be after 'start'")
        with self.lock:
            account = self._account(require_str(data, "account"))
            visit = self._store(account, title=optional_str(data, "title") or "Visit", instructions="",
                                start=start, end=end)
            self._changed(account, visit["id"], "VISIT_CREATE")
        return Response.json(visit, 201)

    def _store(self, account: Account, *, title: str, instructions: str, start: datetime, end: datetime) -> dict[str, Any]:
        visit: dict[str, Any] = {"id": encoded_id("Visit", self._number()), "title": title, "instructions": instructions,
                 "startAt": _iso(start), "endAt": _iso(end), "allDay": False, "createdAt": iso_now()}
        account.visits[visit["id"]] = visit
        return visit

    def _existing(self, request: Request, email: str) -> tuple[Account, dict[str, Any]]:
        account = self.accounts.get(email)
        visit = account.visits.get(request.path_params["id"]) if account else None
        if account is None or visit is None:
            raise control_error(404, f"no visit {request.path_params['id']} in {email}'s Jobber account", "not_found")
        return account, visit

    def control_move(self, request: Request) -> Response:
        data = request.json_object()
        start, end = _control_time(data, "start"), _control_time(data, "end")
        if end <= start:
            raise control_error(422, "'end' must be after 'start'")
        with self.lock:
            account, visit = self._existing(request, require_str(data, "account"))
            visit["startAt"], visit["endAt"] = _iso(start), _iso(end)
            self._changed(account, visit["id"], "VISIT_UPDATE")
        return Response.json(visit)

    def control_delete(self, request: Request) -> Response:
        email = request.query.get("account")
        if not email:
            raise control_error(422, "query parameter 'account' is required (the Jobber account's email)")
        with self.lock:
            account, visit = self._existing(request, email)
            del account.visits[visit["id"]]
            self._changed(account, visit["id"], "VISIT_DESTROY")
        return Response.json(visit)

    def control_list(self, request: Request) -> Response:
        email = request.query.get("account")
        if not email:
            raise control_error(422, "query parameter 'account' is required (the Jobber account's email)")
        with self.lock:
            account = self.accounts.get(email)
            visits = sorted(account.visits.values(), key=lambda v: v["startAt"]) if account else []
            return Response.json({"account_id": account.id if account else None, "visits": visits})

    def control_drop(self, request: Request) -> Response:
        count = optional_int(request.json_object(), "count", default=1, minimum=0, maximum=1000)
        with self.lock:
            self.drop_webhooks = count
        return Response.json({"dropping": count})

    def control_webhook_url(self, request: Request) -> Response:
        url = optional_str(request.json_object(), "url") or ""
        if url and not url.startswith(("http://", "https://")):
            raise control_error(422, "url must be an http(s) URL, or empty to send no webhooks")
        with self.lock:
            self.webhook_url = url
        return Response.json({"webhook_url": url})

    def control_expire_tokens(self, request: Request) -> Response:
        """The access tokens issued so far (of one account, or all) answer 401 from now on, as Jobber's do after
        their hour (without waiting for --token-ttl); refresh tokens keep working, once each (rotation)."""
        account = optional_str(request.json_object(), "account")
        with self.lock:
            expired = [t for t, (email, _) in self.access_tokens.items() if account is None or email == account]
            for token in expired:
                del self.access_tokens[token]
        return Response.json({"expired": len(expired)})

    def control_page_size(self, request: Request) -> Response:
        data = request.json_object()
        account = require_str(data, "account")
        size = None if data.get("size") is None else optional_int(data, "size", default=1, minimum=1, maximum=MAX_PAGE)
        with self.lock:
            self._account(account).page_size = size
        return Response.json({"account": account, "page_size": size})


class _Root:
    """Resolvers of the root fields (graphql-core calls ``root.field(info, **arguments)``)."""

    def __init__(self, fake: JobberFake, account: Account) -> None:
        self.fake = fake
        self.account_ = account

    def account(self, info: Any) -> dict[str, Any]:
        return {"id": self.account_.id, "name": self.account_.email}

    def visits(self, info: Any, first: int | None = None, after: str | None = None,
               filter: dict[str, Any] | None = None) -> dict[str, Any]:  # the GraphQL argument's name
        size = DEFAULT_PAGE if first is None else first
        if not 1 <= size <= MAX_PAGE:
            raise GraphQLError(f"'first' must be between 1 and {MAX_PAGE}; got {size}")
        window = (filter or {}).get("startAt") or {}
        low, high = _gql_time(window.get("after"), "after"), _gql_time(window.get("before"), "before")
        visits = sorted(self.account_.visits.values(), key=lambda v: (v["startAt"], v["id"]))
        visits = [v for v in visits if (low is None or _parse(v["startAt"]) >= low)
                  and (high is None or _parse(v["startAt"]) <= high)]
        offset = _cursor_offset(after) if after else 0
        page = visits[offset:offset + min(size, self.account_.page_size or size)]
        end = offset + len(page)
        return {"nodes": page, "totalCount": len(visits),
                "pageInfo": {"hasNextPage": end < len(visits), "endCursor": _cursor(end) if page else after}}

    def visitCreate(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:  # Jobber's names
        errors = []
        start, end = _gql_time(input.get("startAt"), "startAt"), _gql_time(input.get("endAt"), "endAt")
        if start is None or end is None or end <= start:
            errors.append({"message": "endAt must be after startAt", "path": ["input", "endAt"]})
        if not str(input.get("title") or "").strip():
            errors.append({"message": "title can't be blank", "path": ["input", "title"]})
        if errors or start is None or end is None:
            return {"visit": None, "userErrors": errors}
        key = input.get("idempotencyKey") or ""
        existing = self.account_.by_key.get(key) if key else None
        if existing and existing in self.account_.visits:
            return {"visit": self.account_.visits[existing], "userErrors": []}  # a retry: the first call's visit
        visit = self.fake._store(self.account_, title=input["title"], instructions=input.get("instructions") or "",
                                 start=start, end=end)
        if key:
            self.account_.by_key[key] = visit["id"]
        self.fake._changed(self.account_, visit["id"], "VISIT_CREATE")
        return {"visit": visit, "userErrors": []}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


def _gql_time(raw: Any, name: str) -> datetime | None:
    if raw is None:
        return None
    try:
        parsed = _parse(raw) if isinstance(raw, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise GraphQLError(f"{name} is not an ISO 8601 date-time with an offset: {raw!r}")
    return parsed


def _cursor(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode()


def _cursor_offset(cursor: str) -> int:
    try:
        offset = int(base64.b64decode(cursor.encode(), validate=True).decode())
    except (ValueError, UnicodeDecodeError):
        offset = -1
    if offset < 0:
        raise GraphQLError(f"Invalid cursor: {cursor!r}")
    return offset


def _control_time(data: dict[str, Any], key: str) -> datetime:
    raw = require_str(data, key)
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise control_error(422, f"'{key}' is not an ISO 8601 date-time: {raw!r}") from exc
    if parsed.tzinfo is None:
        raise control_error(422, f"'{key}' needs a UTC offset, e.g. 2030-01-07T15:00:00Z")
    return parsed
