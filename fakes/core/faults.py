"""Fault rules: make the next N matching provider requests fail in a chosen way.

Semantics (shared by every fake, exposed as ``/_fake/faults``):

* a rule matches on ``method`` (``"*"`` or omitted = any, case-insensitive) and ``path``, a regular
  expression *searched* in the request path (anchor it with ``^...$`` to be exact);
* the first rule, in the order added, that matches and has ``remaining`` > 0 fires and its count
  goes down by one; spent rules stay listed with ``remaining: 0`` until cleared;
* actions: ``status`` (answer ``code`` with ``body``, default a provider-shaped 500 error),
  ``delay`` (sleep ``ms`` then handle normally), ``late`` (handle at once, then sleep ``ms`` before
  answering: the provider has done the work, and its webhooks can overtake the answer), ``timeout``
  (never answer; the server closes the connection after the client gave up, ``hold_ms`` elapsed, or
  the rules were cleared/reset) and ``reset`` (close the TCP connection with an RST, no response).
  ``status``/``timeout``/``reset`` fire *before* the request is handled, so it has no effect on the
  fake's state; ``delay`` delays and then handles it; ``late`` handles it and then delays the answer.
* ``/_fake/`` paths are never faulted (the server does not consult the rules for them).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from fakes.core.http import control_error
from fakes.core.validate import optional_int

ACTIONS = ("status", "delay", "late", "timeout", "reset")
#: Upper bound on how long a ``timeout`` fault holds a connection open.
DEFAULT_HOLD_MS = 30_000


@dataclass
class FaultRule:
    id: int
    method: str
    path: str
    action: str
    times: int
    remaining: int
    code: int = 500
    body: Any = None
    ms: int = 0
    hold_ms: int = DEFAULT_HOLD_MS

    def matches(self, method: str, path: str) -> bool:
        if self.remaining <= 0:
            return False
        if self.method != "*" and self.method != method.upper():
            return False
        return re.search(self.path, path) is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "method": self.method,
            "path": self.path,
            "action": self.action,
            "times": self.times,
            "remaining": self.remaining,
            "code": self.code,
            "body": self.body,
            "ms": self.ms,
            "hold_ms": self.hold_ms,
        }


class FaultRules:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._next_id = 1
        # Set when rules are cleared so connections held by ``timeout`` faults are let go.
        self._released = threading.Event()

    def add_from_json(self, data: dict[str, Any]) -> FaultRule:
        """Validate a ``POST /_fake/faults`` body and add the rule. Bad input -> 400/422 HttpError."""
        action = data.get("action")
        if action not in ACTIONS:
            raise control_error(422, f"action must be one of {', '.join(ACTIONS)}; got {action!r}")
        path = data.get("path")
        if not isinstance(path, str) or not path:
            raise control_error(422, "path (a regular expression) is required")
        try:
            re.compile(path)
        except re.error as exc:
            raise control_error(422, f"path is not a valid regular expression: {exc}") from exc
        method = data.get("method", "*")
        if not isinstance(method, str) or not method:
            raise control_error(422, "method must be a string such as 'POST' or '*'")
        times = optional_int(data, "times", 1, minimum=1)
        code = optional_int(data, "code", 500, minimum=100, maximum=599)
        ms = optional_int(data, "ms", 0, minimum=0)
        if action in ("delay", "late") and "ms" not in data:
            raise control_error(422, f"a {action} fault needs ms (milliseconds)")
        hold_ms = optional_int(data, "hold_ms", DEFAULT_HOLD_MS, minimum=0)
        with self._lock:
            rule = FaultRule(
                id=self._next_id,
                method=method.upper(),
                path=path,
                action=action,
                times=times,
                remaining=times,
                code=code,
                body=data.get("body"),
                ms=ms,
                hold_ms=hold_ms,
            )
            self._next_id += 1
            self._rules.append(rule)
        return rule

    def take(self, method: str, path: str) -> FaultRule | None:
        """The rule that fires for this request (its count is consumed), or None."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path):
                    rule.remaining -= 1
                    return FaultRule(**rule.to_dict())
        return None

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.to_dict() for rule in self._rules]

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            released, self._released = self._released, threading.Event()
        released.set()

    @property
    def released(self) -> threading.Event:
        """The event a held (``timeout``) connection waits on; set by :meth:`clear`."""
        with self._lock:
            return self._released
