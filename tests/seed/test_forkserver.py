"""seed/forkserver.py: a forked child is what `python -m MODULE ARGS` would be, and nothing outlives its server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from seed.config import ConfigError, load
from seed.forkserver import ForkServer, ForkServerError, SpawnRequest
from seed.stack import StackError, StackLauncher
from seed.waiting import wait_until
from tests.seed.conftest import PROJECT_ROOT

pytestmark = pytest.mark.skipif(not ForkServer.supported(), reason="the fork server needs Linux")

# A module the children run: it reports what a `python -m probe ...` process should see, then exits with
# the code its first argument asks for (or raises, or waits for a signal).
PROBE = textwrap.dedent("""
    import json, os, signal, sys, time
    facts = {
        "name": __name__, "argv": sys.argv[1:], "cwd": os.getcwd(), "pid": os.getpid(), "ppid": os.getppid(),
        "pgid": os.getpgid(0), "sid": os.getsid(0), "stdin": sys.stdin.read(), "env": dict(os.environ),
        "preloaded": "heavy" in sys.modules,
    }
    print(json.dumps(facts), flush=True)
    print("to stderr", file=sys.stderr, flush=True)
    action = sys.argv[1]
    if action == "raise":
        raise RuntimeError("the probe failed on purpose")
    if action == "wait":
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0 if sys.argv[2:] == ["polite"] else 7))
        time.sleep(60)
    sys.exit(int(action))
""")
HEAVY = textwrap.dedent("""
    import os
    def warm():
        with open(os.environ["WARM_LOG"], "a") as log:
            log.write(f"{os.getpid()}\\n")
""")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding the probe module and a "heavy" module to preload."""
    (tmp_path / "probe.py").write_text(PROBE)
    (tmp_path / "heavy.py").write_text(HEAVY)
    monkeypatch.setenv("WARM_LOG", str(tmp_path / "warm.log"))
    # The server imports the preload list with the project's own sys.path[0] (its cwd): put tmp_path there too.
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    return tmp_path


@pytest.fixture
def server(tmp_path: Path, project: Path) -> Iterator[ForkServer]:
    forks = ForkServer(sys.executable, PROJECT_ROOT, tmp_path / "forkserver.log", timeout_s=30).start()
    yield forks
    forks.close()


def _facts(log: Path) -> dict[str, object]:
    first = wait_until(lambda: log.read_text().splitlines()[:1] if log.exists() else [], 10, f"{log} to be written")
    return dict(json.loads(first[0]))


def test_a_child_is_what_python_dash_m_would_be(server: ForkServer, project: Path) -> None:
    log = project / "probe.log"
    child = server.spawn("probe", ["3", "--flag"], env={"ONLY": "this", "WARM_LOG": "x"}, cwd=project, log_path=log)
    assert log.exists(), "the log is there when spawn() returns, as a Popen's is: the launcher reads it at once"
    assert child.wait(10) == 3 and child.poll() == 3 and child.returncode == 3
    facts = _facts(log)
    assert facts["name"] == "__main__" and facts["argv"] == ["3", "--flag"] and facts["cwd"] == str(project)
    assert facts["env"] == {"ONLY": "this", "WARM_LOG": "x"}, "exactly the environment asked for"
    assert facts["stdin"] == "", "stdin is /dev/null"
    assert facts["pgid"] == facts["pid"] == facts["sid"], "a session and process group of its own, like start_new_session"
    assert facts["pid"] == child.pid and facts["ppid"] != os.getpid(), "the server's child, not ours"
    assert "to stderr" in log.read_text(), "stdout and stderr both go to the log"


def test_preloading_happens_once_in_the_server(server: ForkServer, project: Path) -> None:
    children = [server.spawn("probe", ["0"], env={}, cwd=project, log_path=project / f"probe{i}.log",
                             preload=["heavy:warm", "heavy"]) for i in range(3)]
    assert [child.wait(10) for child in children] == [0, 0, 0]
    warmed = (project / "warm.log").read_text().split()
    assert len(warmed) == 1 and int(warmed[0]) not in {child.pid for child in children}, "called once, by the server"
    assert all(_facts(project / f"probe{i}.log")["preloaded"] for i in range(3))


def test_a_failing_child_reports_like_the_interpreter(server: ForkServer, project: Path) -> None:
    log = project / "raise.log"
    child = server.spawn("probe", ["raise"], env={}, cwd=project, log_path=log)
    assert child.wait(10) == 1
    assert "RuntimeError: the probe failed on purpose" in log.read_text()
    missing = server.spawn("no_such_module", [], env={}, cwd=project, log_path=project / "missing.log")
    assert missing.wait(10) == 1 and "No module named no_such_module" in (project / "missing.log").read_text()
    assert server.spawn("probe", ["0"], env={}, cwd=project, log_path=project / "after.log").wait(10) == 0
    with pytest.raises(ForkServerError, match=r"cannot open the log .*no-such-dir"):
        server.spawn("probe", ["0"], env={}, cwd=project, log_path=project / "no-such-dir" / "x.log")
    assert server.spawn("probe", ["0"], env={}, cwd=project, log_path=project / "still.log").wait(10) == 0


def test_a_failing_preload_is_logged_and_the_child_meets_it_in_its_own_log(server: ForkServer, project: Path,
                                                                          tmp_path: Path) -> None:
    (project / "broken.py").write_text("raise ImportError('broken on purpose')\n")
    child = server.spawn("broken", [], env={}, cwd=project, log_path=project / "broken.log", preload=["broken"])
    assert child.wait(10) == 1
    assert "broken on purpose" in (project / "broken.log").read_text()
    assert "preloading broken failed" in (tmp_path / "forkserver.log").read_text()


def test_a_preloaded_module_that_starts_a_thread_is_reported(server: ForkServer, project: Path,
                                                             tmp_path: Path) -> None:
    (project / "threaded.py").write_text("import threading, time\n"
                                         "threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n")
    child = server.spawn("probe", ["0"], env={}, cwd=project, log_path=project / "t.log", preload=["threaded"])
    assert child.wait(10) == 0, "it still forks: the child is usually fine, but the log says why it may not be"
    assert "a preloaded module started 1 thread(s); forking probe anyway" in (tmp_path / "forkserver.log").read_text()


def test_signals_and_timeouts_work_as_with_popen(server: ForkServer, project: Path) -> None:
    log = project / "wait.log"
    child = server.spawn("probe", ["wait", "polite"], env={}, cwd=project, log_path=log)
    _facts(log)  # it runs, and has its handler in place
    assert (Path("/proc") / str(child.pid) / "comm").read_text().strip() == "probe wait", "ps -o comm names it"
    with pytest.raises(subprocess.TimeoutExpired):
        child.wait(0.2)
    assert child.poll() is None
    os.killpg(child.pid, signal.SIGTERM)
    assert child.wait(10) == 0
    stubborn = server.spawn("probe", ["wait"], env={}, cwd=project, log_path=project / "stubborn.log")
    _facts(project / "stubborn.log")
    os.killpg(stubborn.pid, signal.SIGKILL)
    assert stubborn.wait(10) == -signal.SIGKILL


def test_closing_the_server_ends_its_children(tmp_path: Path, project: Path) -> None:
    server = ForkServer(sys.executable, PROJECT_ROOT, tmp_path / "forkserver.log").start()
    log = project / "orphan.log"
    child = server.spawn("probe", ["wait"], env={}, cwd=project, log_path=log)
    pid = int(str(_facts(log)["pid"]))
    server.close()
    assert child.wait(10) == ForkServer.LOST, "no report can come any more: counted as terminated"

    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False

    wait_until(gone, 10, "the child to get SIGTERM when its server went away")
    with pytest.raises(ForkServerError, match="not running"):
        server.spawn("probe", ["0"], env={}, cwd=project, log_path=log)


def test_bad_requests_get_a_clear_answer_and_the_server_carries_on(tmp_path: Path, project: Path) -> None:
    command = [sys.executable, "-c", "import sys; from seed.forkserver import serve; sys.exit(serve())"]
    server = subprocess.Popen(command, cwd=PROJECT_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert server.stdin is not None and server.stdout is not None
    assert json.loads(server.stdout.readline()) == {"ready": True}
    good = {"id": 3, "module": "probe", "argv": ["0"], "env": {}, "cwd": str(project), "log": str(project / "ok.log")}
    for line in ("not json", json.dumps([1, 2]), json.dumps({**good, "id": 1, "argv": "0"}),
                 json.dumps({**good, "id": 2, "env": {"A": 1}}), json.dumps(good)):
        server.stdin.write(line + "\n")
    server.stdin.flush()
    replies = [json.loads(server.stdout.readline()) for _ in range(5)]
    assert replies[0] == {"id": None, "error": "bad request: not a JSON object: Expecting value: line 1 column 1 (char 0)"}
    assert replies[1] == {"id": None, "error": "bad request: not a JSON object"}
    assert replies[2] == {"id": 1, "error": "bad request: 'argv' must be a list of strings"}
    assert replies[3] == {"id": 2, "error": "bad request: 'env' must be an object of strings"}
    assert replies[4]["id"] == 3 and isinstance(replies[4]["pid"], int)
    assert json.loads(server.stdout.readline()) == {"exit": replies[4]["pid"], "code": 0}
    server.stdin.close()
    assert server.wait(10) == 0


@pytest.mark.parametrize(("line", "message"), [
    (b"{}", "'id' must be an integer"),
    (b'{"id": 1, "module": ""}', "'module' must be a non-empty string"),
    (b'{"id": 1, "module": "m", "cwd": "/", "log": "/l", "env": {}, "preload": [1]}', "'preload' must be a list"),
])
def test_spawn_requests_are_checked(line: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SpawnRequest.parse(line)


def test_two_stacks_fork_from_one_server_and_stop_cleanly(tmp_path: Path) -> None:
    """What the controller does under -n 2: both stacks' apps and fakes are the server's children."""
    cfg = load().stack
    server = ForkServer(sys.executable, PROJECT_ROOT, tmp_path / "forkserver.log").start()
    assert server._process is not None
    launchers = [StackLauncher(cfg, tmp_path / name, name=name, fork_server=server) for name in ("gw0", "gw1")]
    try:
        stacks = [launcher.start() for launcher in launchers]
        for launcher, stack in zip(launchers, stacks, strict=True):
            assert httpx.get(f"{stack.base_url}/healthz").json() == {"status": "ok"}
            for process in launcher.processes:
                ppid = int((Path("/proc") / str(process.popen.pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
                assert ppid == server._process.pid, f"{process.name} was forked by the server"
        pids = [process.popen.pid for launcher in launchers for process in launcher.processes]
    finally:
        for launcher in launchers:
            launcher.stop()
        server.close()
    assert len(pids) == 8  # two stacks of twilio, stripe, google, app
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_forked_process_that_dies_is_explained(tmp_path: Path) -> None:
    cfg = load().stack
    broken_app = replace(cfg.app, command=("{python}", "-m", "app", "serve", "--port", "not-a-port"))
    server = ForkServer(sys.executable, PROJECT_ROOT, tmp_path / "forkserver.log").start()
    try:
        launcher = StackLauncher(replace(cfg, app=broken_app), tmp_path / "stack", fork_server=server)
        with pytest.raises(StackError, match=r"(?s)app exited with code 2.*invalid int value"):
            launcher.start()
        assert launcher.processes == [], "the fakes forked before it are stopped again"
    finally:
        server.close()


@pytest.mark.parametrize(("change", "message"), [
    (('preload = ["fakes.stripe"]', 'preload = ["fakes stripe"]'), "'fakes stripe' is not a module name"),
    (('preload = ["fakes.stripe"]', 'preload = "fakes.stripe"'), "preload must be a list"),
    (("fork_server = true", 'fork_server = "yes"'), "fork_server must be true or false"),
])
def test_fork_server_recipe_mistakes_are_named(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    text = (PROJECT_ROOT / "playwright.config.toml").read_text()
    assert change[0] in text
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(change[0], change[1]))
    with pytest.raises(ConfigError, match=message):
        load(bad)
