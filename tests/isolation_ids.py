"""Factories for the path parameters of tenant-scoped routes, used by the route-table isolation test.

For every `{name}` a tenant-scoped route takes, register a factory that creates such a resource in the
given tenant and returns its id. The isolation test creates it in tenant B and calls the route as tenant A,
expecting 404. A route whose parameter has no factory fails the test, so new routes cannot slip through.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.db import Database
from app.settings import Settings


@dataclass
class IsolationContext:
    app: FastAPI
    database: Database
    settings: Settings
    operator: TestClient
    tenant: dict[str, Any]  # the operator API's JSON for the tenant that owns the resource


IdFactory = Callable[[IsolationContext], str]
ID_FACTORIES: dict[str, IdFactory] = {}


def factory(param_name: str) -> Callable[[IdFactory], IdFactory]:
    def register(fn: IdFactory) -> IdFactory:
        ID_FACTORIES[param_name] = fn
        return fn

    return register


@factory("user_id")
def _user_id(ctx: IsolationContext) -> str:
    return str(next(u["id"] for u in ctx.tenant["users"] if u["role"] == "TECH"))


# Domains add their factories below (one function each).


# Example request bodies for tenant-scoped routes that take one, keyed by (METHOD, path template), so the
# isolation test reaches the handler (and its 404) instead of stopping at body validation (422).
# Values: {"json": {...}} for JSON bodies or {"data": {...}} for form posts (csrf_token is added).
EXAMPLE_BODIES: dict[tuple[str, str], dict[str, Any]] = {}
