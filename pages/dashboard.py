"""The dashboard: first-response figures (p50/p95 for 7 days, and per tenant-local day)."""

from __future__ import annotations

from playwright.sync_api import Locator, expect

from pages.base import BasePage

P50_TEST_ID = "first-response-p50"
P95_TEST_ID = "first-response-p95"
SAMPLES_TEST_ID = "first-response-samples"
DAY_ROW_TEST_ID = "first-response-day"


class DashboardPage(BasePage):
    path = "/dashboard"
    heading_name = "Dashboard"

    @property
    def p50(self) -> Locator:
        return self.page.get_by_test_id(P50_TEST_ID)

    @property
    def p95(self) -> Locator:
        return self.page.get_by_test_id(P95_TEST_ID)

    @property
    def answered(self) -> Locator:
        return self.page.get_by_test_id(SAMPLES_TEST_ID)

    @property
    def days(self) -> Locator:
        return self.page.get_by_role("table", name="First response by day").get_by_test_id(DAY_ROW_TEST_ID)

    @property
    def today(self) -> Locator:
        return self.days.first

    def expect_answered(self, count: int) -> None:
        expect(self.answered).to_have_text(str(count))

    def expect_figures_shown(self) -> None:
        """p50 and p95 hold a duration (not the "—" of no data)."""
        for tile in (self.p50, self.p95):
            expect(tile).not_to_have_text("—")
