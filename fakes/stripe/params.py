"""Stripe's form encoding with bracket notation, turned into nested dicts and lists.

The SDK flattens ``{"line_items": [{"price": "p", "quantity": 1}], "metadata": {"k": "v"}}`` into
``line_items[0][price]=p&line_items[0][quantity]=1&metadata[k]=v``; other clients (curl, Stripe's docs)
write arrays as ``expand[]=a&expand[]=b``. Both come back here as the original structure: a dict whose
keys are all array indices becomes a list ordered by index. Values stay strings — Stripe's wire format
has no types — and :class:`Params` converts them the way Stripe does, with Stripe's error messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from fakes.stripe.errors import StripeApiError, invalid_request, missing_param, unknown_param

_KEY = re.compile(r"^(?P<head>[^\[\]]+)(?P<tail>(?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")

Tree = dict[str, Any]


def _split_key(key: str) -> list[str]:
    found = _KEY.match(key)
    if found is None:
        raise invalid_request(f"Invalid parameter name: {key!r}.", param=key)
    return [found["head"], *_SEGMENT.findall(found["tail"])]


def _display(tokens: list[str]) -> str:
    return tokens[0] + "".join(f"[{token}]" for token in tokens[1:])


def _insert(tree: Tree, tokens: list[str], value: str) -> None:
    node = tree
    for depth, token in enumerate(tokens):
        is_last = depth == len(tokens) - 1
        if token == "":
            # "name[]" appends. When more segments follow ("items[][price]") a new element starts only if
            # the previous one already holds that field (Rack's rule), so price and quantity pair up.
            next_token = None if is_last else tokens[depth + 1]
            last_key = str(len(node) - 1)
            last = node.get(last_key)
            if next_token is not None and isinstance(last, dict) and next_token not in last:
                token = last_key
            else:
                token = str(len(node))
        if is_last:
            if isinstance(node.get(token), dict):
                raise invalid_request(
                    f"Invalid value for {_display(tokens)}: it is given both as a value and as a hash.",
                    param=_display(tokens),
                )
            node[token] = value
            return
        child = node.setdefault(token, {})
        if not isinstance(child, dict):
            raise invalid_request(
                f"Invalid hash for {_display(tokens[: depth + 1])}: it is given both as a value and as a hash.",
                param=_display(tokens[: depth + 1]),
            )
        node = child


def _finish(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    finished = {key: _finish(value) for key, value in node.items()}
    if finished and all(key.isdigit() for key in finished):
        return [finished[key] for key in sorted(finished, key=int)]
    return finished


def parse_form(pairs: Iterable[tuple[str, str]]) -> Tree:
    """``[("metadata[a]", "1"), ("expand[]", "x")]`` -> ``{"metadata": {"a": "1"}, "expand": ["x"]}``.

    A repeated plain key keeps its last value, as Stripe does.
    """
    tree: Tree = {}
    for key, value in pairs:
        _insert(tree, _split_key(key), value)
    result = _finish(tree)
    assert isinstance(result, dict)
    return result


_TRUE = {"true"}
_FALSE = {"false"}


class Params:
    """Typed, Stripe-validated access to one request's parameters."""

    def __init__(self, data: Tree) -> None:
        self.data = data

    def __contains__(self, name: str) -> bool:
        return name in self.data

    def reject_unknown(self, allowed: Iterable[str]) -> None:
        """Stripe refuses parameters an endpoint does not take; so do we (catches typos in the app)."""
        known = set(allowed) | {"expand"}
        for name in self.data:
            if name not in known:
                raise unknown_param(name)

    def string(self, name: str, *, required: bool = False, max_length: int = 5000) -> str | None:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise missing_param(name)
            return None
        if not isinstance(value, str):
            raise invalid_request(f"Invalid string: {name} must be a string, not a hash or array.", param=name)
        if len(value) > max_length:
            raise invalid_request(f"Invalid string: {name} must be at most {max_length} characters.", param=name)
        return value

    def boolean(self, name: str) -> bool | None:
        value = self.data.get(name)
        if value is None or value == "":
            return None
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise invalid_request(f"Invalid boolean: {value!r}", param=name)

    def integer(self, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
        return to_integer(self.data.get(name), name, minimum=minimum, maximum=maximum)

    def string_list(self, name: str) -> list[str] | None:
        value = self.data.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            raise invalid_request(f"Invalid array: {name} must be an array, e.g. {name}[]=value.", param=name)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise invalid_request(f"Invalid array: {name} must be an array of strings.", param=name)
        return value

    def object_list(self, name: str) -> list[dict[str, Any]] | None:
        value = self.data.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise invalid_request(
                f"Invalid array: {name} must be an array of hashes, e.g. {name}[0][field]=value.", param=name
            )
        return value

    def hash(self, name: str) -> dict[str, Any] | None:
        value = self.data.get(name)
        if value is None:
            return None
        if value == "":
            return {}
        if not isinstance(value, dict):
            raise invalid_request(f"Invalid hash: {name} must be a hash, e.g. {name}[key]=value.", param=name)
        return value

    def metadata(self, name: str = "metadata") -> dict[str, str] | None:
        """Stripe's metadata: string keys up to 40 chars, string values up to 500, at most 50 keys.

        An empty value is kept as ``""``: on updates it means "unset this key" (see :func:`merge_metadata`).
        """
        value = self.hash(name)
        if value is None:
            return None
        if len(value) > 50:
            raise invalid_request(f"Invalid {name}: at most 50 keys are allowed.", param=name)
        for key, item in value.items():
            if not isinstance(item, str):
                raise invalid_request(f"Invalid {name}[{key}]: metadata values must be strings.", param=f"{name}[{key}]")
            if len(key) > 40:
                raise invalid_request(f"Invalid {name}: keys must be at most 40 characters ({key!r} is longer).", param=name)
            if len(item) > 500:
                raise invalid_request(
                    f"Invalid {name}[{key}]: values must be at most 500 characters.", param=f"{name}[{key}]"
                )
        return dict(value)

    def expand(self) -> list[str]:
        return self.string_list("expand") or []


def to_integer(value: Any, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
        raise invalid_request(f"Invalid integer: {value!r}", param=name)
    number = int(value)
    if minimum is not None and number < minimum:
        raise invalid_request(f"Invalid integer: {name} must be at least {minimum}.", param=name)
    if maximum is not None and number > maximum:
        raise invalid_request(f"Invalid integer: {name} must be at most {maximum}.", param=name)
    return number


def merge_metadata(current: dict[str, str], update: dict[str, str]) -> dict[str, str]:
    """Stripe's update rule: keys are merged, an empty string removes a key."""
    merged = dict(current)
    for key, value in update.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


__all__ = ["Params", "StripeApiError", "merge_metadata", "parse_form", "to_integer"]
