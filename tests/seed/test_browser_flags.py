"""pytest-playwright's browser flags behave as documented: --browser, --browser-channel, PWDEBUG."""

from __future__ import annotations

from pathlib import Path

from e2e.plugins.browser import BrowserChoice, launch_args, missing_playwright_browsers
from tests.seed.conftest import run_pytest

SYSTEM = BrowserChoice(kind="system", executable="/usr/bin/chromium", version="Chromium 1.2.3.4",
                       args=("--no-sandbox",), headless_executable="/usr/bin/chromium-headless-shell")
SMOKE = ["e2e/test_smoke.py", "-k", "login_page"]


def test_firefox_and_webkit_get_none_of_our_chromium_settings() -> None:
    for name in ("firefox", "webkit"):
        launch = launch_args(SYSTEM, {"headless": True}, name)
        assert launch == {"headless": True}


def test_a_browser_channel_is_left_to_playwright_to_find() -> None:
    launch = launch_args(SYSTEM, {"headless": True, "channel": "chrome"}, "chromium")
    assert "executable_path" not in launch
    assert launch["channel"] == "chrome" and launch["args"] == ["--no-sandbox"]


def test_a_missing_firefox_is_a_usage_error_naming_the_install_command(tmp_path: Path) -> None:
    run = run_pytest([*SMOKE, "--browser", "firefox"], tmp_path, timeout=60)
    if missing_playwright_browsers(["firefox"]):
        assert run.returncode == 4, run  # pytest's usage error, before any test or stack starts
        assert "firefox" in run.output and "playwright install firefox" in run.output
    else:  # Playwright's Firefox is installed here: the flag is honoured
        assert run.returncode == 0, run
        assert "firefox" in run.output


def test_pwdebug_runs_headed(tmp_path: Path) -> None:
    run = run_pytest([*SMOKE, "--collect-only"], tmp_path, env={"PWDEBUG": "1"}, timeout=60)
    assert run.returncode == 0, run
    assert "PWDEBUG is set: running headed" in run.output and "headed=True" in run.output


def test_with_tracing_on_the_summary_lists_the_traces_of_passed_tests(tmp_path: Path) -> None:
    run = run_pytest([*SMOKE, "--tracing", "on"], tmp_path, timeout=120)
    assert run.returncode == 0, run
    assert "e2e traces of passed tests" in run.output
    listed = [line for line in run.output.splitlines() if "show-trace" in line]
    assert len(listed) == 1 and "failed here" not in listed[0], run.output
    assert Path(listed[0].split("show-trace ")[1].strip()).exists()


def test_base_url_without_an_operator_token_is_a_usage_error(tmp_path: Path) -> None:
    run = run_pytest([*SMOKE, "--base-url", "http://127.0.0.1:9"], tmp_path, timeout=60)
    assert run.returncode == 4, run
    assert "--base-url: E2E_BASE_URL is set but E2E_OPERATOR_TOKEN is not" in run.output


def test_base_url_points_the_suite_at_that_target(tmp_path: Path) -> None:
    """Nothing listens there: the run must fail on that target, not pass against a stack of its own."""
    run = run_pytest([*SMOKE, "--base-url", "http://127.0.0.1:9"], tmp_path, timeout=120,
                     env={"E2E_OPERATOR_TOKEN": "x" * 32})
    assert run.returncode != 0, run
    assert "127.0.0.1:9" in run.output and "1 passed" not in run.output
