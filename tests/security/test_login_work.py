"""F3 (issue 23): a sign-in with an unknown email does exactly the argon2 work of a wrong password for a known
email (one verify, no hash), so the time taken cannot tell which emails have accounts. Counted, not timed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from tests.conftest import owner_of

pytestmark = pytest.mark.security


@pytest.fixture
def argon2_calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts PasswordHasher.hash and .verify calls (every argon2 run in the app goes through them)."""
    calls: Counter[str] = Counter()
    for name in ("hash", "verify"):
        original = getattr(PasswordHasher, name)

        def counted(self: PasswordHasher, *args: Any, _name: str = name, _original: Any = original, **kwargs: Any) -> Any:
            calls[_name] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(PasswordHasher, name, counted)
    return calls


@pytest.mark.parametrize("route", ["api", "form"])
def test_unknown_and_known_emails_cost_one_argon2_verify_each(
        client: TestClient, make_tenant: Callable[..., dict[str, Any]], argon2_calls: Counter[str], route: str) -> None:
    known = owner_of(make_tenant())["email"]
    client.get("/login")
    work = {}
    for label, email in (("known email", known), ("unknown email", "nobody-here@example.test")):
        for _ in range(2):  # the first unknown email must not pay for a hash the second one skips
            argon2_calls.clear()
            if route == "api":
                response = client.post("/api/v1/auth/token", json={"email": email, "password": "wrong password"})
            else:
                response = client.post("/login", data={"email": email, "password": "wrong password",
                                                       "csrf_token": client.cookies["nmc_csrf"]})
            assert response.status_code == 401, response.text
            work.setdefault(label, []).append(dict(argon2_calls))
    assert work["known email"] == work["unknown email"] == [{"verify": 1}, {"verify": 1}], work
