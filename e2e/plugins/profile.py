"""Profiles from playwright.config.toml, chosen with --profile NAME or E2E_PROFILE.

A profile fills in pytest-playwright's options (--headed, --slowmo, --tracing, --screenshot, --video)
and the reports (--junitxml, --html) only where the command line left them open, so an explicit
flag always wins. Timeouts (expect, action, navigation), the settle window and the wait_until
deadline have no flags of their own: they come from the profile alone.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from e2e.plugins.browser import playwright_ffmpeg, video_available
from e2e.plugins.common import PROFILE_KEY, SUITE_CONFIG_KEY, given_on_command_line, profile_of
from stack.config import DEFAULT_CONFIG_PATH, PROJECT_ROOT, ConfigError, load

PROFILE_ENV = "E2E_PROFILE"
NOTES_KEY = pytest.StashKey[list[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("e2e", "NeverMissCall e2e suite")
    group.addoption("--profile", default=None,
                    help=f"run profile of playwright.config.toml: default, ci, debug (env {PROFILE_ENV})")
    group.addoption("--e2e-config", default=str(DEFAULT_CONFIG_PATH), help="path of playwright.config.toml")


@pytest.hookimpl(tryfirst=True)  # before junitxml/pytest-html read their options
def pytest_configure(config: pytest.Config) -> None:
    try:
        suite = load(Path(config.getoption("--e2e-config")))
        profile = suite.profile(config.getoption("--profile") or os.environ.get(PROFILE_ENV) or "default")
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from exc
    config.stash[SUITE_CONFIG_KEY] = suite
    config.stash[PROFILE_KEY] = profile
    option = config.option
    if profile.headed and not given_on_command_line(config, "--headed"):
        option.headed = True
    if os.environ.get("PWDEBUG") and not option.headed:
        # Playwright opens its Inspector in the browser it launches: a headless build shows nothing.
        option.headed = True
        config.stash.setdefault(NOTES_KEY, []).append("PWDEBUG is set: running headed (the Inspector needs a window)")
    if profile.slowmo_ms and not given_on_command_line(config, "--slowmo"):
        option.slowmo = profile.slowmo_ms
    for name in ("tracing", "screenshot", "video"):
        if not given_on_command_line(config, f"--{name}"):
            setattr(option, name, getattr(profile, name))
    if option.video != "off" and not video_available():
        # Playwright records video with its own ffmpeg build; without it every context would fail to open.
        hint = f"Playwright's ffmpeg ({playwright_ffmpeg()}) is missing: `playwright install ffmpeg`"
        if given_on_command_line(config, "--video"):
            raise pytest.UsageError(f"--video {option.video}: {hint}")
        option.video = "off"
        config.stash.setdefault(NOTES_KEY, []).append(f"video off: {hint}")
    if profile.junit_xml and not given_on_command_line(config, "--junitxml", "--junit-xml"):
        option.xmlpath = str(PROJECT_ROOT / profile.junit_xml)
    if profile.html_report and not given_on_command_line(config, "--html") and config.pluginmanager.hasplugin("html"):
        option.htmlpath = str(PROJECT_ROOT / profile.html_report)
    if getattr(option, "htmlpath", None):
        # One file that is styled and complete wherever it is opened or uploaded: a report with an
        # assets/ folder beside it loses its CSS when the output folder is emptied at the run's start.
        option.self_contained_html = True
    # expect() has one process-wide default; set it before any test asserts.
    expect.set_options(timeout=profile.expect_timeout_ms)


def pytest_report_header(config: pytest.Config) -> list[str]:
    profile = profile_of(config)
    option = config.option
    notes = [f"e2e: {note}" for note in config.stash.get(NOTES_KEY, [])]
    return [
        *notes,
        f"e2e profile: {profile.name} (headed={bool(option.headed)}, slowmo={option.slowmo}ms, "
        f"tracing={option.tracing}{'' if profile.trace_screenshots else ' (no screencast)'}, "
        f"screenshot={option.screenshot}, video={option.video}; timeouts: "
        f"expect {profile.expect_timeout_ms}ms, action {profile.action_timeout_ms}ms, "
        f"navigation {profile.navigation_timeout_ms}ms, settle {profile.settle_window_ms}ms)"
    ]
