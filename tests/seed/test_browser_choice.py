"""Which executable a launch gets: the system's headless shell for headless runs, the full browser headed."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from e2e.plugins import browser
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


# -- where Playwright keeps its browsers: the fast "not installed" answer must follow the driver's rules --
def _driver_answer(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Path:
    """The directory Playwright's own driver resolves for chromium under `env` (the executable's ancestor)."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    executable = Path(browser._playwright_chromium_path())
    return next(parent.parent for parent in executable.parents if parent.name.startswith("chromium-"))


@pytest.mark.parametrize("env", [
    {},
    {"XDG_CACHE_HOME": "/tmp/nmc-xdg-cache"},
    {"PLAYWRIGHT_BROWSERS_PATH": "/tmp/nmc-pw-browsers"},
    {"PLAYWRIGHT_BROWSERS_PATH": "0"},
])
def test_the_browsers_directory_is_the_one_playwright_uses(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for name in ("XDG_CACHE_HOME", "PLAYWRIGHT_BROWSERS_PATH"):
        monkeypatch.delenv(name, raising=False)
    expected = _driver_answer(monkeypatch, env)
    assert browser.playwright_browsers_dir().resolve() == expected.resolve()


def test_playwright_is_asked_even_from_inside_a_running_event_loop() -> None:
    # CI ran this module on a worker where pytest-playwright's session fixture (used by the checkout
    # page tests) kept a loop running on the main thread; the sync API refuses to start there, so the
    # question goes to a thread of its own. The loop here runs on a fresh thread, because this test may
    # itself run on such a worker, where asyncio.run would refuse too.
    async def ask_inside_a_loop() -> str:
        return browser._playwright_chromium_path()

    with ThreadPoolExecutor(max_workers=1) as pool:
        answer = pool.submit(asyncio.run, ask_inside_a_loop()).result()
    assert "chromium" in Path(answer).as_posix()


def test_no_chromium_directory_means_none_without_starting_playwright(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path))
    (tmp_path / "ffmpeg-1011").mkdir()  # other downloads do not count

    def must_not_run() -> str:
        raise AssertionError("the driver was started although no Chromium is installed there")

    monkeypatch.setattr(browser, "_playwright_chromium_path", must_not_run)
    assert browser.playwright_chromium() is None


def test_a_chromium_directory_asks_playwright_for_the_executable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path))
    executable = tmp_path / "chromium-1200" / "chrome-linux" / "chrome"
    executable.parent.mkdir(parents=True)
    executable.write_text("")
    monkeypatch.setattr(browser, "_playwright_chromium_path", lambda: str(executable))
    assert browser.playwright_chromium() == str(executable)
    executable.unlink()  # a directory left by an interrupted install: no executable, no choice
    assert browser.playwright_chromium() is None

