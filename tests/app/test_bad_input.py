"""Bad input gets a clear 4xx with a JSON error, never a 500, and nothing is half-written."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import tenant_spec


def tenant_count(operator: TestClient) -> int:
    return len(operator.get("/api/operator/tenants").json()["tenants"])


@pytest.mark.parametrize(
    ("body", "kwargs"),
    [
        ("{not json", {"headers": {"Content-Type": "application/json"}}),
        ("[]", {"headers": {"Content-Type": "application/json"}}),
        ("", {"headers": {"Content-Type": "application/json"}}),
    ],
    ids=["malformed", "array", "empty"],
)
def test_malformed_json_is_422(operator: TestClient, body: str, kwargs: dict[str, Any]) -> None:
    response = operator.post("/api/operator/tenants", content=body, **kwargs)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


@pytest.mark.parametrize(
    "change",
    [
        {"name": None},
        {"owner": None},
        {"name": 12},
        {"owner": {"email": "x@y.test", "password": "short", "name": "n"}},
        {"owner": {"email": "not-an-email", "password": "long enough", "name": "n"}},
        {"timezone": "Mars/Olympus"},
        {"phone_number": "555-0100"},
        {"compliance": "maybe"},
        {"ttl_seconds": -5},
        {"labels": {"run": 5}},
        {"unexpected": True},
    ],
    ids=["no-name", "no-owner", "name-type", "short-password", "bad-email", "bad-timezone", "bad-number",
         "bad-compliance", "negative-ttl", "label-type", "unknown-field"],
)
def test_invalid_tenant_bodies_are_4xx_and_write_nothing(operator: TestClient, change: dict[str, Any]) -> None:
    before = tenant_count(operator)
    spec = tenant_spec()
    for key, value in change.items():
        if value is None:
            spec.pop(key)
        else:
            spec[key] = value
    response = operator.post("/api/operator/tenants", json=spec)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_error" and body["detail"]
    assert tenant_count(operator) == before


def test_oversized_body_is_413(operator: TestClient) -> None:
    response = operator.post("/api/operator/tenants", content=b"x" * 1_100_000,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


@pytest.mark.parametrize("method", ["get", "delete"])
def test_unknown_ids_are_404_json(operator: TestClient, method: str) -> None:
    response = getattr(operator, method)("/api/operator/tenants/does-not-exist")
    assert response.status_code == 404
    assert response.json() == {"detail": "tenant not found", "code": "not_found"}


def test_unknown_api_route_is_404_json(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_wrong_method_is_405_json(client: TestClient) -> None:
    response = client.delete("/api/v1/me")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_unknown_page_is_a_friendly_404_page(client: TestClient) -> None:
    response = client.get("/no/such/page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert 'data-testid="error-page"' in response.text


def test_health_reports_ok_with_the_worker_running(app: Any, settings: Any) -> None:
    settings.run_worker_in_process = True
    from app.main import create_app

    running = create_app(settings, database=app.state.db, telephony=app.state.telephony, start_worker=True)
    with TestClient(running) as client:
        assert client.get("/healthz").json() == {"status": "ok"}


def test_health_is_503_when_the_worker_is_expected_but_missing(app: Any, settings: Any) -> None:
    settings.run_worker_in_process = True
    with TestClient(app) as client:  # `app` was built with start_worker=False
        response = client.get("/healthz")
        assert response.status_code == 503
        assert "worker" in response.json()["reason"]
