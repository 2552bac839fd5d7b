"""Which browser context each trace records, and which trace holds the failure.

pytest-playwright saves one trace per context, numbered in the order the contexts closed
(``trace-1.zip``, ``trace-2.zip``; ``trace.zip`` when there is one). The fixtures that open the owner's,
the technician's and the customer's browsers name their context here; this plugin notes the order in
which the named contexts close, so each saved trace gets its label, and looks inside each trace for a
failed action, so the summary can point at the one to open first.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext

from pages import steps

TRACE_PROPERTY = "e2e_trace"  # report.user_properties: {"path", "label", "failed"} as JSON
_CLOSE_ORDER = pytest.StashKey[list[str]]()
_names: dict[int, str] = {}  # id(context) -> label, for the contexts of the running test (one per worker)


def watch(item: pytest.Item, context: BrowserContext) -> None:
    """Called for every context the test opens; an unnamed one is "context N" in the order of opening."""
    order = item.stash.setdefault(_CLOSE_ORDER, [])
    _names.setdefault(id(context), f"context {len(_names) + 1}")
    context.on("close", lambda _: order.append(_names.pop(id(context), "context")))


def without_screencast(context: BrowserContext, title: str) -> None:
    """Restarts the context's trace (pytest-playwright starts it with the screencast, which it does not let
    one turn off) without it; nothing has been recorded yet, so nothing is lost."""
    context.tracing.stop()
    context.tracing.start(title=title, screenshots=False, snapshots=True, sources=True)


def name(context: BrowserContext, label: str) -> None:
    """Names a context (owner, technician, customer) for the trace list of a failed test."""
    _names[id(context)] = label


def failed_action_in(trace: Path) -> str | None:
    """The first failed action recorded in a trace zip ("Expect "to_be_visible" internal:role=..."), or None."""
    started: dict[str, dict[str, Any]] = {}
    try:
        with zipfile.ZipFile(trace) as archive:
            for member in (m for m in archive.namelist() if m.endswith(".trace")):
                for line in archive.read(member).decode("utf-8", "replace").splitlines():
                    event = json.loads(line) if line.startswith("{") else {}
                    if event.get("type") == "before":
                        started[event.get("callId", "")] = event
                    elif event.get("type") == "after" and event.get("error"):
                        action = started.get(event.get("callId", ""), {})
                        what = action.get("title") or action.get("method") or "an action"
                        selector = (action.get("params") or {}).get("selector")
                        return f"{what} {selector}"[:200] if selector else str(what)[:200]
    except (OSError, zipfile.BadZipFile, json.JSONDecodeError):
        return None
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # A plain wrapper runs after pytest-playwright's trylast one: by teardown's report the traces are
    # in the test's folder and listed in user_properties, in the order their contexts closed.
    report: pytest.TestReport = yield
    if report.when == "setup":
        steps.take()  # forget what a previous test on this worker did
    elif report.when == "call":
        taken = steps.take()
        if report.failed and taken:
            report.sections.append(("page-object steps", "\n".join(taken)))
    if report.when == "teardown":
        order = item.stash.get(_CLOSE_ORDER, [])
        traces = [str(value) for key, value in report.user_properties if key == "playwright_trace"]
        trace_links = [extra for extra in getattr(report, "extras", []) if extra.get("name") == "Trace"]
        for index, path in enumerate(traces):
            label = order[index] if index < len(order) else f"context {index + 1}"
            trace = Path(path) if Path(path).is_absolute() else item.config.invocation_params.dir / path
            entry = {"path": path, "label": label, "failed": failed_action_in(trace)}
            report.user_properties.append((TRACE_PROPERTY, json.dumps(entry)))
            if index < len(trace_links):  # pytest-html's links, in the same order
                trace_links[index]["name"] = f"Trace: {label}" + (" (failed here)" if entry["failed"] else "")
        _names.clear()
    return report
