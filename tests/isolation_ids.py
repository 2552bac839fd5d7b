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


@factory("conversation_id")
def _conversation_id(ctx: IsolationContext) -> str:
    from app.conversations import service as conversations_service  # messaging
    from app.tenancy import service as tenancy_service

    with ctx.database.session() as db:
        tenant = tenancy_service.get(db=db, tenant_id=ctx.tenant["id"])
        conversation = conversations_service.record_missed_call(
            db=db, tenant=tenant, customer_phone="+15550109876", business_phone=ctx.tenant["phone_number"],
            call_sid=f"CA{tenant.id}", call_status="no-answer")
        db.commit()
        return conversation.id


# Example request bodies for tenant-scoped routes that take one, keyed by (METHOD, path template), so the
# isolation test reaches the handler (and its 404) instead of stopping at body validation (422).
# Values: {"json": {...}} for JSON bodies or {"data": {...}} for form posts (csrf_token is added).
EXAMPLE_BODIES: dict[tuple[str, str], dict[str, Any]] = {}
EXAMPLE_BODIES[("POST", "/api/v1/conversations/{conversation_id}/messages")] = {"json": {"body": "hello"}}  # messaging
EXAMPLE_BODIES[("POST", "/conversations/{conversation_id}/messages")] = {"data": {"body": "hello"}}  # messaging
from tests.booking import isolation as _booking_isolation  # noqa: E402, F401  catalog/scheduling/booking factories
