"""JSON log lines, each tagged with the tenant it concerns, so a failing test can collect its own lines."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

current_tenant_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_tenant_id", default=None)
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_request_id", default=None)

# A phone number in E.164 form (or close to it): callers', customers' and our own numbers are personal data
# (seed 003 asks for them masked in logs); the last four digits are kept, enough to tell lines apart.
_PHONE = re.compile(r"\+\d{4,}(?=\d{4})")
# The booking page's token is the customer's only credential for it.
_BOOKING_TOKEN = re.compile(r"^/book/[^/]+")


def mask_phone_numbers(text: str) -> str:
    """'+15551234567' -> '+•••4567' anywhere in `text`."""
    return _PHONE.sub("+•••", text)


def loggable_path(path: str) -> str:
    """A request path safe to log: /book/{token}... loses its token."""
    return _BOOKING_TOKEN.sub("/book/<token>", path)


_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_phone_numbers(record.getMessage()),
        }
        tenant_id = getattr(record, "tenant_id", None) or current_tenant_id.get()
        if tenant_id:
            entry["tenant_id"] = tenant_id
        request_id = current_request_id.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and key not in entry and not key.startswith("_"):
                value = value if isinstance(value, str | int | float | bool | type(None)) else repr(value)
                entry[key] = mask_phone_numbers(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exc"] = mask_phone_numbers(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str = "INFO", log_file: str = "") -> None:
    """Sends the app's and uvicorn's logs as JSON to stderr and, when set, to a file."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    formatter = JsonFormatter()
    for handler in handlers:
        handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = handlers
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # Access lines duplicate our own request log with less detail.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
