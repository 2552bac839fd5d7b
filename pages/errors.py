"""The app's error page (404, 403, 410...), with its status in ``data-status``."""

from __future__ import annotations

from playwright.sync_api import Locator, expect

from pages.region import Region

ERROR_PAGE_TEST_ID = "error-page"

HEADINGS = {
    404: "Page not found",
    403: "You don't have access to this page",
    410: "This is no longer available",
    429: "Slow down a little",
}


class ErrorPage(Region):
    """Any URL can end on it, so it is a region with no goto()."""

    @property
    def card(self) -> Locator:
        return self.page.get_by_test_id(ERROR_PAGE_TEST_ID)

    @property
    def heading(self) -> Locator:
        return self.page.get_by_role("heading", level=1)

    def detail(self, text: str) -> Locator:
        return self.card.get_by_text(text, exact=True)

    def expect_status(self, status: int, *, detail: str | None = None) -> None:
        """The card for `status`; with `detail`, the exact reason the app gave (403, 410, 429 show it)."""
        expect(self.card).to_have_attribute("data-status", str(status))
        expect(self.page).to_have_title(f"{status} · NeverMissCall")
        if status in HEADINGS:
            expect(self.heading).to_have_text(HEADINGS[status])
        if detail is not None:
            expect(self.detail(detail)).to_be_visible()

    def expect_not_found(self) -> None:
        self.expect_status(404)

    def expect_forbidden(self, detail: str | None = None) -> None:
        self.expect_status(403, detail=detail)
