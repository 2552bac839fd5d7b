"""Advanced Opt-Out as Twilio applies it: single-word keywords per (business number, customer)."""

from __future__ import annotations

import threading

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
START_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})


def opt_out_type(body: str) -> str | None:
    """``STOP`` / ``START`` / ``HELP`` when the whole message (trimmed, any case) is a keyword."""
    word = body.strip().upper()
    if word in STOP_WORDS:
        return "STOP"
    if word in START_WORDS:
        return "START"
    if word in HELP_WORDS:
        return "HELP"
    return None


class OptOutLedger:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pairs: set[tuple[str, str]] = set()

    def apply(self, *, business: str, customer: str, kind: str | None) -> None:
        with self._lock:
            if kind == "STOP":
                self._pairs.add((business, customer))
            elif kind == "START":
                self._pairs.discard((business, customer))

    def is_opted_out(self, *, business: str, customer: str) -> bool:
        with self._lock:
            return (business, customer) in self._pairs

    def pairs(self) -> list[dict[str, str]]:
        with self._lock:
            return [{"business": b, "customer": c} for b, c in sorted(self._pairs)]

    def clear(self) -> None:
        with self._lock:
            self._pairs.clear()
