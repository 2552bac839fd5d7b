"""Page-object actions as named steps: in the trace viewer's action list and in a failed test's report.

Every public method of a page object or region runs inside Playwright's ``tracing.group``, named from
the method and its first argument — ``send("Yes — we'll be there")`` is the step "send 'Yes — we'll be
there'", ``pick_slot(2)`` is "pick slot 2" — with the raw Playwright calls inside it. Applied once, by
``BasePage`` and ``Region`` (``__init_subclass__``), so a page object's own methods need nothing.
The steps of the running test are also kept here, so a failed test's report can list them.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from playwright.sync_api import Error

T = TypeVar("T", bound=type)
ARGUMENT_CHARS = 60
#: Public methods that compute something for the others and act on nothing: no step of their own.
NOT_STEPS = frozenset({"url_pattern"})

_taken: list[str] = []  # the running test's steps, indented by depth ("  " per level)
_depth = 0


def step_name(method: str, args: tuple[Any, ...]) -> str:
    """'take_over' -> 'take over'; a first argument that is a string or a number is shown."""
    words = method.replace("_", " ")
    if args and isinstance(args[0], str):
        text = " ".join(args[0].split())
        words += f" {text[:ARGUMENT_CHARS] + '…' if len(text) > ARGUMENT_CHARS else text!r}"
    elif args and isinstance(args[0], int | float) and not isinstance(args[0], bool):
        words += f" {args[0]}"
    return words


def take() -> list[str]:
    """The steps recorded since the last call (one test's), oldest first."""
    steps = list(_taken)
    _taken.clear()
    return steps


def _as_step(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def step(self: Any, *args: Any, **kwargs: Any) -> Any:
        global _depth
        name = step_name(method.__name__, args)
        _taken.append("  " * _depth + name)
        tracing = self.page.context.tracing
        try:
            tracing.group(name)
        except Error:  # a closed context: the action itself will say what is wrong
            return method(self, *args, **kwargs)
        _depth += 1
        try:
            return method(self, *args, **kwargs)
        finally:
            _depth -= 1
            with contextlib.suppress(Error):  # the context closed inside the step
                tracing.group_end()

    step.__wrapped_step__ = True  # type: ignore[attr-defined]
    return step


def named_steps(cls: T) -> T:
    """Wraps the public methods ``cls`` itself defines (not properties, class or static methods)."""
    for attribute, value in list(vars(cls).items()):
        if (not attribute.startswith("_") and attribute not in NOT_STEPS and inspect.isfunction(value)
                and not hasattr(value, "__wrapped_step__")):
            setattr(cls, attribute, _as_step(value))
    return cls
