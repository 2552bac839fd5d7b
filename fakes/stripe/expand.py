"""Stripe's ``expand[]``: replace an id with the object it names, along dotted paths.

``expand[]=customer`` on a session, ``expand[]=latest_invoice`` on a subscription,
``expand[]=data.customer`` on a list, ``expand[]=line_items`` on a checkout session (line items are
only ever returned when expanded, as in Stripe).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from fakes.stripe.errors import invalid_request
from fakes.stripe.objects import Obj, list_object

#: Finds any object by id, or None.
Resolver = Callable[[str], Obj | None]
#: Objects that only appear when expanded: (object type, field) -> builder from the parent object.
Virtuals = dict[tuple[str, str], Callable[[Obj], Any]]

MAX_DEPTH = 4


def expand(obj: Obj, paths: list[str], resolve: Resolver, virtuals: Virtuals | None = None) -> Obj:
    result = copy.deepcopy(obj)
    for path in paths:
        parts = path.split(".")
        if len(parts) > MAX_DEPTH:
            raise invalid_request(f"You cannot expand more than {MAX_DEPTH} levels of a property ({path}).", param="expand")
        _expand(result, parts, path, resolve, virtuals or {})
    return result


def _cannot(path: str) -> Exception:
    return invalid_request(f"This property cannot be expanded ({path}).", param="expand")


def _expand(node: Any, parts: list[str], path: str, resolve: Resolver, virtuals: Virtuals) -> None:
    if isinstance(node, list):
        for element in node:
            _expand(element, parts, path, resolve, virtuals)
        return
    if not isinstance(node, dict):
        raise _cannot(path)
    key, rest = parts[0], parts[1:]
    virtual = virtuals.get((str(node.get("object")), key))
    if virtual is not None:
        node[key] = virtual(node)
    elif key not in node:
        raise _cannot(path)
    elif isinstance(node[key], str):
        found = resolve(node[key])
        if found is None:
            raise _cannot(path)
        node[key] = copy.deepcopy(found)
    if rest and node[key] is not None:
        _expand(node[key], rest, path, resolve, virtuals)


def line_items_list(session: Obj, items: list[Obj]) -> Obj:
    return list_object(f"/v1/checkout/sessions/{session['id']}/line_items", copy.deepcopy(items))
