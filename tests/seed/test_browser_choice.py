"""Which executable a launch gets: the system's headless shell for headless runs, the full browser headed."""

from __future__ import annotations

from e2e.plugins.browser import BrowserChoice, launch_args

SYSTEM = BrowserChoice(kind="system", executable="/usr/bin/chromium", version="Chromium 1.2.3.4",
                       args=("--disable-gpu",), headless_executable="/usr/bin/chromium-headless-shell")


def test_headless_runs_use_the_headless_shell() -> None:
    launch = launch_args(SYSTEM, {"headless": True, "args": ["--from-pytest-playwright"]})
    assert launch["executable_path"] == "/usr/bin/chromium-headless-shell"
    assert launch["args"] == ["--from-pytest-playwright", "--disable-gpu"]
    # pytest-playwright leaves "headless" out unless --headed: that is headless too.
    assert launch_args(SYSTEM, {})["executable_path"] == "/usr/bin/chromium-headless-shell"


def test_headed_runs_keep_the_full_browser() -> None:
    assert launch_args(SYSTEM, {"headless": False})["executable_path"] == "/usr/bin/chromium"


def test_without_a_headless_shell_the_full_browser_runs_headless() -> None:
    plain = BrowserChoice(kind="system", executable="/usr/bin/chromium", version="v")
    assert launch_args(plain, {"headless": True})["executable_path"] == "/usr/bin/chromium"


def test_an_explicit_executable_is_used_as_given() -> None:
    explicit = BrowserChoice(kind="explicit", executable="/opt/chrome/chrome", version="v")
    assert launch_args(explicit, {"headless": True})["executable_path"] == "/opt/chrome/chrome"


def test_the_header_names_both_executables() -> None:
    line = SYSTEM.describe()
    assert line.startswith("system chromium /usr/bin/chromium (Chromium 1.2.3.4)")
    assert "headless runs use /usr/bin/chromium-headless-shell" in line
