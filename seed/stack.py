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
``price_interval``). Starting all three at once saves the fakes' start-up (~0.5 s) on every stack.

A launcher given a :class:`~seed.forkserver.ForkServer` forks its ``{python} -m ...`` processes from it
(several stacks started by one process share one; every other command is still a ``Popen``).

Each process logs to a file in the stack's directory (``<name>.log``; the app's JSON log is
``app.jsonl``), and ``stop()`` ends them: SIGTERM to the process group, SIGKILL after a timeout.
A :class:`Stack` describes a running stack, whoever started it: this process, the run's controller
(shared through ``E2E_*`` environment variables), ``python -m seed stack`` (reused), or a deployment
elsewhere (SPEC 6.6).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import IO, Any, Protocol

import httpx

from seed import http
from seed.config import PROJECT_ROOT, ConfigError, ProcessSpec, StackConfig
from seed.forkserver import ForkServer, ForkServerError
from seed.proc import die_with_parent
from seed.waiting import WaitTimeout, wait_until

ENV_BASE_URL = "E2E_BASE_URL"
ENV_OPERATOR_TOKEN = "E2E_OPERATOR_TOKEN"
ENV_TWILIO_URL = "E2E_TWILIO_FAKE_URL"
ENV_STRIPE_URL = "E2E_STRIPE_FAKE_URL"
ENV_GOOGLE_URL = "E2E_GOOGLE_FAKE_URL"
ENV_APP_LOG = "E2E_APP_LOG_FILE"  # optional: the external app's LOG_FILE, when it is readable from here
ENV_RUN_STACK_ID = "E2E_RUN_STACK_ID"  # set by the run's controller for the throwaway stack it shares with workers


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
    owned: bool  # started (and stopped) by this process
    shared: bool  # other workers or runs use it at the same time: no global fake state changes
    disposable: bool  # its database goes away with it
    stripe_price_id: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    # Its processes (app, fakes, a separate worker) when this machine runs them: the suite charges their
    # CPU to the tests of the one worker a stack serves (e2e/plugins/shard.py).
    pids: tuple[int, ...] = ()
    google_url: str | None = None

    def to_env(self) -> dict[str, str]:
        """The E2E_* variables that describe this stack to another process."""
        env = {ENV_BASE_URL: self.base_url, ENV_OPERATOR_TOKEN: self.operator_token}
        if self.twilio_url:
            env[ENV_TWILIO_URL] = self.twilio_url
        if self.stripe_url:
            env[ENV_STRIPE_URL] = self.stripe_url
        if self.google_url:
            env[ENV_GOOGLE_URL] = self.google_url
        if self.app_log_file:
            env[ENV_APP_LOG] = str(self.app_log_file)
        if self.disposable:
            env[ENV_RUN_STACK_ID] = self.target_id
        return env

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["app_log_file"] = str(self.app_log_file) if self.app_log_file else None
        return data


def external_stack(environ: Mapping[str, str] | None = None) -> Stack | None:
    """The stack E2E_BASE_URL & co. describe, or None when they are not set."""
    env = os.environ if environ is None else environ
    base_url = env.get(ENV_BASE_URL, "").rstrip("/")
    if not base_url:
        return None
    token = env.get(ENV_OPERATOR_TOKEN, "")
    if not token:
        raise StackError(f"{ENV_BASE_URL} is set but {ENV_OPERATOR_TOKEN} is not: the suite seeds tenants through "
                         "the operator API and needs its token")
    log = env.get(ENV_APP_LOG)
    run_stack_id = env.get(ENV_RUN_STACK_ID)
    return Stack(
        base_url=base_url, operator_token=token,
        twilio_url=(env.get(ENV_TWILIO_URL) or "").rstrip("/") or None,
        stripe_url=(env.get(ENV_STRIPE_URL) or "").rstrip("/") or None,
        google_url=(env.get(ENV_GOOGLE_URL) or "").rstrip("/") or None,
        app_log_file=Path(log) if log else None,
        # The controller's stack is disposable (its database dies with the run); an external one is not.
        target_id=run_stack_id or base_url, owned=False, shared=True, disposable=bool(run_stack_id),
    )


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


def is_ready(url: str, *, timeout: float = 2.0) -> bool:
    try:
        return http.get(url, timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


class ChildProcess(Protocol):
    """What the launcher needs of a process it started: a ``subprocess.Popen`` or a fork server's child."""

    @property
    def pid(self) -> int: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...


@dataclass
class _Process:
    name: str
    popen: ChildProcess
    log_path: Path
    log_handle: IO[bytes] | None  # ours to close (a forked child opens its log itself)
    ready_url: str = ""

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


class StackLauncher:
    """Starts the processes of one stack in ``workdir``; use as a context manager or start()/stop()."""

    def __init__(self, config: StackConfig, workdir: Path, *, database_url: str | None = None,
                 python: str = sys.executable, cwd: Path = PROJECT_ROOT, shared: bool = False,
                 name: str = "stack", separate_worker: bool = False, fork_server: ForkServer | None = None) -> None:
        if separate_worker and config.worker is None:
            raise ConfigError("a separate outbox worker needs [stack.worker] in playwright.config.toml")
        self.config = config
        self.separate_worker = separate_worker
        self.workdir = workdir
        self.database_url = database_url
        self.python = python
        self.cwd = cwd
        self.shared = shared
        self.name = name
        self.processes: list[_Process] = []
        self.stack: Stack | None = None
        # Shared by the stacks one process starts at once (the run's controller under xdist): their
        # `{python} -m ...` processes are forked from it instead of each importing everything again.
        self.fork_server = fork_server

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
            # The Google Calendar fake (optional): its port is picked here so the app knows its URL up front.
            google_port = free_port(cfg.host) if cfg.google else None
            google = self._spawn(cfg.google, {**values, "port": str(google_port)}) if cfg.google else None
            google_url = f"http://{cfg.host}:{google_port}" if google_port else None
            google_settings = cfg.google.settings if cfg.google else {}
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
                **cfg.app.env,
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
                **({"GOOGLE_CLIENT_ID": str(google_settings.get("client_id", "")),
                    "GOOGLE_CLIENT_SECRET": str(google_settings.get("client_secret", "")),
                    "GOOGLE_API_BASE": google_url, "GOOGLE_OAUTH_BASE": google_url,
                    "GOOGLE_TOKEN_URL": google_url + "/token",
                    "CALENDAR_POLL_INTERVAL_SECONDS": str(google_settings.get("poll_interval_s", 300))}
                   if google_url else {}),
            }
            worker_args = cfg.worker.app_args if self.separate_worker and cfg.worker else ()
            app_spec = replace(cfg.app, command=(*cfg.app.command, *self._prepare_schema(app_env), *worker_args))
            app = self._spawn(app_spec, {**values, "port": str(app_port)}, extra_env=app_env)
            app_spawned = time.monotonic()
            # The app boots (imports, migrations) while the fakes finish theirs.
            fakes = [(twilio, cfg.twilio, twilio_url), (stripe, cfg.stripe, stripe_url)]
            if google is not None and cfg.google is not None and google_url is not None:
                fakes.append((google, cfg.google, google_url))
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
                                          ready_line=cfg.worker.ready_line, preload=cfg.worker.preload)
                self._wait_for_line(self._spawn(worker_spec, values, extra_env=app_env),  # same LOG_FILE too
                                    worker_spec)
        except BaseException:
            self.stop()
            raise
        done = time.monotonic()
        self.stack = Stack(
            base_url=app_url, operator_token=token, twilio_url=twilio_url, stripe_url=stripe_url,
            app_log_file=log_file, target_id=f"{self.name}:{app_url}:{secrets.token_hex(4)}", owned=True,
            shared=self.shared, disposable=self.database_url is None, stripe_price_id=price_id,
            # fakes_s: start -> both fakes ready; app_s: the app's own boot (spawn -> /healthz 200).
            # worker_s (separate worker only): the app ready -> the worker's ready line.
            timings={"fakes_s": round(fakes_ready - started, 3), "app_s": round(app_ready - app_spawned, 3),
                     "total_s": round(done - started, 3),
                     **({"worker_s": round(done - app_ready, 3)} if self.separate_worker else {})},
            pids=tuple(process.popen.pid for process in self.processes), google_url=google_url,
        )
        return self.stack

    def _prepare_schema(self, app_env: Mapping[str, str]) -> tuple[str, ...]:
        """Puts a copy of the cached, migrated SQLite schema where the app's own database goes and returns
        the app's extra arguments for it ([stack.app] prepared_schema_args); () when the app uses another
        database, the recipe does not ask for it, or the template cannot be built (the app migrates)."""
        extra_args = tuple(self.config.app.settings.get("prepared_schema_args", ()))
        if self.database_url is not None or not extra_args or os.environ.get(SCHEMA_CACHE_ENV) == "off":
            return ()
        template = schema_template(self.python, self.cwd, app_env)
        if template is None:
            return ()
        shutil.copyfile(template, self.workdir / "app.db")
        return extra_args

    def _spawn(self, spec: ProcessSpec, values: Mapping[str, str], *, extra_env: Mapping[str, str] = {}) -> _Process:
        try:
            command = [part.format_map(values) for part in spec.command]
        except (KeyError, ValueError) as exc:
            raise ConfigError(f"[stack.{spec.name}] command uses an unknown placeholder: {exc}") from exc
        log_path = self.workdir / f"{spec.name}.log"
        env = {**os.environ, **spec.env, **extra_env, "PYTHONUNBUFFERED": "1"}
        # E2E_* variables describe a stack to the *suite*; the processes of this stack must not see them.
        for key in [k for k in env if k.startswith("E2E_")]:
            del env[key]
        if self.fork_server is not None and _is_python_module(command, self.fork_server.python):
            try:
                forked = self.fork_server.spawn(command[2], command[3:], env=env, cwd=self.cwd, log_path=log_path,
                                                preload=spec.preload)
            except ForkServerError as exc:
                raise StackError(f"{spec.name} could not be started: {exc}") from exc
            process = _Process(spec.name, forked, log_path, None)
        else:
            log_handle = open(log_path, "wb")  # noqa: SIM115  kept open for the process's life, closed in stop()
            # Own session: Ctrl-C in the terminal reaches pytest, which stops the stack in order.
            popen = subprocess.Popen(command, cwd=self.cwd, env=env, stdout=log_handle, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=die_with_parent)
            process = _Process(spec.name, popen, log_path, log_handle)
        self.processes.append(process)
        return process

    def _check_alive(self, process: _Process) -> None:
        code = process.popen.poll()
        if code is not None:
            raise StackError(f"{process.name} exited with code {code} while starting; "
                             f"last lines of {process.log_path}:\n{process.tail()}")

    def _wait_for_url(self, process: _Process, spec: ProcessSpec) -> str:
        """The URL the process announced, once its readiness path answers 200 (remembered per process)."""
        if process.ready_url:
            return process.ready_url
        pattern = re.compile(spec.ready_line)

        def announced() -> str:
            self._check_alive(process)
            found = pattern.search(process.log_path.read_text(encoding="utf-8", errors="replace"))
            return found.group("url").rstrip("/") if found else ""

        try:
            url = wait_until(announced, self.config.startup_timeout_s, f"{spec.name} to print {spec.ready_line!r}")
        except WaitTimeout as exc:
            raise StackError(f"{exc}\nlast lines of {process.log_path}:\n{process.tail()}") from None
        self._wait_ready(process, url + spec.readiness_path)
        process.ready_url = url
        return url

    def _wait_for_line(self, process: _Process, spec: ProcessSpec) -> None:
        """Until the process logs a line matching spec.ready_line (a process without a port to ask)."""
        pattern = re.compile(spec.ready_line)

        def logged() -> bool:
            self._check_alive(process)
            return pattern.search(process.log_path.read_text(encoding="utf-8", errors="replace")) is not None

        try:
            wait_until(logged, self.config.startup_timeout_s, f"{spec.name} to log {spec.ready_line!r}")
        except WaitTimeout as exc:
            raise StackError(f"{exc}\nlast lines of {process.log_path}:\n{process.tail()}") from None

    def _wait_ready(self, process: _Process, url: str) -> None:
        def ready() -> bool:
            self._check_alive(process)
            return is_ready(url, timeout=1.0)

        try:
            wait_until(ready, self.config.startup_timeout_s, f"{process.name} at {url} to answer 200")
        except WaitTimeout as exc:
            raise StackError(f"{exc}\nlast lines of {process.log_path}:\n{process.tail()}") from None

    # -- stop ----------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stops every process and closes the log files. Idempotent.

        The app goes first, so it takes no webhook whose work could not be done; then the fakes and a
        separate worker together (each takes ~0.15 s to wind down: one after the other that added up at
        every run's end).
        """
        apps = [process for process in self.processes if process.name == "app"]
        others = [process for process in self.processes if process.name != "app"]
        for wave in (apps, others):
            _terminate_all([process.popen for process in wave], self.config.shutdown_timeout_s)
        for process in self.processes:
            if process.log_handle is not None:
                process.log_handle.close()
        self.processes.clear()


def _is_python_module(command: list[str], python: str) -> bool:
    """`python -m MODULE ...` run by the fork server's interpreter: what it can fork instead."""
    return len(command) >= 3 and command[0] == python and command[1] == "-m"


def _terminate_all(popens: list[ChildProcess], timeout: float) -> None:
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
SCHEMA_CACHE_ENV = "E2E_SCHEMA_CACHE"  # a directory for the templates; "off" migrates every stack's database


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
    Alembic and running five migrations, ~0.5 s of CPU per stack (two stacks boot at once under -n 2).
    Built on first use; workers racing to build it each write their own file and rename it into place."""
    cache = Path(os.environ.get(SCHEMA_CACHE_ENV) or PROJECT_ROOT / ".e2e-cache")
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
    response = http.post(
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
    response = http.get(f"{stripe_url}/v1/prices/{price_id}", headers={"Authorization": f"Bearer {api_key}"},
                         timeout=10)
    if response.status_code != 200:
        raise StackError(f"the Stripe fake has no price {price_id!r} ([stack.stripe] price_id): "
                         f"{response.status_code} {response.text[:300]}")
    if not response.json().get("active", False):
        raise StackError(f"price {price_id!r} at the Stripe fake is not active ([stack.stripe] price_id)")


def _uses(spec: ProcessSpec, placeholder: str) -> bool:
    return any("{" + placeholder + "}" in part for part in spec.command)


def find_price(stripe_url: str, api_key: str, *, interval: str) -> str:
    """The id of the first active recurring price billed every ``interval`` (GET /v1/prices)."""
    response = http.get(
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


# -- a stack that outlives test runs: `python -m seed stack` ---------------------------------------------
STACK_DIR_ENV = "E2E_STACK_DIR"


def reusable_stack_dir() -> Path:
    """Where `python -m seed stack` keeps logs, database and stack.json (E2E_STACK_DIR, default test-results-stack/)."""
    return Path(os.environ.get(STACK_DIR_ENV) or PROJECT_ROOT / "test-results-stack")


def write_state(path: Path, stack: Stack, *, pid: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**stack.to_json(), "pid": pid}, indent=2), encoding="utf-8")


def read_state(path: Path) -> Stack | None:
    """The stack described by a state file, if the file exists and the app answers its readiness URL."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    stack = Stack(
        base_url=data["base_url"], operator_token=data["operator_token"], twilio_url=data.get("twilio_url"),
        stripe_url=data.get("stripe_url"), app_log_file=Path(data["app_log_file"]) if data.get("app_log_file") else None,
        target_id=data["target_id"], owned=False, shared=True, disposable=False,
        stripe_price_id=data.get("stripe_price_id", ""),
    )
    return stack if is_ready(stack.base_url + "/healthz") else None
