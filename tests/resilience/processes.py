"""The app and its outbox worker as real OS processes (`python -m app serve` / `python -m app worker`), so a
test can SIGKILL one mid-flight and start another on the same database, the way an operator would.

Each process gets its whole configuration through the environment (as in production), logs JSON lines to
its own file, and is always stopped by the fixture that started it, even when the test fails.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class AppProcess:
    """One `python -m app ...` process; start() again after kill() is a restart with the same settings."""

    name: str
    args: list[str]
    env: dict[str, str]
    workdir: Path
    ready_url: str | None = None
    popen: subprocess.Popen[bytes] | None = None
    starts: int = 0
    log_files: list[Path] = field(default_factory=list)

    def start(self, *, timeout: float = 30.0) -> AppProcess:
        self.starts += 1
        log_file = self.workdir / f"{self.name}-{self.starts}.jsonl"
        self.log_files.append(log_file)
        env = {**os.environ, **self.env, "LOG_FILE": str(log_file), "PYTHONUNBUFFERED": "1"}
        output = open(self.workdir / f"{self.name}-{self.starts}.out", "wb")  # noqa: SIM115  closed by the child's exit
        self.popen = subprocess.Popen([sys.executable, "-m", "app", *self.args], cwd=PROJECT_ROOT, env=env,
                                      stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      start_new_session=True)
        output.close()
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen is not None and self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.popen.returncode}:\n{self.output()[-3000:]}")
            if self.ready_url is None:
                if any("worker" in entry.get("message", "") and "started" in entry.get("message", "")
                       for entry in self.log_entries()):
                    return
            else:
                try:
                    if httpx.get(self.ready_url, timeout=1.0).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} was not ready after {timeout}s:\n{self.output()[-3000:]}")

    def kill(self, sig: signal.Signals = signal.SIGKILL) -> None:
        """SIGKILL: no cleanup at all, like a crash or an OOM kill. SIGTERM: a graceful stop."""
        if self.popen is None or self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, sig)
        self.popen.wait(15)

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def output(self) -> str:
        return "\n".join((self.workdir / f"{self.name}-{n}.out").read_text(errors="replace")
                         for n in range(1, self.starts + 1) if (self.workdir / f"{self.name}-{n}.out").exists())

    def log_entries(self) -> list[dict[str, Any]]:
        """Every JSON log line this process wrote, over all its runs."""
        entries = []
        for path in self.log_files:
            if path.exists():
                for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                    try:
                        entries.append(json.loads(line))
                    except json.JSONDecodeError:
                        continue  # a line cut short by SIGKILL
        return entries


def app_environment(database_url: str, public_base_url: str, *, twilio_url: str, account_sid: str, auth_token: str,
                    operator_token: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """What `python -m app` needs to run against the fakes: every value a setting from .env.example."""
    env = {
        "APP_ENV": "test", "DATABASE_URL": database_url, "SECRET_KEY": "resilience-secret-key-0123456789abcdef0123",
        "PUBLIC_BASE_URL": public_base_url, "OPERATOR_TOKEN": operator_token,
        "TWILIO_ACCOUNT_SID": account_sid, "TWILIO_AUTH_TOKEN": auth_token, "TWILIO_API_BASE": twilio_url,
        "TWILIO_HTTP_TIMEOUT_SECONDS": "0.5",
        "PASSWORD_HASH_TIME_COST": "1", "PASSWORD_HASH_MEMORY_KIB": "1024",
        "OUTBOX_POLL_INTERVAL_SECONDS": "0.05", "OUTBOX_BACKOFF_BASE_SECONDS": "0.05",
        "OUTBOX_BACKOFF_CAP_SECONDS": "0.5",
        # A killed worker's claims are picked up again once their lease runs out: keep that short here.
        "OUTBOX_LEASE_SECONDS": "1.5",
        "LOG_LEVEL": "INFO",
    }
    env.update(extra or {})
    return env


@dataclass
class Processes:
    """Every process a test started; the fixture stops them all at the end."""

    workdir: Path
    started: list[AppProcess] = field(default_factory=list)

    def app(self, name: str, env: dict[str, str], *, host: str, port: int, extra_args: tuple[str, ...] = ()) -> AppProcess:
        process = AppProcess(name, ["serve", "--host", host, "--port", str(port), "--no-migrate", *extra_args], env,
                             self.workdir, ready_url=f"http://{host}:{port}/healthz")
        self.started.append(process)
        return process

    def worker(self, name: str, env: dict[str, str]) -> AppProcess:
        process = AppProcess(name, ["worker"], env, self.workdir)
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.started:
            process.kill()


def processes_in(workdir: Path) -> Iterator[Processes]:
    started = Processes(workdir)
    try:
        yield started
    finally:
        started.stop_all()
