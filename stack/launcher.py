"""The stack the suite runs against: the app plus the Twilio and Stripe fakes, as real processes.

:class:`StackLauncher` follows the recipe in playwright.config.toml ([stack]):

1. pick a free loopback port for every process whose command says ``{port}``, and a ``whsec_`` secret
   for the Stripe fake's webhook endpoint to the app, so every URL and secret is known up front;
2. start the fakes and the app at the same time (the Stripe fake registers the endpoint at start-up;
   the price id comes from ``price_id`` in [stack.stripe]); read each fake's ``listening on URL`` line
   and wait for its readiness path, check the price exists, wait for the app's ``/healthz``.

Whatever the recipe leaves open is found out first, one step after another, as before: a fake on
``--port 0`` (its URL from its log line), a Stripe command without ``{stripe_webhook_secret}`` (the
endpoint registered through ``POST /v1/webhook_endpoints``), no ``price_id`` (looked up by
``price_interval``). Otherwise all three start at once: the app boots while the fakes do.

Each process logs to a file in the stack's directory (``<name>.log``; the app's JSON log is
``app.jsonl``; the stack's description is ``stack.json``, see stack/description.py), and ``stop()`` ends
them: SIGTERM to the process group, SIGKILL after a timeout. Every process gets this process's
environment (less the suite's ``E2E_*`` variables) plus what its recipe adds.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field, replace
from pathlib import Path
from typing import IO, TypeVar

import httpx

from stack.config import PROJECT_ROOT, ConfigError, ProcessSpec, StackConfig
from stack.description import Stack, StackError

T = TypeVar("T")
POLL_INTERVAL_S = 0.05  # how often a starting process is asked again
SCHEMA_CACHE = PROJECT_ROOT / ".e2e-cache"  # migrated SQLite templates, one per migrations version
# Loaded at import, not in the child: between fork and exec only the already-resolved call is safe.
_LIBC = ctypes.CDLL(None) if sys.platform.startswith("linux") else None
_PR_SET_PDEATHSIG = 1

def free_port(host: str) -> int:
    """A port nobody listens on right now (the OS picks it; the app binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def operator_token(nbytes: int) -> str:
    """A random token that does not start with "-": argparse would read `--token -x...` as a missing value
    (`python -m seed sweep --token ...` failed for one token in 64)."""
    while True:
        token = secrets.token_urlsafe(nbytes)
        if not token.startswith("-"):
            return token


@functools.cache
def http() -> httpx.Client:
    """One client for this process's readiness polls and Stripe set-up calls (each new client builds its own
    TLS context, even for plain-http URLs)."""
    return httpx.Client(timeout=10)


def is_ready(url: str, *, timeout: float = 2.0) -> bool:
    try:
        return http().get(url, timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class _Process:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    log_handle: IO[bytes]
    ready_url: str = ""

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class StackLauncher:
    """Starts the processes of one stack in ``workdir``; use as a context manager or start()/stop()."""

    config: StackConfig
    workdir: Path
    _: KW_ONLY
    database_url: str | None = None  # None: a SQLite file in workdir
    python: str = sys.executable
    cwd: Path = PROJECT_ROOT
    shared: bool = False  # the stack serves several workers or runs (Stack.shared)
    name: str = "stack"
    separate_worker: bool = False
    processes: list[_Process] = field(default_factory=list, init=False)
    stack: Stack | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.separate_worker and self.config.worker is None:
            raise ConfigError("a separate outbox worker needs [stack.worker] in playwright.config.toml")

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- start ---------------------------------------------------------------------------------------
    def start(self) -> Stack:
        # Ports are picked free but bound a moment later by the child: if another process took one in
        # between, the child fails with "address already in use" and the start is tried again.
        for attempt in range(3):
            try:
                return self._start_once()
            except StackError as exc:
                if attempt == 2 or "address already in use" not in str(exc).lower():
                    raise
        raise AssertionError("unreachable")

    def _start_once(self) -> Stack:
        started = time.monotonic()
        self.workdir.mkdir(parents=True, exist_ok=True)
        cfg = self.config
        try:
            app_port = free_port(cfg.host)
            app_url = f"http://{cfg.host}:{app_port}"
            twilio_settings, stripe_settings = cfg.twilio.settings, cfg.stripe.settings
            stripe_key = str(stripe_settings.get("api_key", "sk_test_nevermisscall_fake"))
            webhook_url = app_url + str(stripe_settings.get("webhook_path", "/webhooks/stripe"))
            preset_secret = "whsec_" + secrets.token_hex(24) if _uses(cfg.stripe, "stripe_webhook_secret") else None
            values = {"python": self.python, "host": cfg.host, "app_url": app_url, "stripe_api_key": stripe_key,
                      "stripe_webhook_url": webhook_url, "stripe_webhook_secret": preset_secret or ""}
            twilio_env = {"TWILIO_ACCOUNT_SID": str(twilio_settings.get("account_sid", "")),
                          "TWILIO_AUTH_TOKEN": str(twilio_settings.get("auth_token", ""))}
            twilio_port = free_port(cfg.host) if _uses(cfg.twilio, "port") else None
            stripe_port = free_port(cfg.host) if _uses(cfg.stripe, "port") else None
            twilio = self._spawn(cfg.twilio, {**values, "port": str(twilio_port or 0)}, extra_env=twilio_env)
            stripe = self._spawn(cfg.stripe, {**values, "port": str(stripe_port or 0)})
            others = {name: self._spawn(spec, {**values, "port": "0"}) for name, spec in cfg.other_fakes.items()}
            other_urls = {name: self._wait_for_url(others[name], spec) for name, spec in cfg.other_fakes.items()}
            values.update({f"{name}_url": url for name, url in other_urls.items()})
            # What the app needs and the recipe leaves open is found out now, before the app starts.
            twilio_url = f"http://{cfg.host}:{twilio_port}" if twilio_port else self._wait_for_url(twilio, cfg.twilio)
            stripe_url = f"http://{cfg.host}:{stripe_port}" if stripe_port else self._wait_for_url(stripe, cfg.stripe)
            webhook_secret = preset_secret or register_stripe_webhook(
                self._wait_for_url(stripe, cfg.stripe), stripe_key, webhook_url)
            price_id = str(stripe_settings.get("price_id") or "") or find_price(
                self._wait_for_url(stripe, cfg.stripe), stripe_key,
                interval=str(stripe_settings.get("price_interval", "month")))
            token = operator_token(cfg.operator_token_bytes)
            log_file = self.workdir / "app.jsonl"
            app_env = {
                **{key: _fill(value, values, "app.env") for key, value in cfg.app.env.items()},
                "DATABASE_URL": self.database_url or f"sqlite:///{self.workdir / 'app.db'}",
                "SECRET_KEY": secrets.token_urlsafe(32),
                "OPERATOR_TOKEN": token,
                "PUBLIC_BASE_URL": app_url,
                "LOG_FILE": str(log_file),
                **twilio_env,
                "TWILIO_API_BASE": twilio_url,
                "STRIPE_API_KEY": stripe_key,
                "STRIPE_API_BASE": stripe_url,
                "STRIPE_WEBHOOK_SECRET": webhook_secret,
                "STRIPE_PRICE_ID": price_id,
            }
            worker_args = cfg.worker.app_args if self.separate_worker and cfg.worker else ()
            app_spec = replace(cfg.app, command=(*cfg.app.command, *self._prepare_schema(app_env), *worker_args))
            app = self._spawn(app_spec, {**values, "port": str(app_port)}, extra_env=app_env)
            app_spawned = time.monotonic()
            # The app boots (imports, migrations) while the fakes finish theirs.
            fakes = [(twilio, cfg.twilio, twilio_url), (stripe, cfg.stripe, stripe_url)]
            for process, spec, url in fakes:
                announced = self._wait_for_url(process, spec)
                if announced != url:
                    raise StackError(f"{spec.name} listens on {announced}, not on {url} as its command asked")
            fakes_ready = time.monotonic()
            check_price(stripe_url, stripe_key, price_id)
            self._wait_ready(app, app_url + cfg.app.readiness_path)
            app_ready = time.monotonic()
            if self.separate_worker and cfg.worker:
                # After the app is ready: it has migrated the schema the worker's first claim reads.
                worker_spec = ProcessSpec(name="worker", command=cfg.worker.command, readiness_path="/",
                                          ready_line=cfg.worker.ready_line)
                self._wait_for_line(self._spawn(worker_spec, values, extra_env=app_env),  # same LOG_FILE too
                                    worker_spec)
        except BaseException:
            self.stop()
            raise
        done = time.monotonic()
        self.stack = Stack(
            base_url=app_url, operator_token=token, twilio_url=twilio_url, stripe_url=stripe_url,
            app_log_file=log_file, target_id=f"{self.name}:{app_url}:{secrets.token_hex(4)}", fakes=other_urls,
            shared=self.shared, disposable=self.database_url is None, stripe_price_id=price_id,
            # fakes_s: start -> both fakes ready; app_s: the app's own boot (spawn -> /healthz 200).
            # worker_s (separate worker only): the app ready -> the worker's ready line.
            timings={"fakes_s": round(fakes_ready - started, 3), "app_s": round(app_ready - app_spawned, 3),
                     "total_s": round(done - started, 3),
                     **({"worker_s": round(done - app_ready, 3)} if self.separate_worker else {})},
        )
        self.stack.write(self.workdir / "stack.json")
        return self.stack

    def _prepare_schema(self, app_env: Mapping[str, str]) -> tuple[str, ...]:
        """Puts a copy of the cached, migrated SQLite schema where the app's own database goes and returns
        the app's extra arguments for it ([stack.app] prepared_schema_args); () when the app uses another
        database, the recipe does not ask for it, or the template cannot be built (the app migrates)."""
        extra_args = tuple(self.config.app.settings.get("prepared_schema_args", ()))
        if self.database_url is not None or not extra_args:
            return ()
        template = schema_template(self.python, self.cwd, app_env)
        if template is None:
            return ()
        shutil.copyfile(template, self.workdir / "app.db")
        return extra_args

    def _spawn(self, spec: ProcessSpec, values: Mapping[str, str], *, extra_env: Mapping[str, str] = {}) -> _Process:
        command = [_fill(part, values, spec.name) for part in spec.command]
        log_path = self.workdir / f"{spec.name}.log"
        env = {**os.environ, **spec.env, **extra_env, "PYTHONUNBUFFERED": "1"}
        # E2E_* variables describe a stack to the *suite*; the processes of this stack must not see them.
        for key in [k for k in env if k.startswith("E2E_")]:
            del env[key]
        log_handle = open(log_path, "wb")  # noqa: SIM115  kept open for the process's life, closed in stop()
        # Own session: Ctrl-C in the terminal reaches pytest, which stops the stack in order.
        popen = subprocess.Popen(command, cwd=self.cwd, env=env, stdout=log_handle, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=die_with_parent)
        process = _Process(spec.name, popen, log_path, log_handle)
        self.processes.append(process)
        return process

    def _wait(self, process: _Process, check: Callable[[], T | None], what: str) -> T:
        """Polls ``check`` until it returns something truthy; a process that exits or a deadline that
        passes first is a StackError with the end of the process's log."""
        deadline = time.monotonic() + self.config.startup_timeout_s
        while True:
            code = process.popen.poll()
            if code is not None:
                problem = f"{process.name} exited with code {code} while starting"
            elif value := check():
                return value
            elif time.monotonic() > deadline:
                problem = f"timed out after {self.config.startup_timeout_s:g}s waiting for {what}"
            else:
                time.sleep(POLL_INTERVAL_S)
                continue
            raise StackError(f"{problem}; last lines of {process.log_path}:\n{process.tail()}")

    def _logged(self, process: _Process, ready_line: str) -> re.Match[str] | None:
        return re.search(ready_line, process.log_path.read_text(encoding="utf-8", errors="replace"))

    def _wait_for_url(self, process: _Process, spec: ProcessSpec) -> str:
        """The URL the process announced, once its readiness path answers 200 (remembered per process)."""
        if not process.ready_url:
            found = self._wait(process, lambda: self._logged(process, spec.ready_line),
                               f"{spec.name} to print {spec.ready_line!r}")
            url = found.group("url").rstrip("/")
            self._wait_ready(process, url + spec.readiness_path)
            process.ready_url = url
        return process.ready_url

    def _wait_for_line(self, process: _Process, spec: ProcessSpec) -> None:
        """Until the process logs a line matching spec.ready_line (a process without a port to ask)."""
        self._wait(process, lambda: self._logged(process, spec.ready_line), f"{spec.name} to log {spec.ready_line!r}")

    def _wait_ready(self, process: _Process, url: str) -> None:
        self._wait(process, lambda: is_ready(url, timeout=1.0), f"{process.name} at {url} to answer 200")

    # -- stop ----------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stops every process and closes the log files. Idempotent.

        The app goes first, so it takes no webhook whose work could not be done; then the fakes and a
        separate worker together (each takes a moment to wind down; one after the other that added up).
        """
        apps = [process for process in self.processes if process.name == "app"]
        others = [process for process in self.processes if process.name != "app"]
        for wave in (apps, others):
            _terminate_all([process.popen for process in wave], self.config.shutdown_timeout_s)
        for process in self.processes:
            process.log_handle.close()
        self.processes.clear()


def die_with_parent() -> None:
    """Linux: SIGTERM this process when the thread that started it ends, even by SIGKILL of its process
    (PR_SET_PDEATHSIG follows the parent *thread*): a killed run must not leave an app and two fakes
    running. Elsewhere a no-op (the stack's stop() still ends them normally)."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _terminate_all(popens: list[subprocess.Popen[bytes]], timeout: float) -> None:
    """SIGTERM to each process group at once, then up to `timeout` for all of them; SIGKILL what is left."""
    running = [popen for popen in popens if popen.poll() is None]
    for popen in running:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(popen.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for popen in running:
        try:
            popen.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(popen.pid, signal.SIGKILL)
            popen.wait()


# -- a migrated SQLite schema, built once per migrations version ---------------------------------------


def migrations_digest(root: Path = PROJECT_ROOT) -> str:
    """Names the schema: a hash of every file Alembic reads (env.py and the versions)."""
    digest = hashlib.sha256()
    folder = root / "app" / "migrations"
    for path in sorted(folder.rglob("*.py")):
        if "__pycache__" not in path.parts:
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def schema_template(python: str, cwd: Path, app_env: Mapping[str, str]) -> Path | None:
    """A SQLite file migrated to head by ``python -m app migrate``, cached under .e2e-cache/ by the
    migrations' hash. Each stack's app then starts on a copy with ``--no-migrate``: it skips importing
    Alembic and running the migrations (docs/suite.md, "Measurements"). Built on first use; workers
    racing to build it each write their own file and rename it into place."""
    cache = SCHEMA_CACHE
    template = cache / f"schema-{migrations_digest()}.sqlite3"
    if template.exists():
        return template
    cache.mkdir(parents=True, exist_ok=True)
    building = cache / f"{template.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    env = {k: v for k, v in {**os.environ, **app_env}.items() if not k.startswith("E2E_")}
    env.update({"DATABASE_URL": f"sqlite:///{building}", "LOG_FILE": ""})
    done = subprocess.run([python, "-m", "app", "migrate"], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)
    if done.returncode != 0 or not building.exists():
        building.unlink(missing_ok=True)
        return None  # the app migrates its own database as before; its log will say why if that fails too
    os.replace(building, template)
    return template


# -- the Stripe side of "setting up an account" ---------------------------------------------------------
def register_stripe_webhook(stripe_url: str, api_key: str, webhook_url: str) -> str:
    """POST /v1/webhook_endpoints (all events) and return the endpoint's signing secret."""
    response = http().post(
        f"{stripe_url}/v1/webhook_endpoints",
        headers={"Authorization": f"Bearer {api_key}"},
        data={"url": webhook_url, "enabled_events[]": "*", "description": "NeverMissCall e2e stack"},
        timeout=10,
    )
    if response.status_code != 200:
        raise StackError(f"registering the webhook endpoint at the Stripe fake failed: {response.status_code} "
                         f"{response.text[:300]}")
    secret = str(response.json().get("secret", ""))
    if not secret.startswith("whsec_"):
        raise StackError(f"the Stripe fake returned no whsec_ secret for the webhook endpoint: {response.text[:300]}")
    return secret


def check_price(stripe_url: str, api_key: str, price_id: str) -> None:
    """GET /v1/prices/{id}: the price the app will sell exists and is active at the fake."""
    response = http().get(f"{stripe_url}/v1/prices/{price_id}", headers={"Authorization": f"Bearer {api_key}"},
                         timeout=10)
    if response.status_code != 200:
        raise StackError(f"the Stripe fake has no price {price_id!r} ([stack.stripe] price_id): "
                         f"{response.status_code} {response.text[:300]}")
    if not response.json().get("active", False):
        raise StackError(f"price {price_id!r} at the Stripe fake is not active ([stack.stripe] price_id)")


def _fill(text: str, values: Mapping[str, str], table: str) -> str:
    try:
        return text.format_map(values)
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"[stack.{table}] uses an unknown placeholder: {exc}") from exc


def _uses(spec: ProcessSpec, placeholder: str) -> bool:
    return any("{" + placeholder + "}" in part for part in spec.command)


def find_price(stripe_url: str, api_key: str, *, interval: str) -> str:
    """The id of the first active recurring price billed every ``interval`` (GET /v1/prices)."""
    response = http().get(
        f"{stripe_url}/v1/prices",
        headers={"Authorization": f"Bearer {api_key}"},
        params={"active": "true", "type": "recurring", "recurring[interval]": interval},
        timeout=10,
    )
    if response.status_code != 200:
        raise StackError(f"listing prices at the Stripe fake failed: {response.status_code} {response.text[:300]}")
    prices = response.json().get("data", [])
    if not prices:
        raise StackError(f"the Stripe fake has no active {interval}ly price; configure one with --prices")
    return str(prices[0]["id"])
