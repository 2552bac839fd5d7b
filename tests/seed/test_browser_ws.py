"""E2E_BROWSER_WS: the suite drives a browser served by a remote Playwright server.

Both server styles are exercised with the installed Playwright and the machine's Chromium:
``playwright launch-server`` (the server launches the browser itself, from its config file) and
``playwright run-server`` (one browser per client, from the launch options the client sends — which
needs ``--unsafe`` for an executablePath, hence E2E_BROWSER_WS_EXECUTABLE).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.plugins.browser import chromium_args, playwright_chromium, system_chromium
from stack.launcher import free_port
from stack.waiting import wait_until
from tests.seed.conftest import run_pytest

SMOKE = ["e2e/test_smoke.py", "-k", "login_page or owner_lands"]


def chromium() -> str:
    found = playwright_chromium() or system_chromium()
    if found is None:
        pytest.skip("no Chromium on this machine")
    return found


def serve(command: list[str], log: Path) -> Iterator[str]:
    """Starts a Playwright server and yields its ws:// endpoint once it prints it."""
    with open(log, "w") as out:
        # Its own process group: `python -m playwright` runs a node driver that outlives a plain terminate().
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        line = wait_until(lambda: next((w for w in log.read_text().split() if w.startswith("ws://")), ""),
                          timeout=30, message=f"{command[3]} to print its endpoint")
        yield line
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)


@pytest.fixture
def launch_server(tmp_path: Path) -> Iterator[str]:
    config = tmp_path / "server.json"
    config.write_text(json.dumps({"executablePath": chromium(), "args": list(chromium_args()), "headless": True,
                                  "port": free_port("127.0.0.1"), "wsPath": "e2e"}))
    yield from serve([sys.executable, "-m", "playwright", "launch-server", "--browser", "chromium", "--config",
                      str(config)], tmp_path / "server.log")


@pytest.fixture
def run_server(tmp_path: Path) -> Iterator[str]:
    port = free_port("127.0.0.1")
    yield from serve([sys.executable, "-m", "playwright", "run-server", "--host", "127.0.0.1", "--port", str(port),
                      "--unsafe"], tmp_path / "server.log")


def test_suite_runs_through_a_launch_server(launch_server: str, tmp_path: Path) -> None:
    run = run_pytest(SMOKE, tmp_path, env={"E2E_BROWSER_WS": launch_server})
    assert run.returncode == 0, run
    assert f"e2e browser: remote Playwright browser server at {launch_server}" in run.output
    assert "e2e browser connected: chromium" in run.output
    assert "2 passed" in run.output


def test_suite_runs_through_a_run_server(run_server: str, tmp_path: Path) -> None:
    run = run_pytest(SMOKE, tmp_path, env={"E2E_BROWSER_WS": run_server, "E2E_BROWSER_WS_EXECUTABLE": chromium()})
    assert run.returncode == 0, run
    assert "server launches" in run.output and "2 passed" in run.output


@pytest.fixture
def plain_run_server(tmp_path: Path) -> Iterator[str]:
    port = free_port("127.0.0.1")
    yield from serve([sys.executable, "-m", "playwright", "run-server", "--host", "127.0.0.1", "--port", str(port)],
                     tmp_path / "server.log")


def test_a_run_server_without_a_browser_of_its_own_names_the_fix(plain_run_server: str, tmp_path: Path) -> None:
    run = run_pytest([*SMOKE, "-x"], tmp_path, env={"E2E_BROWSER_WS": plain_run_server})
    if playwright_chromium():  # Playwright's own browsers are installed here: the server launches them
        assert run.returncode == 0, run
        return
    assert run.returncode != 0, run
    assert "Executable doesn't exist" in run.output
    assert "run-server --unsafe" in run.output and "E2E_BROWSER_WS_EXECUTABLE" in run.output
