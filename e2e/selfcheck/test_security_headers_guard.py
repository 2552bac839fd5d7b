"""Run only by tests/security/test_header_guard.py (E2E_SELF_CHECK=1): a page that loses a security header
fails the flow that visits it; the same page with its headers passes."""

from __future__ import annotations

from playwright.sync_api import Page, Route

from pages.flows import open_inbox


def test_a_page_without_its_csp_fails(owner_page: Page) -> None:
    def without_csp(route: Route) -> None:
        # Stands in for an app change that drops the header: the real response, minus its CSP.
        response = route.fetch()
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-security-policy"}
        route.fulfill(response=response, headers=headers)

    owner_page.route("**/inbox", without_csp)
    open_inbox(owner_page)


def test_a_page_with_its_headers_passes(owner_page: Page) -> None:
    open_inbox(owner_page)
