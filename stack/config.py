"""Reads playwright.config.toml: the run profiles and the recipe for starting the stack."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = PROJECT_ROOT / "playwright.config.toml"

TRACING = ("on", "off", "retain-on-failure")
SCREENSHOT = ("on", "off", "only-on-failure")
VIDEO = ("on", "off", "retain-on-failure")


class ConfigError(ValueError):
    """playwright.config.toml says something the suite cannot use."""


@dataclass(frozen=True)
class Profile:
    name: str
    headed: bool = False
    slowmo_ms: int = 0
    tracing: str = "retain-on-failure"
    # The trace's screencast (the viewer's film strip); off, a trace still has every action with its DOM
    # snapshots, console, network and source. Playwright Test's `trace: {screenshots: false}`.
    trace_screenshots: bool = False
    screenshot: str = "off"
    video: str = "off"
    expect_timeout_ms: int = 5000
    action_timeout_ms: int = 10000
    navigation_timeout_ms: int = 15000
    settle_window_ms: int = 1500
    wait_timeout_ms: int = 10000
    junit_xml: str = ""
    html_report: str = ""
    # A skip or xfail that did not come through e2e.support.skip_outside_app fails the run (e2e/plugins/skips.py).
    fail_on_unlisted_skips: bool = False

    def __post_init__(self) -> None:
        for name, allowed in (("tracing", TRACING), ("screenshot", SCREENSHOT), ("video", VIDEO)):
            if getattr(self, name) not in allowed:
                raise ConfigError(f"profile {self.name!r}: {name} must be one of {', '.join(allowed)}")
        if not isinstance(self.trace_screenshots, bool):
            raise ConfigError(f"profile {self.name!r}: trace_screenshots must be true or false")
        for f in fields(self):
            if f.name.endswith("_ms") and getattr(self, f.name) < 0:
                raise ConfigError(f"profile {self.name!r}: {f.name} must not be negative")


@dataclass(frozen=True)
class ProcessSpec:
    """One process of the stack: its command line and how to tell it is ready."""

    name: str
    command: tuple[str, ...]
    readiness_path: str
    ready_line: str = ""  # a regex with a named group `url`, for processes that pick their own port
    env: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)  # the other keys of the table (credentials...)


@dataclass(frozen=True)
class WorkerSpec:
    """The outbox worker run next to the app instead of inside it (the production topology on PostgreSQL).

    ``app_args`` go on the app's command line when it runs (``--no-worker``); the worker gets the app's
    environment and is ready once its log says ``ready_line``.
    """

    command: tuple[str, ...]
    ready_line: str
    app_args: tuple[str, ...]


@dataclass(frozen=True)
class StackConfig:
    host: str
    scope: str
    startup_timeout_s: float
    shutdown_timeout_s: float
    operator_token_bytes: int
    twilio: ProcessSpec
    stripe: ProcessSpec
    app: ProcessSpec
    worker: WorkerSpec | None = None  # [stack.worker]: the outbox worker as a process of its own, on request
    # Every other [stack.NAME] table: a fake started like the two above (command, ready_line,
    # readiness_path), its URL given to the app's env as {NAME_url} and to the suite as Stack.fakes[NAME].
    other_fakes: dict[str, ProcessSpec] = field(default_factory=dict)


@dataclass(frozen=True)
class SuiteConfig:
    path: Path
    profiles: dict[str, Profile]
    stack: StackConfig

    def profile(self, name: str) -> Profile:
        try:
            return self.profiles[name]
        except KeyError:
            known = ", ".join(sorted(self.profiles))
            raise ConfigError(f"unknown profile {name!r} in {self.path} (known: {known})") from None


def load(path: Path = DEFAULT_CONFIG_PATH) -> SuiteConfig:
    """Parses the file; every mistake is a ConfigError that names the key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    return SuiteConfig(path=path, profiles=_profiles(data.get("profiles", {})), stack=_stack(data.get("stack", {})))


def _profiles(raw: dict[str, Any]) -> dict[str, Profile]:
    if "default" not in raw:
        raise ConfigError("[profiles.default] is required: every other profile starts from it")
    known = {f.name for f in fields(Profile)} - {"name"}
    base = raw["default"]
    profiles: dict[str, Profile] = {}
    for name, values in raw.items():
        merged = {**base, **values} if name != "default" else dict(base)
        unknown = set(merged) - known
        if unknown:
            raise ConfigError(f"profile {name!r} has unknown key(s): {', '.join(sorted(unknown))}")
        try:
            profiles[name] = Profile(name=name, **merged)
        except TypeError as exc:
            raise ConfigError(f"profile {name!r}: {exc}") from exc
    return profiles


def _process(name: str, raw: dict[str, Any]) -> ProcessSpec:
    command = raw.get("command")
    if not isinstance(command, list) or not command or not all(isinstance(part, str) for part in command):
        raise ConfigError(f"[stack.{name}] command must be a non-empty list of strings")
    readiness = raw.get("readiness_path")
    if not isinstance(readiness, str) or not readiness.startswith("/"):
        raise ConfigError(f"[stack.{name}] readiness_path must be a path such as /healthz")
    env = raw.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise ConfigError(f"[stack.{name}.env] values must be strings")
    extra_args = raw.get("prepared_schema_args", [])
    if not isinstance(extra_args, list) or not all(isinstance(a, str) for a in extra_args):
        raise ConfigError(f"[stack.{name}] prepared_schema_args must be a list of strings")
    rest = {k: v for k, v in raw.items() if k not in ("command", "readiness_path", "ready_line", "env")}
    return ProcessSpec(name=name, command=tuple(command), readiness_path=readiness,
                       ready_line=str(raw.get("ready_line", "")), env=dict(env), settings=rest)


def _string_list(raw: object, where: str, *, empty_ok: bool) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(part, str) for part in raw) or (not raw and not empty_ok):
        raise ConfigError(f"{where} must be a {'' if empty_ok else 'non-empty '}list of strings")
    return tuple(raw)


def _worker(raw: dict[str, Any] | None) -> WorkerSpec | None:
    if raw is None:
        return None
    ready_line = raw.get("ready_line")
    if not isinstance(ready_line, str) or not ready_line:
        raise ConfigError("[stack.worker] ready_line must be a regular expression the worker logs when it runs")
    try:
        re.compile(ready_line)
    except re.error as exc:
        raise ConfigError(f"[stack.worker] ready_line is not a regular expression: {exc}") from exc
    unknown = set(raw) - {"command", "ready_line", "app_args"}
    if unknown:
        raise ConfigError(f"[stack.worker] has unknown key(s): {', '.join(sorted(unknown))}")
    return WorkerSpec(command=_string_list(raw.get("command"), "[stack.worker] command", empty_ok=False),
                      ready_line=ready_line,
                      app_args=_string_list(raw.get("app_args", []), "[stack.worker] app_args", empty_ok=True))


def _stack(raw: dict[str, Any]) -> StackConfig:
    scope = raw.get("scope", "worker")
    if scope not in ("worker", "run"):
        raise ConfigError("[stack] scope must be 'worker' or 'run'")
    for name in ("twilio", "stripe", "app"):
        if name not in raw:
            raise ConfigError(f"[stack.{name}] is missing")
    return StackConfig(
        host=str(raw.get("host", "127.0.0.1")),
        scope=scope,
        startup_timeout_s=float(raw.get("startup_timeout_s", 30)),
        shutdown_timeout_s=float(raw.get("shutdown_timeout_s", 10)),
        operator_token_bytes=int(raw.get("operator_token_bytes", 24)),
        twilio=_process("twilio", raw["twilio"]),
        stripe=_process("stripe", raw["stripe"]),
        app=_process("app", raw["app"]),
        worker=_worker(raw.get("worker")),
        other_fakes={name: _process(name, table) for name, table in raw.items()
                     if isinstance(table, dict) and name not in ("twilio", "stripe", "app", "worker")},
    )
