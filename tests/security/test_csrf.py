"""CSRF on every state-changing browser route, generated from the route table: a cookie-authenticated (or
public form) request whose CSRF token is missing, forged, or another browser's answers 403 and changes nothing.
Plus a static check that every POST form in the templates carries the token."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.identity import security
from tests.security.conftest import RouteWorld, visitor_for
from tests.security.routes import all_routes, csrf_checked
from tests.security.snapshots import row_counts

pytestmark = pytest.mark.security

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"
FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S | re.I)
POST_METHOD = re.compile(r"""method\s*=\s*["']?post""", re.I)
CSRF_INPUT = re.compile(r"""<input[^>]*name=["']csrf_token["'][^>]*value=["']\{\{\s*csrf_token\s*\}\}["']""", re.I)


def test_the_generator_sees_the_state_changing_routes(world: RouteWorld) -> None:
    checked = {str(r) for r in all_routes(world.app) if csrf_checked(r)}
    assert {"POST /login", "POST /logout", "POST /conversations/{conversation_id}/messages",
            "DELETE /api/v1/catalog/items/{item_id}", "POST /book/{token}/confirm"} <= checked
    assert not any(p.startswith(("POST /webhooks", "POST /api/operator", "POST /api/v1/auth/token")) for p in checked)


def test_missing_or_wrong_csrf_is_403_on_every_state_changing_route(world: RouteWorld) -> None:
    owner = world.visitors["OWNER"]
    stranger = visitor_for(world.app, world.operator, world.tenant, "anonymous")  # another browser's valid token
    attempts = {
        "missing": {},
        "forged": {"X-CSRF-Token": "forged.token"},
        "another browser's": {"X-CSRF-Token": stranger.csrf},
    }
    problems = []
    for route in (r for r in all_routes(world.app) if csrf_checked(r)):
        url = route.url(world.path_values(route))
        body = world.body_for(route)
        before = row_counts(world.database)
        for name, headers in attempts.items():
            response = owner.call(route, url, headers={"Accept": "application/json", **headers}, with_csrf=False,
                                  **body)
            code = response.json().get("code") if response.headers.get("content-type", "").startswith(
                "application/json") else None
            if response.status_code != 403 or code != "csrf_failed":
                problems.append(f"{route}: {name} CSRF token answered {response.status_code} {code}")
        if row_counts(world.database) != before:
            problems.append(f"{route}: a refused request changed the database")
    stranger.client.close()
    assert not problems, "\n".join(problems)


def test_a_form_field_token_counts_like_the_header(world: RouteWorld) -> None:
    """Browsers send the token as the csrf_token field; a wrong field value is refused the same way."""
    owner = world.visitors["OWNER"]
    [route] = [r for r in all_routes(world.app) if str(r) == "POST /conversations/{conversation_id}/takeover"]
    url = route.url(world.path_values(route))
    wrong = owner.call(route, url, with_csrf=False, data={"csrf_token": "forged.token"})
    assert wrong.status_code == 403
    right = owner.call(route, url, with_csrf=False, data={security.CSRF_FIELD: owner.csrf})
    assert right.status_code == 303, right.text


def test_every_post_form_in_the_templates_carries_the_csrf_token() -> None:
    missing = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        for form in FORM.findall(template.read_text(encoding="utf-8")):
            if POST_METHOD.search(form.split(">", 1)[0]) and not CSRF_INPUT.search(form):
                missing.append(f"{template.relative_to(TEMPLATES)}: {form.split('>', 1)[0]}>")
    assert not missing, "POST forms without the csrf_token field:\n" + "\n".join(missing)
