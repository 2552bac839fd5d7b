"""The stack under test, and the control clients of both fakes.

Where the stack comes from, decided once by the run's controller (the only process without xdist):

1. E2E_BASE_URL (+ E2E_OPERATOR_TOKEN, E2E_TWILIO_FAKE_URL, E2E_STRIPE_FAKE_URL): an external target;
2. --reuse-stack: the stack ``python -m stack`` keeps running, if it is up;
3. --stack-scope run: the controller starts one stack and shares it with every worker;
4. --stack-scope worker (the default): each worker's ``stack`` fixture starts a stack used by that
   worker alone (without xdist, the one process does).

The decision reaches the workers in the run's handoff (e2e/plugins/common.py): cases 1-3 as the stack's
description (stack/description.py). On targets that outlive a run (1 and 2) the controller first sweeps
what interrupted runs left there. The controller also empties the output directory (test-results/)
once, before anything writes to it — instead of pytest-playwright's per-process delete_output_dir,
which would race under xdist.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from e2e.plugins.common import (
    HANDOFF_INPUT,
    STACK_PIDS,
    handoff,
    is_controller,
    output_dir,
    run_of,
    suite_config_of,
    worker_id,
)
from e2e.plugins.skips import skip_outside_app
from fakes.google.client import GoogleFakeClient
from fakes.jobber.client import JobberFakeClient
from fakes.stripe.client import StripeFakeClient
from fakes.twilio.client import TwilioFakeClient
from seed.ledger import ledger_dir
from seed.operator import OperatorApiUnavailable, OperatorClient
from seed.run import process_alive
from seed.sweeper import sweep
from stack.description import ENV, Stack, StackError, reusable_stack_dir
from stack.launcher import StackLauncher, is_ready

DATABASE_ENV = "E2E_DATABASE_URL"
RUN_MARKER = ".e2e-run.json"  # which run owns the output directory right now

_RUN_LAUNCHER = pytest.StashKey[StackLauncher]()
_NOTES = pytest.StashKey[list[str]]()
STACK_TIMINGS = pytest.StashKey[list[dict[str, float]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("e2e")
    group.addoption("--stack-scope", choices=("worker", "run"), default=None,
                    help="one stack per xdist worker, or one per run shared by all (default from playwright.config.toml)")
    group.addoption("--stack-worker", choices=("in-process", "separate"), default=None,
                    help="the app's outbox worker inside the web process (default) or as its own process, as "
                         "deployed on PostgreSQL ([stack.worker])")
    group.addoption("--reuse-stack", action="store_true", default=False,
                    help="use the stack `python -m stack` runs, when it is up")


def stack_scope(config: pytest.Config) -> str:
    return str(config.getoption("--stack-scope") or suite_config_of(config).stack.scope)


def separate_worker(config: pytest.Config) -> bool:
    return bool(config.getoption("--stack-worker") == "separate")


def database_url(worker: str) -> str | None:
    url = os.environ.get(DATABASE_ENV)
    return url.replace("{worker}", worker) if url else None


def _only_collecting(config: pytest.Config) -> bool:
    return bool(config.option.collectonly or config.option.help or getattr(config.option, "showfixtures", False))


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    config.stash[_NOTES] = []
    if not is_controller(config) or _only_collecting(config):
        return
    notes = config.stash[_NOTES]
    _clean_output_dir(config, notes)
    shared = _shared_stack(config, notes)
    if shared is not None:
        handoff(config)["stack"] = shared.to_json()


def _shared_stack(config: pytest.Config, notes: list[str]) -> Stack | None:
    """Cases 1-3 of the module's docstring; None when every worker starts its own."""
    environ: dict[str, str] = dict(os.environ)
    base_url_option = config.getoption("--base-url", default=None)
    if base_url_option:  # pytest-playwright's flag: the same as E2E_BASE_URL (the operator token still needed)
        environ[ENV["base_url"]] = base_url_option
    try:
        external = Stack.from_env(environ)
    except StackError as exc:
        raise pytest.UsageError(("--base-url: " if base_url_option else "") + str(exc)) from exc
    if external is None and config.getoption("--reuse-stack"):
        state = reusable_stack_dir() / "stack.json"
        # A lasting target: other runs use it too, and its database outlives this run.
        external = Stack.read(state, shared=True, disposable=False)
        if external is None or not is_ready(external.base_url + "/healthz"):
            external = None
            notes.append(f"--reuse-stack: no stack running ({state} missing or not answering); starting one")
        else:
            notes.append(f"reusing the stack of `python -m stack` at {external.base_url}")
    if external is not None:
        _sweep_leftovers(config, external, notes)
        return external
    if os.environ.get(DATABASE_ENV) and "{worker}" not in os.environ[DATABASE_ENV] and stack_scope(config) == "worker" \
            and (getattr(config.option, "numprocesses", None) or 0) not in (0, 1):
        raise pytest.UsageError(f"{DATABASE_ENV} is shared by every worker's stack: put {{worker}} in it (one database "
                                "per worker) or use --stack-scope run; two apps' outbox workers on one database would "
                                "send each other's messages through the wrong fake")
    _settle_throwaway_ledgers(config, notes)
    if stack_scope(config) != "run":
        return None
    launcher = StackLauncher(suite_config_of(config).stack, stack_dir(config, "run"), database_url=database_url("run"),
                             shared=True, name="run", separate_worker=separate_worker(config))
    config.stash[_RUN_LAUNCHER] = launcher
    try:
        started = launcher.start()
    except StackError as exc:
        raise pytest.UsageError(f"could not start the e2e stack: {exc}") from exc
    notes.append(f"one stack for the whole run at {started.base_url}, started in {started.timings['total_s']:.1f}s")
    return started


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist, in the controller, before a worker starts: the run's handoff travels in its workerinput."""
    node.workerinput[HANDOFF_INPUT] = handoff(node.config)


def pytest_unconfigure(config: pytest.Config) -> None:
    launcher = config.stash.get(_RUN_LAUNCHER, None)
    if launcher is not None:
        launcher.stop()


def pytest_report_header(config: pytest.Config) -> list[str]:
    scope = stack_scope(config)
    lines = [f"e2e stack: {'external/shared via E2E_BASE_URL' if os.environ.get('E2E_BASE_URL') else scope + ' scope'}"
             f"; results in {output_dir(config)}"]
    return lines + [f"e2e: {note}" for note in config.stash.get(_NOTES, [])]


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
    run_id = run_of(config).run_id
    if owner.get("run_id") != run_id and owner.get("host") == socket.gethostname() and \
            process_alive(int(owner.get("pid", 0))) and int(owner.get("pid", 0)) != os.getpid():
        handoff(config)["stack_dir_suffix"] = run_id
        notes.append(f"run {owner.get('run_id')} (pid {owner.get('pid')}) is still writing to {target}: not emptied "
                     "(use --output DIR to keep runs apart)")
        return
    if target.exists():
        shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"run_id": run_id, "pid": os.getpid(), "host": socket.gethostname()}),
                      encoding="utf-8")


def stack_dir(config: pytest.Config, name: str) -> Path:
    suffix = handoff(config).get("stack_dir_suffix")
    return output_dir(config) / (f"stack-{name}-{suffix}" if suffix else f"stack-{name}")


def _sweep_leftovers(config: pytest.Config, target: Stack, notes: list[str]) -> None:
    """A target that outlives runs may hold tenants of a run that was interrupted: delete them first."""
    with OperatorClient(target.base_url, target.operator_token) as operator:
        try:
            operator.probe()
        except OperatorApiUnavailable as exc:
            raise pytest.UsageError(str(exc)) from exc
        report = sweep(ledger_dir=ledger_dir(), operator=operator, target_id=target.target_id,
                       current_run_id=run_of(config).run_id)
    notes.append(report.summary() + " on " + target.base_url)
    notes.extend(f"  {line}" for line in report.lines() if not line.startswith("ledger removed"))


def _settle_throwaway_ledgers(config: pytest.Config, notes: list[str]) -> None:
    report = sweep(ledger_dir=ledger_dir(), operator=None, current_run_id=run_of(config).run_id)
    if report.settled or report.skipped:
        notes.append(report.summary() + " (ledgers of earlier runs)")
        notes.extend(f"  {line}" for line in report.lines() if line.startswith("skipped"))


# -- fixtures ------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def stack(pytestconfig: pytest.Config) -> Iterator[Stack]:
    """The running stack: base_url, operator_token, twilio_url, stripe_url (see stack.description.Stack)."""
    shared = handoff(pytestconfig).get("stack")
    if shared is not None:
        yield Stack.from_json(shared)
        return
    worker = worker_id()
    launcher = StackLauncher(suite_config_of(pytestconfig).stack, stack_dir(pytestconfig, worker),
                             database_url=database_url(worker), name=worker,
                             separate_worker=separate_worker(pytestconfig))
    try:
        started = launcher.start()
    except StackError as exc:
        _stack_failed(pytestconfig, exc)
    _report_timings(pytestconfig, started)
    pytestconfig.stash[STACK_PIDS] = tuple(process.popen.pid for process in launcher.processes)
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


def _report_timings(config: pytest.Config, started: Stack) -> None:
    if hasattr(config, "workeroutput"):
        config.workeroutput["e2e_stack_timings"] = started.timings
    else:
        config.stash[STACK_TIMINGS] = [started.timings]


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
    if not stack.fakes.get("google"):
        yield None
        return
    client = GoogleFakeClient(stack.fakes["google"])
    yield client
    client.close()


@pytest.fixture
def google(stack: Stack, _google_control: GoogleFakeClient | None) -> Iterator[GoogleFakeClient]:
    """The Google Calendar fake's control client (add/move/delete events, drop notifications, add_fault...).

    Calendars are per Google account (the owner's email), so tests never share one; faults are global to
    the fake and are cleared after each test on a stack of our own.
    """
    if _google_control is None:
        skip_outside_app("no_google_fake", "no Google Calendar fake for this target: add [stack.google]")
    yield _google_control
    if not stack.shared:
        _google_control.clear_faults()
        _google_control.drop_notifications(0)  # a drop a test asked for but did not use


@pytest.fixture(scope="session")
def _jobber_control(stack: Stack) -> Iterator[JobberFakeClient | None]:
    if not stack.fakes.get("jobber"):
        yield None
        return
    client = JobberFakeClient(stack.fakes["jobber"])
    yield client
    client.close()


@pytest.fixture
def jobber(stack: Stack, _jobber_control: JobberFakeClient | None) -> Iterator[JobberFakeClient]:
    """The Jobber fake's control client (add/move/delete visits, drop webhooks, add_fault...).

    Accounts are per email (the owner's, typed on Jobber's consent page), so tests never share one; faults
    are global to the fake and are cleared after each test on a stack of our own.
    """
    if _jobber_control is None:
        skip_outside_app("no_jobber_fake", "no Jobber fake for this target: add [stack.jobber]")
    yield _jobber_control
    if not stack.shared:
        _jobber_control.clear_faults()
        _jobber_control.drop_webhooks(0)  # a drop a test asked for but did not use


@pytest.fixture
def twilio(stack: Stack, _twilio_control: TwilioFakeClient | None) -> Iterator[TwilioFakeClient]:
    """The Twilio fake's control client (missed_call, inbound_sms, messages, requests, add_fault...).

    Faults, hostile webhook settings and runtime config are global to the fake, so after each test
    they are put back — on a stack of our own. On a shared stack (run scope, external) leave them alone.
    """
    if _twilio_control is None:
        skip_outside_app("no_twilio_fake", "no Twilio fake for this target: set E2E_TWILIO_FAKE_URL")
    before: dict[str, Any] = _twilio_control.health().get("config", {})
    yield _twilio_control
    if not stack.shared:
        _twilio_control.clear_faults()
        _twilio_control.configure_webhooks(duplicate=1, delay_ms=0, reorder=False)
        restorable = {k: before[k] for k in ("compliance_callback_url", "status_interval_ms", "auto_status",
                                             "idempotency_tokens") if k in before}
        if restorable:
            _twilio_control.configure(**restorable)


@pytest.fixture
def stripe(stack: Stack, _stripe_control: StripeFakeClient | None) -> Iterator[StripeFakeClient]:
    """The Stripe fake's control client (payment_failed, cancel, events, checkout_sessions, add_fault...)."""
    if _stripe_control is None:
        skip_outside_app("no_stripe_fake", "no Stripe fake for this target: set E2E_STRIPE_FAKE_URL")
    yield _stripe_control
    if not stack.shared:
        _stripe_control.clear_faults()
        _stripe_control.configure_webhooks(duplicate=1, delay_ms=0, reorder=False)
