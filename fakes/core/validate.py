"""Field readers for control-API JSON bodies: wrong or missing input -> 422 with a clear message."""

from __future__ import annotations

from typing import Any

from fakes.core.http import control_error


def require_str(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise control_error(422, f"{key} is required and must be a non-empty string")
    return value


def optional_str(data: dict[str, Any], key: str, default: str | None = None) -> str | None:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise control_error(422, f"{key} must be a string")
    return value


def optional_int(
    data: dict[str, Any], key: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    value = data.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise control_error(422, f"{key} must be an integer; got {value!r}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        low = "-inf" if minimum is None else str(minimum)
        high = "inf" if maximum is None else str(maximum)
        raise control_error(422, f"{key} must be between {low} and {high}; got {value}")
    return value


def optional_bool(data: dict[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise control_error(422, f"{key} must be true or false; got {value!r}")
    return value


def require_choice(data: dict[str, Any], key: str, choices: tuple[str, ...]) -> str:
    value = data.get(key)
    if value not in choices:
        raise control_error(422, f"{key} must be one of {', '.join(choices)}; got {value!r}")
    return str(value)
