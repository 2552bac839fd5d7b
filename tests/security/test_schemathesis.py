"""schemathesis against /openapi.json with an authenticated OWNER session: no 5xx, and every answer matches the
document (status code declared, content type, body schema). Bounded in time: a few examples per operation.

Stripe is the in-process Stripe fake, so billing answers what it would in production instead of "not set up".
The operator API is called with the operator token; the webhooks without a valid signature (schemathesis cannot
sign), so they must answer their documented refusals (tests/security/test_webhook_signatures.py covers signed ones).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.db import Database
from app.main import create_app
from app.providers import MemoryTelephony
from fakes.stripe import RunningStripe, running_stripe
from tests.conftest import OPERATOR_TOKEN, make_settings, owner_of, tenant_spec

pytestmark = pytest.mark.security

EXAMPLES_PER_OPERATION = 8
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def stripe_fake() -> Iterator[RunningStripe]:
    with running_stripe() as fake:
        yield fake


@pytest.fixture
def fuzzed_app(database_url: str, database: Database, stripe_fake: RunningStripe) -> FastAPI:
    stripe_fake.control.reset()
    settings = make_settings(database_url, stripe_api_key=stripe_fake.api_key, stripe_api_base=stripe_fake.base_url,
                             stripe_webhook_secret="whsec_schemathesis_0123456789", stripe_price_id="price_nmc_monthly",
                             login_ip_max_failures=10_000)  # generated logins fail a lot; that limit has its own test
    return create_app(settings, database=database, telephony=MemoryTelephony(), start_worker=False)


def owner_token(app: FastAPI) -> str:
    from fastapi.testclient import TestClient

    with TestClient(app, headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}) as operator:
        tenant = operator.post("/api/operator/tenants", json=tenant_spec()).json()
        minted = operator.post(f"/api/operator/tenants/{tenant['id']}/sessions", json={"user": owner_of(tenant)["id"]})
        return str(minted.json()["cookie_value"])


def run_operation(operation: Any, headers: dict[str, str]) -> Callable[[], None]:
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def exercise(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    return exercise


def test_the_api_matches_its_openapi_document_and_never_answers_5xx(fuzzed_app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    headers = {"Authorization": f"Bearer {owner_token(fuzzed_app)}"}
    operator_headers = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    failures: list[str] = []
    tested: list[str] = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"the document has an invalid operation: {result.err()}")
            continue
        operation = result.ok()
        tested.append(f"{operation.method.upper()} {operation.path}")
        try:
            run_operation(operation, operator_headers if operation.path.startswith("/api/operator") else headers)()
        except (Exception, FailureGroup) as exc:  # collect every operation's failures, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:1500])
    assert len(tested) > 35, tested
    assert {"POST /api/operator/tenants", "PUT /api/operator/tenants/{tenant_id}/clock", "POST /webhooks/stripe",
            "POST /webhooks/twilio/sms"} <= set(tested), tested
    assert not failures, "\n\n".join(failures)
