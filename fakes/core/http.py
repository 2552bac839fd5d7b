"""Request, Response, errors and a tiny router: the HTTP vocabulary every fake speaks.

Kept independent of the socket server so handlers are plain functions ``(Request) -> Response``
that can be read (and unit-tested) without a network.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl


class FormData:
    """Ordered multi-valued mapping for query strings and form bodies.

    ``get``/``[]`` return the first value; ``getall`` returns every value of a repeated key
    (the same method name ``twilio.request_validator.RequestValidator`` looks for).
    """

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self.pairs: list[tuple[str, str]] = list(pairs)

    @classmethod
    def parse(cls, text: str) -> FormData:
        return cls(parse_qsl(text, keep_blank_values=True))

    def get(self, key: str, default: str | None = None) -> str | None:
        for name, value in self.pairs:
            if name == key:
                return value
        return default

    def getall(self, key: str) -> list[str]:
        return [value for name, value in self.pairs if name == key]

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return any(name == key for name, _ in self.pairs)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def keys(self) -> list[str]:
        return list(dict.fromkeys(name for name, _ in self.pairs))

    def to_dict(self) -> dict[str, str | list[str]]:
        """First value for single keys, a list for repeated ones (JSON-friendly)."""
        result: dict[str, str | list[str]] = {}
        for key in self.keys():
            values = self.getall(key)
            result[key] = values[0] if len(values) == 1 else values
        return result

    def __repr__(self) -> str:
        return f"FormData({self.pairs!r})"


class Headers(Mapping[str, str]):
    """Case-insensitive, read-only header mapping that keeps the names as sent (for the journal)."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items = list(items)
        self._by_lower: dict[str, str] = {}
        for name, value in self._items:
            self._by_lower.setdefault(name.lower(), value)

    def __getitem__(self, name: str) -> str:
        return self._by_lower[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._by_lower

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(name for name, _ in self._items))

    def __len__(self) -> int:
        return len(self._by_lower)

    def as_dict(self) -> dict[str, str]:
        return {name: value for name, value in self._items}


class HttpError(Exception):
    """Raised by handlers to answer with ``status`` and a JSON ``payload``.

    Provider fakes raise it with their provider's error shape; control routes use
    :func:`control_error` which builds ``{"detail": ..., "code": ...}``.
    """

    def __init__(self, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(f"HTTP {status}: {payload!r}")
        self.status = status
        self.payload = payload
        self.headers = dict(headers or {})


def control_error(status: int, detail: str, code: str | None = None) -> HttpError:
    """Error for the ``/_fake/`` control API: ``{"detail": "...", "code": "..."}``."""
    default_codes = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 422: "invalid"}
    return HttpError(status, {"detail": detail, "code": code or default_codes.get(status, "error")})


@dataclass
class Request:
    method: str
    path: str
    query: FormData
    headers: Mapping[str, str]
    body: bytes
    raw_path: str = ""
    path_params: dict[str, str] = field(default_factory=dict)
    client_address: tuple[str, int] | None = None

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def form(self) -> FormData:
        """The ``application/x-www-form-urlencoded`` body, repeated keys kept."""
        return FormData.parse(self.text())

    def json(self) -> Any:
        """The JSON body; an empty body is ``{}``. Malformed JSON -> 400 control error."""
        if not self.body.strip():
            return {}
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise control_error(400, f"malformed JSON body: {exc}", "malformed_json") from exc

    def json_object(self) -> dict[str, Any]:
        """The JSON body, which must be an object -> otherwise 422."""
        data = self.json()
        if not isinstance(data, dict):
            raise control_error(422, "JSON body must be an object", "invalid")
        return data


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
        body = json.dumps(data, default=str).encode()
        return cls(status, body, {"Content-Type": "application/json", **(headers or {})})

    @classmethod
    def html(cls, text: str, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
        return cls(status, text.encode(), {"Content-Type": "text/html; charset=utf-8", **(headers or {})})

    @classmethod
    def redirect(cls, location: str, status: int = 303) -> Response:
        return cls(status, b"", {"Location": location})

    @classmethod
    def raw(cls, body: bytes, content_type: str, status: int = 200) -> Response:
        return cls(status, body, {"Content-Type": content_type})

    @classmethod
    def empty(cls, status: int = 204) -> Response:
        return cls(status, b"", {})


Handler = Callable[[Request], Response]


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


class RouteMatch:
    """Outcome of :meth:`Router.match`: a handler, or the methods allowed on the path (405)."""

    def __init__(self, handler: Handler | None, params: dict[str, str], allowed: list[str]) -> None:
        self.handler = handler
        self.params = params
        self.allowed = allowed


class Router:
    """Method + full-match regex on the path. Named groups become ``request.path_params``."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append(Route(method.upper(), re.compile(pattern), handler))

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        def decorator(handler: Handler) -> Handler:
            self.add(method, pattern, handler)
            return handler

        return decorator

    def match(self, method: str, path: str) -> RouteMatch:
        allowed: list[str] = []
        for route in self.routes:
            found = route.pattern.fullmatch(path)
            if found is None:
                continue
            if route.method == method.upper():
                return RouteMatch(route.handler, found.groupdict(), [])
            allowed.append(route.method)
        return RouteMatch(None, {}, allowed)
