"""The stack under test, and the control clients of both fakes.

Where the stack comes from, decided once by the run's controller (the only process without xdist):

1. E2E_BASE_URL (+ E2E_OPERATOR_TOKEN, E2E_TWILIO_FAKE_URL, E2E_STRIPE_FAKE_URL): an external target;
2. --reuse-stack / E2E_REUSE_STACK=1: the stack ``python -m seed stack`` keeps running, if it is up;
3. --stack-scope run: the controller starts one stack and shares it with every worker;
4. --stack-scope worker (the default): one stack per worker, used by that worker alone. The controller
   starts them all at configure time, in background threads, so they boot while the xdist workers
   import and collect (~1.3 s of each worker's start-up); a worker's ``stack`` fixture waits for the
   ``ready.json`` (or ``start-error.txt``) its stack's thread writes. Two or more stacks fork their
   processes from one fork server (seed/forkserver.py) instead of importing the app and fakes each.
   Without xdist the one process does the same for itself. A worker the controller started no stack
   for (one xdist restarted after a crash) starts its own.

Cases 1-3 reach the workers as E2E_* environment variables (workers inherit the controller's env).
On targets that outlive a run (1 and 2) the controller first sweeps what interrupted runs left there.
The controller also empties the output directory (test-results/) once, before anything writes to it
— instead of pytest-playwright's per-process delete_output_dir, which would race under xdist.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, NoReturn

import pytest

from e2e.plugins.common import STACK_PIDS, is_controller, output_dir, suite_config_of, worker_id
from fakes.google.client import GoogleFakeClient
from fakes.stripe.client import StripeFakeClient
from fakes.twilio.client import TwilioFakeClient
from seed.config import PROJECT_ROOT
from seed.forkserver import ForkServer, ForkServerError
from seed.ledger import ledger_dir
from seed.operator import OperatorApiUnavailable, OperatorClient
from seed.run import ensure_run_env, process_alive
from seed.stack import Stack, StackError, StackLauncher, external_stack, read_state, reusable_stack_dir
from seed.sweeper import sweep
from seed.waiting import WaitTimeout, wait_until

STACK_SCOPE_ENV = "E2E_STACK_SCOPE"
STACK_WORKER_ENV = "E2E_STACK_WORKER"
REUSE_ENV = "E2E_REUSE_STACK"
DATABASE_ENV = "E2E_DATABASE_URL"
FORK_SERVER_ENV = "E2E_FORK_SERVER"  # "off": every stack process is a fresh `python -m ...` ([stack] fork_server)


def reusable_state() -> Path:
    return reusable_stack_dir() / "stack.json"

_RUN_LAUNCHER = pytest.StashKey[StackLauncher]()
_EARLY = pytest.StashKey[dict[str, "EarlyStack"]]()  # worker id -> its stack, started by the controller
_FORK_SERVER = pytest.StashKey[ForkServer]()  # what the controller forks the workers' stack processes from
EARLY_INPUT_KEY = "e2e_early_stack"  # in a worker's workerinput: the controller is starting its stack
READY_FILE, ERROR_FILE = "ready.json", "start-error.txt"
_NOTES = pytest.StashKey[list[str]]()
_SET_ENV = pytest.StashKey[set[str]]()  # variables this run set in its own environment, removed at the end


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("e2e")
    group.addoption("--stack-scope", choices=("worker", "run"), default=None,
                    help=f"one stack per xdist worker, or one per run shared by all (env {STACK_SCOPE_ENV}; "
                         "default from playwright.config.toml)")
    group.addoption("--stack-worker", choices=("in-process", "separate"), default=None,
                    help=f"the app's outbox worker inside the web process (default) or as its own process, as "
                         f"deployed on PostgreSQL ([stack.worker]; env {STACK_WORKER_ENV})")
    group.addoption("--reuse-stack", action="store_true", default=False,
                    help=f"use the stack `python -m seed stack` runs, when it is up (env {REUSE_ENV}=1)")


def stack_scope(config: pytest.Config) -> str:
    scope = config.getoption("--stack-scope") or os.environ.get(STACK_SCOPE_ENV) or suite_config_of(config).stack.scope
    if scope not in ("worker", "run"):
        raise pytest.UsageError(f"{STACK_SCOPE_ENV} must be 'worker' or 'run', not {scope!r}")
    return scope


def separate_worker(config: pytest.Config) -> bool:
    choice = config.getoption("--stack-worker") or os.environ.get(STACK_WORKER_ENV) or "in-process"
    if choice not in ("in-process", "separate"):
        raise pytest.UsageError(f"{STACK_WORKER_ENV} must be 'in-process' or 'separate', not {choice!r}")
    return choice == "separate"


def database_url(worker: str) -> str | None:
    url = os.environ.get(DATABASE_ENV)
    return url.replace("{worker}", worker) if url else None


def _only_collecting(config: pytest.Config) -> bool:
    return bool(config.option.collectonly or config.option.help or getattr(config.option, "showfixtures", False))


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    config.stash[_NOTES] = []
    if not is_controller(config):
        return
    config.stash[_SET_ENV] = {k for k in ("E2E_RUN_ID", "E2E_RUN_PID", STACK_DIR_SUFFIX_ENV) if k not in os.environ}
    ensure_run_env()
    if _only_collecting(config):
        return
    notes = config.stash[_NOTES]
    _clean_output_dir(config, notes)
    external = _external_or_none()
    if external is None and (config.getoption("--reuse-stack") or os.environ.get(REUSE_ENV) == "1"):
        reused = read_state(reusable_state())
        if reused is None:
            notes.append(f"--reuse-stack: no stack running ({reusable_state()} missing or not answering); starting one")
        else:
            os.environ.update(reused.to_env())
            external = _external_or_none()
            notes.append(f"reusing the stack of `python -m seed stack` at {reused.base_url}")
    if external is not None:
        _sweep_leftovers(config, external, notes)
        return
    if os.environ.get(DATABASE_ENV) and "{worker}" not in os.environ[DATABASE_ENV] and stack_scope(config) == "worker" \
            and (getattr(config.option, "numprocesses", None) or 0) not in (0, 1):
        raise pytest.UsageError(f"{DATABASE_ENV} is shared by every worker's stack: put {{worker}} in it (one database "
                                "per worker) or use --stack-scope run; two apps' outbox workers on one database would "
                                "send each other's messages through the wrong fake")
    _settle_throwaway_ledgers(notes)
    if stack_scope(config) == "run":
        launcher = StackLauncher(suite_config_of(config).stack, stack_dir(config, "run"),
                                 database_url=database_url("run"), shared=True, name="run",
                                 separate_worker=separate_worker(config))
        try:
            started = launcher.start()
        except StackError as exc:
            raise pytest.UsageError(f"could not start the e2e stack: {exc}") from exc
        config.stash[_RUN_LAUNCHER] = launcher
        os.environ.update(started.to_env())
        notes.append(f"one stack for the whole run at {started.base_url}, started in {started.timings['total_s']:.1f}s")
        return
    _start_worker_stacks_early(config)


def _xdist_workers(config: pytest.Config) -> int:
    numprocesses = getattr(config.option, "numprocesses", None)
    if getattr(config.option, "dist", "no") == "no" or not isinstance(numprocesses, int):
        return 0
    return numprocesses


def _start_worker_stacks_early(config: pytest.Config) -> None:
    workers = _xdist_workers(config)
    names = [f"gw{i}" for i in range(workers)] if workers else [worker_id()]
    fork_server = _fork_server(config, stacks=len(names))
    early = {}
    for name in names:
        launcher = StackLauncher(suite_config_of(config).stack, stack_dir(config, name),
                                 database_url=database_url(name), name=name, separate_worker=separate_worker(config),
                                 fork_server=fork_server)
        early[name] = EarlyStack(launcher)
    config.stash[_EARLY] = early


def _fork_server(config: pytest.Config, *, stacks: int) -> ForkServer | None:
    """One fork server for the stacks this controller starts, when there are several: their apps and fakes
    import the same modules, and under xdist they do it while the workers start on the same cores (see
    seed/forkserver.py). Started here, on the main thread, which outlives every stack's thread: the server
    and its children get SIGTERM when the thread that started them ends."""
    if stacks < 2 or not suite_config_of(config).stack.fork_server or os.environ.get(FORK_SERVER_ENV) == "off" \
            or not ForkServer.supported():
        return None
    try:
        server = ForkServer(sys.executable, PROJECT_ROOT, output_dir(config) / "stack-forkserver.log").start()
    except ForkServerError as exc:
        config.stash[_NOTES].append(f"{exc}; every stack process starts on its own")
        return None
    config.stash[_FORK_SERVER] = server
    return server


class EarlyStack:
    """One worker's stack, started and later stopped on a thread of the controller.

    The thread lives as long as the stack: the stack's processes die with the *thread* that spawned
    them (PR_SET_PDEATHSIG follows the parent thread, not the process), so it waits for stop().
    Files in the stack's directory tell the worker, another process, how the start went."""

    def __init__(self, launcher: StackLauncher) -> None:
        self.launcher = launcher
        self.started: Future[Stack] = Future()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"e2e-stack-{launcher.name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            stack = self.launcher.start()
        except BaseException as exc:
            _write_atomically(self.launcher.workdir / ERROR_FILE, str(exc))
            self.started.set_exception(exc)
            return
        _write_atomically(self.launcher.workdir / READY_FILE, json.dumps(stack.to_json()))
        self.started.set_result(stack)
        self._stop.wait()
        self.launcher.stop()

    def request_stop(self) -> None:
        self._stop.set()

    def stop(self) -> None:
        self.request_stop()
        self._thread.join()


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist, in the controller, before a worker starts: tell it whether its stack is on the way."""
    early = node.config.stash.get(_EARLY, {})
    node.workerinput[EARLY_INPUT_KEY] = node.workerinput.get("workerid") in early


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist, in the controller, when a worker has ended: its stack winds down now, while other workers
    still run and the run's summary is written (~0.3 s a stack), not at the very end. The worker checked
    for leaked tenants before it ended; nothing else uses its stack (a replacement worker starts its own)."""
    early = node.config.stash.get(_EARLY, {}).get(node.workerinput.get("workerid"))
    if early is not None:
        early.request_stop()


def pytest_unconfigure(config: pytest.Config) -> None:
    earlies = list(config.stash.get(_EARLY, {}).values())
    for early in earlies:  # every worker's stack winds down at the same time
        early.request_stop()
    for early in earlies:
        early.stop()  # waits for a start still under way (a run that ended early), then for the stop
    fork_server = config.stash.get(_FORK_SERVER, None)
    if fork_server is not None:
        fork_server.close()  # after the stacks: its children would get SIGTERM with it
    launcher = config.stash.get(_RUN_LAUNCHER, None)
    if launcher is not None:
        launcher.stop()
        if launcher.stack is not None:
            for key in launcher.stack.to_env():
                os.environ.pop(key, None)
    for key in config.stash.get(_SET_ENV, set()):  # a second pytest.main() in this process is another run
        os.environ.pop(key, None)


def pytest_report_header(config: pytest.Config) -> list[str]:
    scope = stack_scope(config)
    lines = [f"e2e stack: {'external/shared via E2E_BASE_URL' if os.environ.get('E2E_BASE_URL') else scope + ' scope'}"
             f"; results in {output_dir(config)}"]
    return lines + [f"e2e: {note}" for note in config.stash.get(_NOTES, [])]


def _external_or_none() -> Stack | None:
    try:
        return external_stack()
    except StackError as exc:
        raise pytest.UsageError(str(exc)) from exc


RUN_MARKER = ".e2e-run.json"  # which run owns the output directory right now
STACK_DIR_SUFFIX_ENV = "E2E_STACK_DIR_SUFFIX"  # set when another live run shares the output directory


def _clean_output_dir(config: pytest.Config, notes: list[str]) -> None:
    """Empties the output directory — unless another run that is still going writes to it: its stack's
    database and logs live there. Then both runs share the folder and this run's stacks get own names."""
    target = output_dir(config)
    protected = {Path.home().resolve(), Path(config.rootpath).resolve(), Path("/")}
    if target in protected or any(target in p.parents for p in protected if p != Path("/")):
        raise pytest.UsageError(f"refusing to empty --output {target}: point it at a directory of its own")
    marker = target / RUN_MARKER
    try:
        owner = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        owner = {}
    run_id = os.environ.get("E2E_RUN_ID", "")
    if owner.get("run_id") != run_id and owner.get("host") == socket.gethostname() and \
            process_alive(int(owner.get("pid", 0))) and int(owner.get("pid", 0)) != os.getpid():
        os.environ[STACK_DIR_SUFFIX_ENV] = run_id
        notes.append(f"run {owner.get('run_id')} (pid {owner.get('pid')}) is still writing to {target}: not emptied "
                     "(use --output DIR to keep runs apart)")
        return
    if target.exists():
        shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"run_id": run_id, "pid": os.getpid(), "host": socket.gethostname()}),
                      encoding="utf-8")


def stack_dir(config: pytest.Config, name: str) -> Path:
    suffix = os.environ.get(STACK_DIR_SUFFIX_ENV)
    return output_dir(config) / (f"stack-{name}-{suffix}" if suffix else f"stack-{name}")


def _sweep_leftovers(config: pytest.Config, target: Stack, notes: list[str]) -> None:
    """A target that outlives runs may hold tenants of a run that was interrupted: delete them first."""
    with OperatorClient(target.base_url, target.operator_token) as operator:
        try:
            operator.probe()
        except OperatorApiUnavailable as exc:
            raise pytest.UsageError(str(exc)) from exc
        report = sweep(ledger_dir=ledger_dir(), operator=operator, target_id=target.target_id,
                       current_run_id=os.environ.get("E2E_RUN_ID"))
    notes.append(report.summary() + " on " + target.base_url)
    notes.extend(f"  {line}" for line in report.lines() if not line.startswith("ledger removed"))


def _settle_throwaway_ledgers(notes: list[str]) -> None:
    report = sweep(ledger_dir=ledger_dir(), operator=None, current_run_id=os.environ.get("E2E_RUN_ID"))
    if report.settled or report.skipped:
        notes.append(report.summary() + " (ledgers of earlier runs)")
        notes.extend(f"  {line}" for line in report.lines() if line.startswith("skipped"))


# -- fixtures ------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def stack(pytestconfig: pytest.Config) -> Iterator[Stack]:
    """The running stack: base_url, operator_token, twilio_url, stripe_url (see seed.stack.Stack)."""
    shared = _external_or_none()
    if shared is not None:
        yield shared
        return
    worker = worker_id()
    workdir = stack_dir(pytestconfig, worker)
    try:
        early = _early_stack(pytestconfig, worker, workdir)
    except StackError as exc:
        _stack_failed(pytestconfig, exc)
    if early is not None:  # the controller started it and stops it
        _report_timings(pytestconfig, early, workdir)
        pytestconfig.stash[STACK_PIDS] = early.pids
        yield early
        return
    launcher = StackLauncher(suite_config_of(pytestconfig).stack, workdir, database_url=database_url(worker), name=worker,
                             separate_worker=separate_worker(pytestconfig))
    try:
        started = launcher.start()
    except StackError as exc:
        _stack_failed(pytestconfig, exc)
    _report_timings(pytestconfig, started, launcher.workdir)
    pytestconfig.stash[STACK_PIDS] = started.pids
    try:
        yield started
    finally:
        launcher.stop()


def _stack_failed(config: pytest.Config, exc: StackError) -> NoReturn:
    message = f"could not start the e2e stack: {exc}"
    if hasattr(config, "workerinput"):
        # pytest.exit in an xdist worker ends it mid-test, and xdist reports an INTERNALERROR without
        # the reason; an error in this session fixture shows the reason on every test instead.
        pytest.fail(message, pytrace=False)
    pytest.exit(message, returncode=3)


def _early_stack(config: pytest.Config, worker: str, workdir: Path) -> Stack | None:
    """This worker's stack as started at configure time: from the future in this process, or from the
    files the controller's thread writes. None when nobody started one for this worker."""
    own = config.stash.get(_EARLY, {}).get(worker)
    if own is not None:
        return own.started.result()
    if not getattr(config, "workerinput", {}).get(EARLY_INPUT_KEY):
        return None
    timeout = suite_config_of(config).stack.startup_timeout_s * 3 + 10  # three processes, then some
    ready, failed = workdir / READY_FILE, workdir / ERROR_FILE

    def reported() -> bool:
        if failed.exists():
            raise StackError(failed.read_text(encoding="utf-8"))
        return ready.exists()

    try:
        wait_until(reported, timeout, f"the run's controller to report this worker's stack ready ({ready})")
    except WaitTimeout as exc:
        raise StackError(f"{exc}; its logs are in {workdir}") from None
    data = json.loads(ready.read_text(encoding="utf-8"))
    log = data.get("app_log_file")
    return Stack(**{**data, "app_log_file": Path(log) if log else None, "owned": False,
                    "pids": tuple(data.get("pids", ()))})


def _report_timings(config: pytest.Config, started: Stack, workdir: Path) -> None:
    (workdir / "timings.json").write_text(json.dumps(started.timings), encoding="utf-8")
    if hasattr(config, "workeroutput"):
        config.workeroutput["e2e_stack_timings"] = started.timings
    else:
        config.stash[STACK_TIMINGS] = [started.timings]


STACK_TIMINGS = pytest.StashKey[list[dict[str, float]]]()


@pytest.fixture(scope="session")
def _twilio_control(stack: Stack) -> Iterator[TwilioFakeClient | None]:
    if not stack.twilio_url:
        yield None
        return
    client = TwilioFakeClient(stack.twilio_url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def _stripe_control(stack: Stack) -> Iterator[StripeFakeClient | None]:
    if not stack.stripe_url:
        yield None
        return
    client = StripeFakeClient(stack.stripe_url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def _google_control(stack: Stack) -> Iterator[GoogleFakeClient | None]:
    if not stack.google_url:
        yield None
        return
    client = GoogleFakeClient(stack.google_url)
    yield client
    client.close()


@pytest.fixture
def google(stack: Stack, _google_control: GoogleFakeClient | None) -> Iterator[GoogleFakeClient]:
    """The Google Calendar fake's control client (add/move/delete events, drop notifications, add_fault...).

    Calendars are per Google account (the owner's email), so tests never share one; faults are global to
    the fake and are cleared after each test on a stack of our own.
    """
    if _google_control is None:
        pytest.skip("no Google Calendar fake for this target: add [stack.google] or set E2E_GOOGLE_FAKE_URL")
    yield _google_control
    if not stack.shared:
        _google_control.clear_faults()
        _google_control.drop_notifications(0)  # a drop a test asked for but did not use


@pytest.fixture
def twilio(stack: Stack, _twilio_control: TwilioFakeClient | None) -> Iterator[TwilioFakeClient]:
    """The Twilio fake's control client (missed_call, inbound_sms, messages, requests, add_fault...).

    Faults, hostile webhook settings and runtime config are global to the fake, so after each test
    they are put back — on a stack of our own. On a shared stack (run scope, external) leave them alone.
    """
    if _twilio_control is None:
        pytest.skip("no Twilio fake for this target: set E2E_TWILIO_FAKE_URL")
    before: dict[str, Any] = _twilio_control.health().get("config", {})
    yield _twilio_control
    if not stack.shared:
        _twilio_control.clear_faults()
        _twilio_control.configure_webhooks(duplicate=1, delay_ms=0, reorder=False)
        restorable = {k: before[k] for k in ("compliance_callback_url", "status_interval_ms", "auto_status") if k in before}
        if restorable:
            _twilio_control.configure(**restorable)


@pytest.fixture
def stripe(stack: Stack, _stripe_control: StripeFakeClient | None) -> Iterator[StripeFakeClient]:
    """The Stripe fake's control client (payment_failed, cancel, events, checkout_sessions, add_fault...)."""
    if _stripe_control is None:
        pytest.skip("no Stripe fake for this target: set E2E_STRIPE_FAKE_URL")
    yield _stripe_control
    if not stack.shared:
        _stripe_control.clear_faults()
        _stripe_control.configure_webhooks(duplicate=1, delay_ms=0, reorder=False)
