"""A running stack as data: where the app and the fakes listen, and what the suite may do with it.

This module is the one place a stack is written down and read back. The same JSON is what each stack's
directory holds (``stack.json``), what the run's controller hands its xdist workers, what
``python -m stack`` leaves for ``--reuse-stack`` and ``python -m seed sweep``, and what the bench reads.
A target the suite did not start (SPEC 6.6) is described by the ``E2E_*`` variables of :data:`ENV`.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from stack.config import PROJECT_ROOT

#: Stack field -> the variable that sets it for an external target (docs/suite.md lists them all).
ENV = {"base_url": "E2E_BASE_URL", "operator_token": "E2E_OPERATOR_TOKEN", "twilio_url": "E2E_TWILIO_FAKE_URL",
       "stripe_url": "E2E_STRIPE_FAKE_URL", "app_log_file": "E2E_APP_LOG_FILE"}
STACK_DIR_ENV = "E2E_STACK_DIR"


class StackError(RuntimeError):
    """The stack could not start (or a target is not what it claims); the message says which part and why."""


@dataclass(frozen=True)
class Stack:
    """Where everything listens, and what the suite may do with it."""

    base_url: str
    operator_token: str
    twilio_url: str | None
    stripe_url: str | None
    app_log_file: Path | None
    target_id: str  # names this target in the ledger
    shared: bool  # other workers or runs use it at the same time: no global fake state changes
    disposable: bool  # its database goes away with it
    stripe_price_id: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    fakes: dict[str, str] = field(default_factory=dict)  # URLs of the recipe's other fakes, by table name

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "app_log_file": str(self.app_log_file) if self.app_log_file else None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], **changes: Any) -> Stack:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known} | changes
        log = values.get("app_log_file")
        return cls(**{**values, "app_log_file": Path(log) if log else None})

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside it and renamed into place: whoever waits for the file to appear (`--reuse-stack`, a
        # test) must never read it half-written. It holds the operator token: readable by its owner only.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(json.dumps(self.to_json(), indent=2))
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @classmethod
    def read(cls, path: Path, **changes: Any) -> Stack | None:
        """The stack a ``stack.json`` describes, or None when there is no such (readable) file."""
        try:
            return cls.from_json(json.loads(path.read_text(encoding="utf-8")), **changes)
        except (OSError, ValueError, TypeError):
            return None

    def to_env(self) -> dict[str, str]:
        """The variables that point another process at this stack as an external target."""
        return {name: str(value) for key, name in ENV.items() if (value := getattr(self, key))}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Stack | None:
        """The external target the E2E_* variables describe, or None when E2E_BASE_URL is not set."""
        env = os.environ if environ is None else environ
        values = {key: (env.get(name) or "").rstrip("/") or None for key, name in ENV.items()}
        if not values["base_url"]:
            return None
        if not values["operator_token"]:
            raise StackError(f"{ENV['base_url']} is set but {ENV['operator_token']} is not: the suite seeds tenants "
                             "through the operator API and needs its token")
        return cls.from_json(values, target_id=values["base_url"], shared=True, disposable=False)


def reusable_stack_dir() -> Path:
    """Where `python -m stack` keeps logs, database and stack.json (E2E_STACK_DIR, default test-results-stack/)."""
    return Path(os.environ.get(STACK_DIR_ENV) or PROJECT_ROOT / "test-results-stack")
