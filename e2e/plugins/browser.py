"""Which browser the suite drives, decided once and printed in the run's header.

In order: E2E_BROWSER_WS (connect to a remote Playwright server), E2E_BROWSER_EXECUTABLE, Playwright's
own Chromium when it is installed, else the system's (/usr/bin/chromium, chromium-browser,
google-chrome) through ``executable_path``. --no-sandbox only when running as root (Chromium refuses
to start sandboxed as root; as any other user the sandbox stays on).

Headless runs of a system Chromium use the system's ``chromium-headless-shell`` when it is installed
(Debian's package of that name): it is the build Playwright itself runs headless, and on this suite it
costs about a third of the CPU of full Chromium in ``--headless`` mode (measured: 18 s against 50 s of
browser CPU for the serial suite), which is what lets two xdist workers share two cores. Headed runs
(--headed, the debug profile) keep the full browser.

Remote browsers: a server started with ``playwright launch-server --browser chromium --config cfg.json``
launches its browser itself (the config names the executable and args). ``playwright run-server``
launches one per client from the ``x-playwright-launch-options`` header, which the suite sends; it only
accepts ``executablePath``/``args`` when started with ``--unsafe``, so those are sent only when
E2E_BROWSER_WS_EXECUTABLE names the executable on the server's machine. Without it the server uses
its own Playwright browsers (which must then be installed there).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

WS_ENV = "E2E_BROWSER_WS"
WS_EXECUTABLE_ENV = "E2E_BROWSER_WS_EXECUTABLE"
EXECUTABLE_ENV = "E2E_BROWSER_EXECUTABLE"
SYSTEM_CHROMIUMS = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
SYSTEM_HEADLESS_SHELLS = ("/usr/bin/chromium-headless-shell", "chromium-headless-shell")
# Quiet, reproducible Chromium: no GPU, no background updates or sync, no first-run UI.
QUIET_ARGS = ("--disable-gpu", "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--no-first-run")


@dataclass(frozen=True)
class BrowserChoice:
    kind: str  # playwright | system | explicit | remote
    executable: str | None
    version: str
    args: tuple[str, ...] = ()
    ws_endpoint: str | None = None
    remote_executable: str | None = None
    notes: tuple[str, ...] = field(default=())
    headless_executable: str | None = None  # used instead of `executable` when running headless

    def describe(self) -> str:
        if self.kind == "remote":
            where = f", server launches {self.remote_executable}" if self.remote_executable else ""
            return f"remote Playwright browser server at {self.ws_endpoint}{where} (version shown once connected)"
        shell = f"; headless runs use {self.headless_executable}" if self.headless_executable else ""
        return f"{self.kind} chromium {self.executable} ({self.version}){shell}; args: {' '.join(self.args)}"

    def executable_for(self, *, headless: bool) -> str | None:
        return self.headless_executable if headless and self.headless_executable else self.executable


def chromium_args() -> tuple[str, ...]:
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    return (("--no-sandbox",) if as_root else ()) + QUIET_ARGS


def executable_version(executable: str) -> str:
    try:
        done = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=15)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"version unknown: {exc}"
    found = re.search(r"\d+\.\d+\.\d+\.\d+", done.stdout)
    return f"{done.stdout.split()[0] if done.stdout.strip() else 'Chromium'} {found.group(0)}" if found \
        else (done.stdout.strip() or "version unknown")


def playwright_browsers_dir() -> Path:
    """Where `playwright install` puts browsers (the rules of Playwright's registry: PLAYWRIGHT_BROWSERS_PATH,
    "0" meaning inside the package, else the platform's cache directory + ms-playwright)."""
    import playwright

    configured = os.environ.get("PLAYWRIGHT_BROWSERS_PATH")
    if configured == "0":
        return Path(playwright.__file__).parent / "driver" / "package" / ".local-browsers"
    if configured:
        return Path(os.environ.get("INIT_CWD") or os.getcwd()) / configured  # an absolute path stays as it is
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "ms-playwright"
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "ms-playwright"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ms-playwright"


def playwright_chromium() -> str | None:
    """Playwright's own Chromium, when `playwright install chromium` put it on this machine."""
    # Asking Playwright starts its driver (half a second at every run's start); with no chromium-<revision>
    # directory where it installs browsers the answer is known to be "none" without asking.
    try:
        installed = any(entry.name.startswith("chromium-") for entry in playwright_browsers_dir().iterdir())
    except OSError:
        installed = False
    if not installed:
        return None
    path = _playwright_chromium_path()
    return path if path and os.path.exists(path) else None


def _playwright_chromium_path() -> str:
    """Where Playwright's driver says its Chromium is (installed or not)."""

    def ask() -> str:
        with sync_playwright() as playwright:
            return playwright.chromium.executable_path

    # On a thread of its own: the caller may already hold a sync Playwright session (or any running
    # asyncio loop) on this thread - pytest-playwright's session fixture does - and the sync API
    # refuses to start there.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(ask).result()


def _first_executable(candidates: tuple[str, ...]) -> str | None:
    for candidate in candidates:
        found = candidate if os.path.isabs(candidate) and os.access(candidate, os.X_OK) else shutil.which(candidate)
        if found:
            return found
    return None


def system_chromium() -> str | None:
    return _first_executable(SYSTEM_CHROMIUMS)


def system_headless_shell() -> str | None:
    """Debian's chromium-headless-shell (the old headless mode as its own, lighter binary), if installed."""
    return _first_executable(SYSTEM_HEADLESS_SHELLS)


def resolve_browser(environ: dict[str, str] | None = None) -> BrowserChoice:
    env = dict(os.environ if environ is None else environ)
    args = chromium_args()
    if env.get(WS_ENV):
        return BrowserChoice(kind="remote", executable=None, version="", args=args, ws_endpoint=env[WS_ENV],
                             remote_executable=env.get(WS_EXECUTABLE_ENV) or None)
    if env.get(EXECUTABLE_ENV):
        exe = env[EXECUTABLE_ENV]
        return BrowserChoice(kind="explicit", executable=exe, version=executable_version(exe), args=args)
    own = playwright_chromium()
    if own:
        return BrowserChoice(kind="playwright", executable=own, version=executable_version(own), args=args)
    system = system_chromium()
    if system:
        return BrowserChoice(kind="system", executable=system, version=executable_version(system), args=args,
                             headless_executable=system_headless_shell())
    raise RuntimeError("no Chromium found: run `playwright install chromium`, install the system's chromium, "
                       f"set {EXECUTABLE_ENV}, or point {WS_ENV} at a Playwright browser server")


def launch_args(choice: BrowserChoice, base: dict[str, Any], browser_name: str = "chromium") -> dict[str, Any]:
    """pytest-playwright's launch arguments plus ours (its --headed/--slowmo/--browser-channel are already in
    ``base``). Our executable and flags are Chromium's: Firefox and WebKit get pytest-playwright's alone, and
    a --browser-channel (chrome, msedge) is Playwright's to find, so it gets no executable_path from us."""
    launch = dict(base)
    if browser_name != "chromium":
        return launch
    if choice.kind in ("system", "explicit") and not launch.get("channel"):
        launch["executable_path"] = choice.executable_for(headless=launch.get("headless", True))
    launch["args"] = [*launch.get("args", []), *choice.args]
    return launch


def missing_playwright_browsers(names: list[str]) -> list[str]:
    """The --browser names (firefox, webkit) whose Playwright build is not installed here, each with the
    path Playwright looked at and how to install it. Chromium is always found (ours, or the system's)."""

    wanted = [name for name in names if name != "chromium"]
    if not wanted:
        return []

    def ask() -> list[str]:
        missing = []
        with sync_playwright() as playwright:
            for name in wanted:
                path = getattr(playwright, name).executable_path
                if not os.path.exists(path):
                    missing.append(f"{name} (Playwright looked for {path}; install it with "
                                   f"`.venv/bin/playwright install {name}`)")
        return missing

    with ThreadPoolExecutor(max_workers=1) as pool:  # see _playwright_chromium_path
        return pool.submit(ask).result()


REMOTE_EXECUTABLE_HINT = (
    "The Playwright server could not find a browser of its own. Either install Playwright's browsers on the "
    "server's machine, or start it as `playwright run-server --unsafe ...` and set "
    f"{WS_EXECUTABLE_ENV}=/path/to/chromium (on the server's machine) so the suite asks it to launch that "
    "executable; or serve one browser with `playwright launch-server --config cfg.json` (README: remote browser)."
)


def explain_remote_failure(error: Exception) -> str | None:
    """A hint for the remote server's "Executable doesn't exist" (None for any other failure)."""
    return REMOTE_EXECUTABLE_HINT if "Executable doesn't exist" in str(error) else None


def connect_options(choice: BrowserChoice, launch: dict[str, Any]) -> dict[str, Any] | None:
    """What ``BrowserType.connect`` gets for a remote server (None: launch locally)."""
    if choice.kind != "remote":
        return None
    # run-server reads these (camelCase, like the JS API); launch-server ignores them.
    remote_launch: dict[str, Any] = {"headless": launch.get("headless", True)}
    if choice.remote_executable:
        remote_launch["executablePath"] = choice.remote_executable
        remote_launch["args"] = list(choice.args)
    options: dict[str, Any] = {"endpoint": choice.ws_endpoint,
                               "headers": {"x-playwright-launch-options": json.dumps(remote_launch)}}
    if launch.get("slow_mo"):
        options["slow_mo"] = launch["slow_mo"]
    return options


# -- pytest wiring ---------------------------------------------------------------------------------------
CHOICE_KEY = pytest.StashKey[BrowserChoice]()
RESOLVED_ENV = "E2E_RESOLVED_BROWSER"  # the controller's choice, inherited by xdist workers


def _choice_to_env(choice: BrowserChoice) -> str:
    return json.dumps({**choice.__dict__, "args": list(choice.args), "notes": list(choice.notes)})


def _choice_from_env(text: str) -> BrowserChoice:
    data = json.loads(text)
    data["args"], data["notes"] = tuple(data["args"]), tuple(data["notes"])
    return BrowserChoice(**data)


NODE_CACHE_DIR = Path(__file__).resolve().parents[2] / ".e2e-cache" / "node-compile-cache"


def enable_node_compile_cache(environ: MutableMapping[str, str], cache_dir: Path = NODE_CACHE_DIR) -> None:
    """Playwright's driver is a Node.js process that compiles ~12 MB of JavaScript at every start, once per
    xdist worker. Node 22.1+ (Playwright ships 26) keeps the compiled code in NODE_COMPILE_CACHE: measured
    ~0.25 CPU-s less per -n 2 start, each worker's first test ~0.15 s sooner. A value the user set wins;
    NODE_DISABLE_COMPILE_CACHE=1 still turns it off (Node reads that itself), so does an older Node."""
    environ.setdefault("NODE_COMPILE_CACHE", str(cache_dir))


def pytest_configure(config: pytest.Config) -> None:
    enable_node_compile_cache(os.environ)  # before any driver starts; xdist workers inherit it
    inherited = os.environ.get(RESOLVED_ENV)
    if inherited:
        config.stash[CHOICE_KEY] = _choice_from_env(inherited)
        return
    try:
        choice = resolve_browser()
    except RuntimeError as exc:
        raise pytest.UsageError(str(exc)) from exc
    if choice.kind != "remote":  # fail fast, here, instead of every test timing out at launch
        missing = missing_playwright_browsers(list(config.getoption("--browser") or []))
        if missing:
            raise pytest.UsageError("--browser: not installed here: " + "; ".join(missing))
    config.stash[CHOICE_KEY] = choice
    os.environ[RESOLVED_ENV] = _choice_to_env(choice)


def pytest_unconfigure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        os.environ.pop(RESOLVED_ENV, None)


def pytest_report_header(config: pytest.Config) -> str:
    return f"e2e browser: {config.stash[CHOICE_KEY].describe()}"


def browser_choice(config: pytest.Config) -> BrowserChoice:
    return config.stash[CHOICE_KEY]


CONNECTED_KEY = pytest.StashKey[str]()


def report_connected(config: pytest.Config, browser: Any) -> None:
    """Remembers the browser actually driven (a remote one's version is known only now); the run's
    summary prints it (xdist workers hand it over in their workeroutput)."""
    line = f"e2e browser connected: {browser.browser_type.name} {browser.version}"
    config.stash[CONNECTED_KEY] = line
    if hasattr(config, "workeroutput"):
        config.workeroutput["e2e_browser"] = line


def playwright_ffmpeg() -> Path:
    """Where Playwright looks for the ffmpeg it records videos with (it ships its own build)."""
    import playwright

    driver = Path(playwright.__file__).parent / "driver" / "package" / "browsers.json"
    revision = next(b["revision"] for b in json.loads(driver.read_text())["browsers"] if b["name"] == "ffmpeg")
    root = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache" / "ms-playwright")
    return root / f"ffmpeg-{revision}" / ("ffmpeg-mac" if sys.platform == "darwin" else "ffmpeg-linux")


def video_available() -> bool:
    try:
        return playwright_ffmpeg().exists()
    except (OSError, StopIteration, KeyError, ValueError):
        return True  # cannot tell: let Playwright decide
