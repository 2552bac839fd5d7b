"""F7 (issue 23): every response carries the security headers (a CSP without inline script that forbids
framing by other sites, X-Frame-Options, nosniff, a Referrer-Policy) and nothing per user is cacheable.
The checks are the e2e guard's own (e2e/plugins/security_headers.py), so both agree on what "secure" means.
The templates and scripts must then work under that CSP: no inline script, style or event handler."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from e2e.plugins.security_headers import header_problems
from tests.security.conftest import RouteWorld

pytestmark = pytest.mark.security

APP = Path(__file__).resolve().parents[2] / "app"


def test_pages_and_api_answers_carry_the_security_headers(world: RouteWorld) -> None:
    owner, anonymous = world.visitors["OWNER"], world.visitors["anonymous"]
    token = world.booking_token()
    owner.client.cookies.set("nmc_session", owner.session or "", domain="testserver.local")
    answers = {
        "login page": anonymous.client.get("/login"),
        "booking page": anonymous.client.get(f"/book/{token}"),
        "signed-in page": owner.client.get("/inbox"),
        "dashboard": owner.client.get("/dashboard"),
        "error page": owner.client.get("/no-such-page", headers={"Accept": "text/html"}),
        "JSON API": owner.client.get("/api/v1/me"),
    }
    problems = {name: header_problems(r.headers) for name, r in answers.items()}
    assert problems == {name: [] for name in answers}, {n: (answers[n].status_code, p) for n, p in problems.items()}
    assert answers["signed-in page"].status_code == 200 and answers["booking page"].status_code == 200


@pytest.mark.parametrize("policy", [
    "default-src 'self'; style-src 'self' 'unsafe-inline'; base-uri 'self'; frame-ancestors 'none'",
    "default-src 'self' 'unsafe-inline'; script-src 'self'; base-uri 'self'; frame-ancestors 'none'",  # the fallback
    "default-src 'self'; style-src https:; base-uri 'self'; frame-ancestors 'none'",
])
def test_the_guard_refuses_a_policy_that_lets_injected_markup_restyle_the_page(policy: str) -> None:
    headers = {"content-security-policy": policy, "x-content-type-options": "nosniff",
               "referrer-policy": "same-origin", "x-frame-options": "DENY", "cache-control": "no-store"}
    assert [p for p in header_problems(headers) if p.startswith("CSP allows inline or foreign style")], policy
    assert not header_problems({**headers, "content-security-policy": policy.replace("'unsafe-inline'", "").replace(
        "https:", "'self'")})


def test_static_files_may_be_cached_but_keep_nosniff(client: TestClient) -> None:
    response = client.get("/static/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("cache-control", "")
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_docs_page_gets_a_policy_of_its_own(client: TestClient) -> None:
    """/docs loads Swagger UI from its CDN and starts it inline: it gets a policy of its own, still unframable."""
    policy = client.get("/docs").headers["content-security-policy"]
    assert "cdn.jsdelivr.net" in policy and "frame-ancestors 'none'" in policy
    assert "cdn.jsdelivr.net" not in client.get("/login").headers["content-security-policy"]


INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "style element": re.compile(r"<style\b", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def test_templates_have_nothing_inline_that_the_csp_would_block() -> None:
    found = [f"{path.relative_to(APP)}: {what}" for path in sorted((APP / "templates").rglob("*.html"))
             for what, pattern in INLINE.items() if pattern.search(path.read_text(encoding="utf-8"))]
    assert found == []


def test_scripts_do_not_set_style_attributes_or_evaluate_strings() -> None:
    """element.style.x = ... is allowed under style-src 'self'; setAttribute("style") and eval are not."""
    banned = re.compile(r"setAttribute\(\s*[\"']style|\beval\(|new Function\(|innerHTML\s*=.*style=", re.I)
    found = [path.name for path in sorted((APP / "static").glob("*.js")) if banned.search(path.read_text())]
    assert found == []
