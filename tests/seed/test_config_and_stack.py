"""playwright.config.toml, the stack launcher, and how profiles reach pytest-playwright's options."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from fakes.twilio.client import TwilioFakeClient
from stack import config as suite_config
from stack.config import ConfigError, load
from stack.description import Stack, StackError
from stack.launcher import StackLauncher, _terminate_all
from stack.waiting import wait_until
from tests.conftest import tenant_spec
from tests.seed.conftest import PROJECT_ROOT, run_pytest


def test_the_project_config_has_the_three_profiles() -> None:
    cfg = load()
    assert {"default", "ci", "debug"} <= set(cfg.profiles)
    default, ci, debug = cfg.profile("default"), cfg.profile("ci"), cfg.profile("debug")
    assert not default.headed and default.tracing == "retain-on-failure"
    assert ci.video == "retain-on-failure" and ci.screenshot == "only-on-failure" and ci.junit_xml and ci.html_report
    assert ci.action_timeout_ms <= default.action_timeout_ms
    assert debug.headed and debug.slowmo_ms > 0 and debug.expect_timeout_ms > default.expect_timeout_ms
    assert ci.settle_window_ms == default.settle_window_ms, "profiles inherit from default"
    assert not default.trace_screenshots and ci.trace_screenshots and debug.trace_screenshots


def test_config_mistakes_name_the_key(tmp_path: Path) -> None:
    text = suite_config.DEFAULT_CONFIG_PATH.read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("[profiles.ci]", "[profiles.ci]\ncolour = 'red'"))
    with pytest.raises(ConfigError, match="colour"):
        load(bad)
    bad.write_text(text.replace('tracing = "retain-on-failure"', 'tracing = "sometimes"'))
    with pytest.raises(ConfigError, match="tracing must be one of"):
        load(bad)
    bad.write_text(text.replace("trace_screenshots = false", 'trace_screenshots = "no"', 1))
    with pytest.raises(ConfigError, match="trace_screenshots must be true or false"):
        load(bad)
    with pytest.raises(ConfigError, match="unknown profile 'nightly'"):
        load().profile("nightly")


def test_launcher_starts_and_stops_every_process(tmp_path: Path) -> None:
    launcher = StackLauncher(load().stack, tmp_path)
    stack = launcher.start()
    pids = [p.popen.pid for p in launcher.processes]
    try:
        assert httpx.get(f"{stack.base_url}/healthz").json() == {"status": "ok"}
        assert httpx.get(f"{stack.twilio_url}/_fake/health").status_code == 200
        assert stack.stripe_price_id.startswith("price_") and stack.disposable
        assert (tmp_path / "app.jsonl").exists() and (tmp_path / "twilio.log").exists()
        assert set(stack.timings) == {"fakes_s", "app_s", "total_s"}
    finally:
        launcher.stop()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def _webhook_endpoint_is_the_app(stack: Stack) -> None:
    """The Stripe fake has exactly one webhook endpoint, the app's (signed deliveries: e2e/test_smoke.py)."""
    endpoints = httpx.get(f"{stack.stripe_url}/v1/webhook_endpoints",
                          headers={"Authorization": "Bearer sk_test_nevermisscall_fake"}).json()["data"]
    assert [e["url"] for e in endpoints] == [f"{stack.base_url}/webhooks/stripe"]


def test_launcher_starts_everything_at_once_with_known_ports_and_secret(tmp_path: Path) -> None:
    cfg = load().stack
    assert "{port}" in cfg.twilio.command and "{stripe_webhook_secret}" in cfg.stripe.command
    with StackLauncher(cfg, tmp_path) as stack:
        assert stack.stripe_price_id == cfg.stripe.settings["price_id"]
        _webhook_endpoint_is_the_app(stack)
        # the app boots while the fakes do: it was spawned before they were ready
        assert stack.timings["app_s"] >= stack.timings["total_s"] - stack.timings["fakes_s"]


def test_launcher_finds_out_what_the_recipe_leaves_open(tmp_path: Path) -> None:
    """Fakes on port 0, no pre-set webhook secret, no price_id: URL from the log line, endpoint registered
    through the Stripe API, price looked up by interval — then the app starts."""
    cfg = load().stack
    port0 = lambda spec: tuple("0" if part == "{port}" else part for part in spec.command)  # noqa: E731
    stripe_cmd = port0(cfg.stripe)
    stripe_cmd = stripe_cmd[:stripe_cmd.index("--webhook-url")]
    settings = {k: v for k, v in cfg.stripe.settings.items() if k != "price_id"}
    legacy = replace(cfg, twilio=replace(cfg.twilio, command=port0(cfg.twilio)),
                     stripe=replace(cfg.stripe, command=stripe_cmd, settings=settings))
    with StackLauncher(legacy, tmp_path) as stack:
        assert stack.stripe_price_id == "price_nmc_monthly"
        assert httpx.get(f"{stack.base_url}/healthz").status_code == 200
        _webhook_endpoint_is_the_app(stack)


def test_launcher_refuses_a_price_the_fake_does_not_sell(tmp_path: Path) -> None:
    cfg = load().stack
    wrong = replace(cfg, stripe=replace(cfg.stripe, settings={**cfg.stripe.settings, "price_id": "price_nope"}))
    launcher = StackLauncher(wrong, tmp_path)
    with pytest.raises(StackError, match="no price 'price_nope'"):
        launcher.start()
    assert launcher.processes == []


def test_launcher_explains_a_process_that_dies(tmp_path: Path) -> None:
    cfg = load().stack
    crash = "import sys; print('boom: no config'); sys.exit(3)"
    broken_app = replace(cfg.app, command=("{python}", "-c", crash))
    launcher = StackLauncher(replace(cfg, app=broken_app), tmp_path)
    with pytest.raises(StackError, match=r"(?s)app exited with code 3.*boom: no config"):
        launcher.start()
    assert launcher.processes == [], "the fakes started before it are stopped again"


def test_launcher_runs_the_outbox_worker_on_its_own_when_asked(tmp_path: Path) -> None:
    """The production topology: `serve --no-worker` and `python -m app worker` with the app's environment.
    A missed call's first text is sent by the worker process (the app runs none), then all of it stops."""
    cfg = load().stack
    assert cfg.worker is not None and cfg.worker.app_args == ("--no-worker",)
    launcher = StackLauncher(cfg, tmp_path, separate_worker=True)
    stack = launcher.start()
    processes = {p.name: p for p in launcher.processes}
    try:
        assert set(processes) == {"twilio", "stripe", "google", "jobber", "app", "worker"}
        assert "--no-worker" in processes["app"].popen.args and set(stack.timings) >= {"app_s", "worker_s"}
        assert httpx.get(f"{stack.base_url}/healthz").json() == {"status": "ok"}
        with httpx.Client(base_url=stack.base_url, headers={"Authorization": f"Bearer {stack.operator_token}"}) as op:
            tenant = op.post("/api/operator/tenants", json=tenant_spec()).json()
        caller = "+15550107500"
        assert stack.twilio_url is not None
        with TwilioFakeClient(stack.twilio_url) as twilio:
            assert twilio.missed_call(from_=caller, to=tenant["phone_number"])["status_code"] == 200
            texts = wait_until(lambda: twilio.messages(to=caller), 20, "the worker to text the caller")
        assert len(texts) == 1 and tenant["name"] in texts[0]["body"]
        log = (tmp_path / "app.jsonl").read_text()
        assert "standalone worker running" in log and "outbox worker" in log  # both processes write the app log
        assert "standalone worker running" in (tmp_path / "worker.log").read_text()
    finally:
        launcher.stop()
    for process in processes.values():
        with pytest.raises(ProcessLookupError):
            os.kill(process.popen.pid, 0)


def test_a_separate_worker_needs_its_recipe(tmp_path: Path) -> None:
    cfg = replace(load().stack, worker=None)
    with pytest.raises(ConfigError, match=r"needs \[stack.worker\]"):
        StackLauncher(cfg, tmp_path, separate_worker=True)
    assert StackLauncher(cfg, tmp_path).separate_worker is False  # the default needs none


@pytest.mark.parametrize(("change", "message"), [
    (("ready_line = \"standalone worker running\"", "ready_line = \"(unclosed\""), "ready_line is not a regular"),
    (("ready_line = \"standalone worker running\"", ""), "ready_line must be"),
    (("app_args = [\"--no-worker\"]", "app_args = \"--no-worker\""), "app_args must be a list"),
    (("app_args = [\"--no-worker\"]", "app_args = [\"--no-worker\"]\nthreads = 4"), "unknown key.*threads"),
    (("command = [\"{python}\", \"-m\", \"app\", \"worker\"]", "command = []"), "command must be a non-empty"),
])
def test_worker_recipe_mistakes_are_named(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    text = suite_config.DEFAULT_CONFIG_PATH.read_text()
    assert change[0] in text
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(change[0], change[1], 1))
    with pytest.raises(ConfigError, match=message):
        load(bad)


def test_external_target_from_the_environment() -> None:
    assert Stack.from_env({}) is None
    with pytest.raises(StackError, match="E2E_OPERATOR_TOKEN"):
        Stack.from_env({"E2E_BASE_URL": "http://app.test"})
    stack = Stack.from_env({"E2E_BASE_URL": "http://app.test/", "E2E_OPERATOR_TOKEN": "t",
                            "E2E_TWILIO_FAKE_URL": "http://twilio.test"})
    assert isinstance(stack, Stack)
    assert (stack.base_url, stack.twilio_url, stack.stripe_url) == ("http://app.test", "http://twilio.test", None)
    assert stack.shared and not stack.disposable and stack.target_id == "http://app.test"
    assert Stack.from_env(stack.to_env()) == stack


def test_a_stack_description_survives_its_json(tmp_path: Path) -> None:
    stack = Stack(base_url="http://a", operator_token="t", twilio_url=None, stripe_url="http://s",
                  app_log_file=tmp_path / "app.jsonl", target_id="run:x", shared=True, disposable=True,
                  stripe_price_id="price_1", timings={"total_s": 1.5})
    stack.write(tmp_path / "stack.json")
    assert Stack.read(tmp_path / "stack.json") == stack == Stack.from_json(json.loads(json.dumps(stack.to_json())))
    assert Stack.read(tmp_path / "stack.json", shared=False) == replace(stack, shared=False)
    assert Stack.read(tmp_path / "missing.json") is None


def _header(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("e2e profile:"))


def test_profiles_fill_in_options_and_flags_still_win(tmp_path: Path) -> None:
    ci = run_pytest(["e2e", "--collect-only", "--profile", "ci"], tmp_path / "ci")
    assert ci.returncode == 0, ci
    assert re.search(r"e2e profile: ci \(headed=False, slowmo=0ms, tracing=retain-on-failure, "
                     r"screenshot=only-on-failure, video=retain-on-failure", _header(ci.output))
    flagged = run_pytest(["e2e", "--collect-only", "--video", "off", "--tracing=on"], tmp_path / "f",
                         env={"E2E_PROFILE": "ci"})
    assert "tracing=on, screenshot=only-on-failure, video=off" in _header(flagged.output)
    debug = run_pytest(["e2e", "--collect-only", "--profile", "debug"], tmp_path / "d")
    assert "headed=True, slowmo=300ms" in _header(debug.output)
    unknown = run_pytest(["e2e", "--collect-only", "--profile", "nightly"], tmp_path / "u")
    assert unknown.returncode == 4 and "unknown profile 'nightly'" in unknown.output


def test_header_names_the_resolved_browser(tmp_path: Path) -> None:
    run = run_pytest(["e2e", "--collect-only"], tmp_path)
    line = next(line for line in run.output.splitlines() if line.startswith("e2e browser:"))
    assert re.search(r"(playwright|system) chromium \S+ \(\w+ \d+\.\d+\.\d+\.\d+\)", line), line
    if os.geteuid() == 0:
        assert "--no-sandbox" in line
    assert "--disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run" in line


def test_video_needs_playwrights_ffmpeg(tmp_path: Path) -> None:
    no_browsers = {"PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "empty")}  # nothing of Playwright's installed
    ci = run_pytest(["e2e", "--collect-only", "--profile", "ci"], tmp_path / "ci", env=no_browsers)
    assert ci.returncode == 0, ci
    assert "e2e: video off: Playwright's ffmpeg" in ci.output and "video=off" in _header(ci.output)
    asked = run_pytest(["e2e", "--collect-only", "--video", "on"], tmp_path / "asked", env=no_browsers)
    assert asked.returncode == 4 and "--video on: Playwright's ffmpeg" in asked.output


def test_a_killed_owner_takes_its_stack_down(tmp_path: Path) -> None:
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from stack import config\n"
        "from stack.launcher import StackLauncher\n"
        "launcher = StackLauncher(config.load().stack, Path(sys.argv[1]))\n"
        "launcher.start()\n"
        "print(' '.join(str(p.popen.pid) for p in launcher.processes), flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=120)
    pids = [int(p) for p in done.stdout.split()]
    assert len(pids) == 5, done.stderr  # twilio, stripe, google, jobber, app

    def all_gone() -> bool:
        for pid in pids:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                continue
            return False
        return True

    wait_until(all_gone, timeout=15, message="the app and fakes to exit after their owner was killed")


def test_each_worker_runs_its_own_stack_and_stops_it_with_the_run(tmp_path: Path) -> None:
    """-n 2: gw0 and gw1 each start a stack of their own (described in its stack.json); every process is
    gone after the run."""
    run = run_pytest(["e2e/test_smoke.py", "-k", "healthy or provisioned", "-n", "2"], tmp_path)
    assert run.returncode == 0, run.output
    stacks = [json.loads((run.output_dir / f"stack-gw{i}" / "stack.json").read_text()) for i in (0, 1)]
    assert stacks[0]["base_url"] != stacks[1]["base_url"]
    assert all(not s["shared"] and s["disposable"] for s in stacks)
    assert run.output.count("fakes ready") == 2, run.output
    for stack in stacks:
        for url in (stack["base_url"], stack["twilio_url"], stack["stripe_url"], *stack["fakes"].values()):
            with pytest.raises(httpx.ConnectError):
                httpx.get(url, timeout=2)


def test_a_worker_stack_that_cannot_start_fails_the_run_with_its_reason(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    text = suite_config.DEFAULT_CONFIG_PATH.read_text()
    broken.write_text(text.replace('price_id = "price_nmc_monthly"', 'price_id = "price_missing"'))
    run = run_pytest(["e2e/test_smoke.py", "-k", "healthy", "-n", "2", "--e2e-config", str(broken)], tmp_path)
    assert run.returncode != 0
    assert "no price 'price_missing'" in run.output, run.output


def test_operator_tokens_never_look_like_an_option() -> None:
    from stack.launcher import operator_token

    tokens = [operator_token(24) for _ in range(2000)]  # ~31 of them would start with "-" unfiltered
    assert not any(t.startswith("-") for t in tokens) and len(set(tokens)) == len(tokens)


def _sleeper(*, ignore_term: bool, wind_down_s: float = 0.0) -> subprocess.Popen[bytes]:
    """A process in its own group that prints when SIGTERM arrived and exits `wind_down_s` later (or ignores it)."""
    handler = ("signal.SIG_IGN" if ignore_term
               else f"lambda *_: (print(time.time(), flush=True), time.sleep({wind_down_s}), sys.exit(0))")
    code = f"import signal, sys, time; signal.signal(signal.SIGTERM, {handler}); print('ready', flush=True); time.sleep(60)"
    popen = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, start_new_session=True)
    assert popen.stdout is not None and popen.stdout.readline() == b"ready\n"
    return popen


def test_processes_are_stopped_together_and_a_stubborn_one_is_killed() -> None:
    polite = [_sleeper(ignore_term=False, wind_down_s=1.0) for _ in range(3)]
    _terminate_all(polite, timeout=10)
    assert [p.returncode for p in polite] == [0, 0, 0]
    signalled = [float(p.stdout.read().split()[0]) for p in polite if p.stdout]
    # One after the other, each SIGTERM would come a second (the previous wind-down) after the one before.
    assert max(signalled) - min(signalled) < 0.9, signalled
    stubborn = _sleeper(ignore_term=True)
    _terminate_all([stubborn], timeout=0.3)
    assert stubborn.returncode == -signal.SIGKILL
    _terminate_all([stubborn], timeout=1)  # already gone: nothing to do, no error


def test_another_fake_in_the_recipe_is_started_and_its_url_reaches_the_app(tmp_path: Path) -> None:
    """A [stack.NAME] table beyond twilio/stripe/app/worker is a fake of its own: started, waited for, its
    URL in Stack.fakes and, through {NAME_url}, in the app's environment."""
    text = suite_config.DEFAULT_CONFIG_PATH.read_text() + (
        '\n[stack.echo]\ncommand = ["{python}", "-m", "fakes", "twilio", "--host", "{host}", "--port", "0"]\n'
        "ready_line = 'listening on (?P<url>http://\\S+)'\nreadiness_path = \"/_fake/health\"\n")
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(text.replace('[stack.app.env]\n', '[stack.app.env]\nECHO_API_BASE = "{echo_url}"\n'))
    launcher = StackLauncher(load(recipe).stack, tmp_path / "stack")
    stack = launcher.start()
    try:
        echo = stack.fakes["echo"]
        assert httpx.get(f"{echo}/_fake/health").status_code == 200
        app_pid = next(p.popen.pid for p in launcher.processes if p.name == "app")
        assert f"ECHO_API_BASE={echo}".encode() in Path(f"/proc/{app_pid}/environ").read_bytes().split(b"\0")
        assert Stack.read(tmp_path / "stack" / "stack.json") == stack
    finally:
        launcher.stop()
