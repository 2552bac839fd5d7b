"""List pagination in the two styles the SDK reads: 2010 API (``*_page_uri``) and v1 (``meta``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from fakes.core import FormData
from fakes.twilio import errors

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


def page_request(query: FormData) -> tuple[int, int]:
    """``(page, page_size)`` from ``Page``/``PageSize``; nonsense -> 400 like Twilio."""
    try:
        page = int(query.get("Page") or 0)
        page_size = int(query.get("PageSize") or DEFAULT_PAGE_SIZE)
    except ValueError:
        raise errors.twilio_error(20001, "Page and PageSize must be integers") from None
    if page < 0 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise errors.twilio_error(20001, f"PageSize must be between 1 and {MAX_PAGE_SIZE}, Page >= 0")
    return page, page_size


def _uri(path: str, filters: Mapping[str, str], page: int, page_size: int, token_prefix: str) -> str:
    params = [*filters.items(), ("PageSize", str(page_size)), ("Page", str(page))]
    if page > 0:
        # Twilio's next/previous links carry an opaque PageToken; the fake only needs Page.
        params.append(("PageToken", f"{token_prefix}{page}"))
    return f"{path}?{urlencode(params)}"


def v2010_page(
    records: Sequence[dict[str, Any]], *, key: str, path: str, filters: Mapping[str, str], page: int, page_size: int
) -> dict[str, Any]:
    start = page * page_size
    chunk = list(records[start : start + page_size])
    has_next = start + page_size < len(records)
    return {
        key: chunk,
        "end": start + max(len(chunk) - 1, 0),
        "first_page_uri": _uri(path, filters, 0, page_size, "PA"),
        "next_page_uri": _uri(path, filters, page + 1, page_size, "PA") if has_next else None,
        "page": page,
        "page_size": page_size,
        "previous_page_uri": _uri(path, filters, page - 1, page_size, "PB") if page > 0 else None,
        "start": start,
        "uri": _uri(path, filters, page, page_size, "PA"),
    }


def v1_page(
    records: Sequence[dict[str, Any]],
    *,
    key: str,
    base_url: str,
    path: str,
    filters: Mapping[str, str],
    page: int,
    page_size: int,
) -> dict[str, Any]:
    start = page * page_size
    chunk = list(records[start : start + page_size])
    has_next = start + page_size < len(records)
    return {
        key: chunk,
        "meta": {
            "page": page,
            "page_size": page_size,
            "first_page_url": base_url + _uri(path, filters, 0, page_size, "PA"),
            "previous_page_url": base_url + _uri(path, filters, page - 1, page_size, "PB") if page > 0 else None,
            "url": base_url + _uri(path, filters, page, page_size, "PA"),
            "next_page_url": base_url + _uri(path, filters, page + 1, page_size, "PA") if has_next else None,
            "key": key,
        },
    }


def request_base_url(headers: Mapping[str, str]) -> str:
    """The fake's base URL as the client sees it (v1 pages carry absolute URLs)."""
    return f"http://{headers.get('Host') or 'localhost'}"
