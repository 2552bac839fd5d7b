"""Carrier keywords: a text that is exactly one of these words (any case, surrounding spaces ignored).

STOP words opt the customer out, START words opt them back in, HELP words ask for the help reply.
"YES" is a START word only while the customer is opted out; otherwise it is an ordinary answer
(for example confirming a booking), which `classify(..., opted_out=False)` reflects.
"""

from __future__ import annotations

import enum


class Keyword(enum.StrEnum):
    STOP = "STOP"
    START = "START"
    HELP = "HELP"


STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP", "INFO"})
# Words that mean START only for someone who is opted out.
START_ONLY_WHEN_OPTED_OUT = frozenset({"YES"})


def classify(text: str, *, opted_out: bool) -> Keyword | None:
    """The keyword a whole message amounts to, or None for ordinary text."""
    word = (text or "").strip().upper()
    if word in STOP_WORDS:
        return Keyword.STOP
    if word in START_WORDS and (opted_out or word not in START_ONLY_WHEN_OPTED_OUT):
        return Keyword.START
    if word in HELP_WORDS:
        return Keyword.HELP
    return None
