"""Fictional phone numbers: +1 NPA 555 0100..0199, the range the North American plan keeps for fiction.

Only 100 numbers exist per area code, so uniqueness comes from the area code: each (run, worker, lane)
walks its own rotation of area codes, starting at a point derived from a hash of its key. Two workers
or two runs against one shared target therefore start far apart; a rare collision surfaces as a 409
from the operator API, and the seeder simply asks for the next number.
"""

from __future__ import annotations

import hashlib
import itertools
import threading

LINES_PER_AREA_CODE = 100  # 555-0100 .. 555-0199


def _area_codes() -> tuple[int, ...]:
    """Geographic-looking NPAs: 2-9 first, no N11 service codes, no N9X (reserved for expansion)."""
    codes = []
    for npa in range(200, 1000):
        second, third = (npa // 10) % 10, npa % 10
        if second == 9 or (second == 1 and third == 1):
            continue
        codes.append(npa)
    return tuple(codes)


AREA_CODES = _area_codes()


def fictional_number(area_code: int, line: int) -> str:
    """E.164 for +1 <area_code> 555 01<line>, line in 0..99."""
    if area_code not in AREA_CODES:
        raise ValueError(f"{area_code} is not a usable area code")
    if not 0 <= line < LINES_PER_AREA_CODE:
        raise ValueError("line must be 0..99 (555-0100 to 555-0199)")
    return f"+1{area_code}555{100 + line:04d}"


def is_fictional(e164: str) -> bool:
    return len(e164) == 12 and e164.startswith("+1") and e164[5:10] == "55501" and int(e164[2:5]) in AREA_CODES


class NumberPlan:
    """Hands out numbers for one key, never the same one twice (thread-safe)."""

    def __init__(self, key: str) -> None:
        digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
        start = digest % len(AREA_CODES)
        self._area_codes = AREA_CODES[start:] + AREA_CODES[:start]
        self._counter = itertools.count()
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            n = next(self._counter)
        area = self._area_codes[(n // LINES_PER_AREA_CODE) % len(self._area_codes)]
        return fictional_number(area, n % LINES_PER_AREA_CODE)
