"""A fork server for the stack's Python processes: import once, fork each process from there.

Under xdist every worker gets a stack of its own, and a stack is three Python processes (the app and the
two fakes) that import the same modules: ~1.4 CPU-s for each app and ~0.25 s for each fake, spent while
the xdist workers, their Playwright drivers and browsers start on the same two cores. The run's
controller starts one fork server instead. It imports what the recipe's ``preload`` keys list, once,
and forks every stack's processes from there, each one what ``python -m MODULE ARGS...`` would be: a
session of its own (so ``killpg`` stops it like a ``Popen``), the requested working directory and
environment, the log file as stdout and stderr, /dev/null as stdin, ``sys.argv`` and ``__main__`` set
by :func:`runpy.run_module`, and an exit status of its own, which the server reports. Its command line
stays the server's (Python cannot rewrite it); ``ps -o pid,comm`` names it (``app serve``, ``fakes twilio``).

The wire: one JSON object per line. Requests on the server's stdin::

    {"id": 1, "module": "app", "argv": ["serve", "--port", "8001"], "env": {...}, "cwd": "/repo",
     "log": "/tmp/stack/app.log", "preload": ["uvicorn", "app.main", "app.routers:domain_routers"]}

Replies on its stdout: ``{"ready": true}`` once, then ``{"id": 1, "pid": 4242}`` (or ``{"id": 1,
"error": "..."}`` for a request it refused) and ``{"exit": 4242, "code": 0}`` when a child ends
(``code`` negative: killed by that signal, as with ``Popen.returncode``). Whatever else the server or a
preloaded module prints goes to its stderr.

Lifetimes: every child gets SIGTERM when the server exits (``PR_SET_PDEATHSIG``); the server exits when
its stdin closes and gets SIGTERM when the thread that started it ends. So start the :class:`ForkServer`
on a thread that outlives every stack it serves, and close it after they have stopped.

Only Linux is supported (``fork``, ``prctl``); :func:`ForkServer.supported` tells.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import runpy
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn

from seed.proc import die_with_parent, set_process_name


class ForkServerError(RuntimeError):
    """The fork server could not start, refused a request, or went away; the message says which."""


# -- the server: serve() in a process of its own (ForkServer.start) ---------------------------------------
@dataclass(frozen=True)
class SpawnRequest:
    id: int
    module: str
    argv: tuple[str, ...]
    env: dict[str, str]
    cwd: str
    log: str
    preload: tuple[str, ...]

    @classmethod
    def parse(cls, line: bytes) -> SpawnRequest:
        """A request line, or ValueError naming what is wrong with it."""
        try:
            raw = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"not a JSON object: {exc}") from None
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
        if not isinstance(raw.get("id"), int):
            raise ValueError("'id' must be an integer")
        for key in ("module", "cwd", "log"):
            if not isinstance(raw.get(key), str) or not raw[key]:
                raise ValueError(f"'{key}' must be a non-empty string")
        for key in ("argv", "preload"):
            value = raw.get(key, [])
            if not isinstance(value, list) or not all(isinstance(part, str) for part in value):
                raise ValueError(f"'{key}' must be a list of strings")
        env = raw.get("env")
        if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
            raise ValueError("'env' must be an object of strings")
        return cls(id=raw["id"], module=raw["module"], argv=tuple(raw.get("argv", [])), env=dict(env),
                   cwd=raw["cwd"], log=raw["log"], preload=tuple(raw.get("preload", [])))


class _Server:
    def __init__(self, requests_fd: int, replies_fd: int) -> None:
        self.requests_fd = requests_fd
        self.replies_fd = replies_fd
        self.preloaded: set[str] = set()
        # SIGCHLD interrupts select() through this pipe, so ended children are reported at once.
        self.wakeup_r, self.wakeup_w = os.pipe()
        os.set_blocking(self.wakeup_r, False)
        os.set_blocking(self.wakeup_w, False)
        signal.set_wakeup_fd(self.wakeup_w)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)

    def reply(self, message: Mapping[str, Any]) -> None:
        data = (json.dumps(message) + "\n").encode()
        while data:
            data = data[os.write(self.replies_fd, data):]

    def run(self) -> int:
        self.reply({"ready": True})
        pending = b""
        while True:
            readable, _, _ = select.select([self.requests_fd, self.wakeup_r], [], [])
            if self.wakeup_r in readable:
                with contextlib.suppress(BlockingIOError):
                    os.read(self.wakeup_r, 4096)
            self.report_ended_children()
            if self.requests_fd not in readable:
                continue
            chunk = os.read(self.requests_fd, 65536)
            if not chunk:
                return 0  # the client is gone: so are our children (PR_SET_PDEATHSIG), once we exit
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                if line.strip():
                    self.handle(line)

    def report_ended_children(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.reply({"exit": pid, "code": os.waitstatus_to_exitcode(status)})

    def handle(self, line: bytes) -> None:
        try:
            request = SpawnRequest.parse(line)
        except ValueError as exc:
            self.reply({"id": _id_of(line), "error": f"bad request: {exc}"})
            return
        self.preload(request.preload)
        if threading.active_count() > 1:  # a fork copies only this thread: locks others held stay held
            print(f"forkserver: a preloaded module started {threading.active_count() - 1} thread(s); "
                  f"forking {request.module} anyway", file=sys.stderr, flush=True)
        try:
            # Opened here, before the reply: the log exists when the client hears the pid, as a Popen's does.
            log = os.open(request.log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        except OSError as exc:
            self.reply({"id": request.id, "error": f"cannot open the log {request.log}: {exc}"})
            return
        server_pid = os.getpid()
        try:
            pid = os.fork()
        except OSError as exc:
            os.close(log)
            self.reply({"id": request.id, "error": f"fork failed: {exc}"})
            return
        if pid == 0:
            self.become(request, log, server_pid)  # never returns
        os.close(log)
        self.reply({"id": request.id, "pid": pid})

    def preload(self, names: Sequence[str]) -> None:
        """Imports each "module" (and calls each "module:function") once. A failure is only printed: the
        child imports the same module itself and fails there, in its own log, as it would unforked."""
        for name in names:
            if name in self.preloaded:
                continue
            self.preloaded.add(name)
            module_name, _, function = name.partition(":")
            try:
                module = importlib.import_module(module_name)
                if function:
                    getattr(module, function)()
            except Exception as exc:  # reported; the child meets it again
                print(f"forkserver: preloading {name} failed: {exc!r}", file=sys.stderr, flush=True)

    def become(self, request: SpawnRequest, log: int, server_pid: int) -> NoReturn:
        """In the child: turn into `python -m MODULE ARGV...`, then leave as the interpreter would."""
        os.setsid()
        die_with_parent()
        # Its command line stays the server's (Python cannot rewrite argv): at least `ps -o comm` tells them apart.
        set_process_name(" ".join([request.module, *request.argv[:1]]))
        if os.getppid() != server_pid:  # the server ended between fork() and prctl()
            os._exit(1)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in (self.wakeup_r, self.wakeup_w, self.replies_fd):
            os.close(fd)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)  # also closes the server's request pipe in this process
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(devnull)
        os.close(log)
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115  the process's own streams
        sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
        os.chdir(request.cwd)
        os.environ.clear()
        os.environ.update(request.env)
        if sys.path:
            sys.path[0] = request.cwd  # what `python -m` puts first: the working directory
        sys.argv = [request.module, *request.argv]
        # SystemExit and uncaught exceptions propagate from here to the top of this process (nothing on
        # the way catches them), where the interpreter ends it as it ends `python -m`: non-daemon threads
        # joined, atexit handlers run, streams flushed, the exit code or a traceback.
        runpy.run_module(request.module, run_name="__main__", alter_sys=True)
        raise SystemExit(0)


def _id_of(line: bytes) -> int | None:
    with contextlib.suppress(ValueError, AttributeError):
        value = json.loads(line).get("id")
        return value if isinstance(value, int) else None
    return None


def serve() -> int:
    """Requests on stdin, replies on what was stdout; stray prints of preloaded modules go to stderr."""
    replies_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return _Server(requests_fd=0, replies_fd=replies_fd).run()


# -- the client --------------------------------------------------------------------------------------------
class ForkedProcess:
    """A child of the fork server, with the part of ``subprocess.Popen``'s interface the launcher uses."""

    def __init__(self, server: ForkServer, pid: int, args: Sequence[str]) -> None:
        self.server = server
        self.pid = pid
        self.args = list(args)

    @property
    def returncode(self) -> int | None:
        return self.poll()

    def poll(self) -> int | None:
        return self.server.wait_for_exit(self.pid, 0)

    def wait(self, timeout: float | None = None) -> int:
        code = self.server.wait_for_exit(self.pid, timeout)
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
        return code


class ForkServer:
    """Starts the server process and forks processes from it; thread-safe.

    ``close()`` ends the server, and with it every child still running (SIGTERM): stop them first."""

    #: A child's exit code when the server went away before reporting it (it got SIGTERM from the kernel).
    LOST = -signal.SIGTERM

    def __init__(self, python: str, cwd: Path, log_path: Path, *, timeout_s: float = 30.0) -> None:
        self.python = python
        self.cwd = cwd
        self.log_path = log_path
        self.timeout_s = timeout_s
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._lock = threading.Lock()  # one writer at a time
        self._changed = threading.Condition()
        self._pids: dict[int, int | str] = {}  # request id -> pid, or the server's error
        self._exits: dict[int, int] = {}
        self._forked: set[int] = set()
        self._ready = False
        self._gone = False
        self._next_id = 0

    @staticmethod
    def supported() -> bool:
        return sys.platform.startswith("linux") and hasattr(os, "fork")

    def start(self) -> ForkServer:
        """Starts the server process (it answers ready at once; preloading happens at the first spawns)."""
        if not self.supported():
            raise ForkServerError("the fork server needs Linux (fork and prctl)")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")  # noqa: SIM115  kept open for the server's life, closed in close()
        env = {k: v for k, v in os.environ.items() if not k.startswith("E2E_")}
        # Not `-m seed.forkserver`: the seed package imports this module first, and runpy warns about that.
        command = [self.python, "-c", "import sys; from seed.forkserver import serve; sys.exit(serve())"]
        self._process = subprocess.Popen(
            command, cwd=self.cwd, env={**env, "PYTHONUNBUFFERED": "1"}, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self._log, start_new_session=True, preexec_fn=die_with_parent)
        threading.Thread(target=self._read_replies, name="forkserver-replies", daemon=True).start()
        with self._changed:
            if not self._changed.wait_for(lambda: self._ready or self._gone, self.timeout_s) or not self._ready:
                self.close()
                raise ForkServerError(f"the fork server did not start; its log: {self._tail()}")
        return self

    def spawn(self, module: str, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path, log_path: Path,
              preload: Sequence[str] = ()) -> ForkedProcess:
        """Forks ``python -m module argv...``; returns once the child exists (not once it is ready)."""
        if self._process is None or self._process.stdin is None:
            raise ForkServerError("the fork server is not running: start() it first")
        with self._lock:
            self._next_id += 1
            request_id = self._next_id
            line = json.dumps({"id": request_id, "module": module, "argv": list(argv), "env": dict(env),
                               "cwd": str(cwd), "log": str(log_path), "preload": list(preload)})
            try:
                self._process.stdin.write(line.encode() + b"\n")
                self._process.stdin.flush()
            except (BrokenPipeError, ValueError):
                raise ForkServerError(f"the fork server is gone; its log: {self._tail()}") from None
        with self._changed:
            # Preloading (the first app: ~1-2 s on a busy machine) happens before the fork.
            self._changed.wait_for(lambda: request_id in self._pids or self._gone, self.timeout_s)
            answer = self._pids.pop(request_id, None)
        if isinstance(answer, int):
            return ForkedProcess(self, answer, [self.python, "-m", module, *argv])
        if isinstance(answer, str):
            raise ForkServerError(answer)
        reason = "went away" if self._gone else f"did not answer within {self.timeout_s:.0f}s"
        raise ForkServerError(f"the fork server {reason} while starting {module}; its log: {self._tail()}")

    def wait_for_exit(self, pid: int, timeout: float | None) -> int | None:
        """The child's exit code once the server reported it (within `timeout`; 0: as of now), else None."""
        with self._changed:
            self._changed.wait_for(lambda: pid in self._exits, timeout)
            return self._exits.get(pid)

    def close(self, timeout: float = 10.0) -> None:
        """Ends the server (its stdin closes); idempotent."""
        process, self._process = self._process, None
        if process is not None:
            if process.stdin is not None:
                with contextlib.suppress(OSError):
                    process.stdin.close()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def _read_replies(self) -> None:
        process = self._process
        assert process is not None and process.stdout is not None
        for line in process.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue  # the server writes nothing else here; ignore rather than die
            with self._changed:
                if message.get("ready"):
                    self._ready = True
                elif "exit" in message:
                    self._exits[int(message["exit"])] = int(message["code"])
                elif isinstance(message.get("id"), int):
                    if "pid" in message:
                        self._pids[message["id"]] = int(message["pid"])
                        self._forked.add(int(message["pid"]))
                    else:
                        self._pids[message["id"]] = str(message.get("error", "refused"))
                self._changed.notify_all()
        with self._changed:
            # The server ended: every child it had got SIGTERM from the kernel and is no one's to reap now.
            self._gone = True
            for pid in self._forked - set(self._exits):
                self._exits[pid] = self.LOST
            self._changed.notify_all()

    def _tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return f"({self.log_path} unreadable)"
        return "\n".join(text.splitlines()[-lines:]) or f"({self.log_path} is empty)"

