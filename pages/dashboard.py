"""The dashboard: first-response figures (p50/p95 for 7 days, and per tenant-local day)."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from pages.base import BasePage

P50_TEST_ID = "first-response-p50"
P95_TEST_ID = "first-response-p95"
SAMPLES_TEST_ID = "first-response-samples"
DAY_ROW_TEST_ID = "first-response-day"
DAY_P50_TEST_ID = "day-p50"
DAY_P95_TEST_ID = "day-p95"
NEEDS_ATTENTION_TEST_ID = "needs-attention-count"

FIGURES_API_PATH = "/api/v1/dashboard/first-response"

Text = str | re.Pattern[str]


def week_counts(page: Page) -> tuple[int, int]:
    """(answered, still waiting) over the last 7 days, read through the JSON API with the page's session.

    The figures are recomputed by the app's worker after each call and text, so a test waits on this
    before it loads the (server-rendered) dashboard."""
    response = page.request.get(FIGURES_API_PATH)
    if not response.ok:
        raise AssertionError(f"GET {FIGURES_API_PATH} answered {response.status}: {response.text()}")
    week = response.json()["last_7_days"]
    return int(week["samples"]), int(week["unanswered"])


class DashboardPage(BasePage):
    path = "/dashboard"
    heading_name = "Dashboard"
    title = "Dashboard"

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
    def still_waiting(self) -> Locator:
        """The note under "Customers answered": "2 still waiting"."""
        return self.page.get_by_text(re.compile(r"^\d+ still waiting$"))

    @property
    def days(self) -> Locator:
        return self.page.get_by_role("table", name="First response by day").get_by_test_id(DAY_ROW_TEST_ID)

    @property
    def today(self) -> Locator:
        return self.days.first

    @property
    def waiting_for_you(self) -> Locator:
        """The "Waiting for you" tile: conversations flagged for a person right now."""
        return self.page.get_by_test_id(NEEDS_ATTENTION_TEST_ID)

    def expect_waiting_for_you(self, count: int) -> None:
        expect(self.waiting_for_you).to_have_text(str(count))

    def expect_answered(self, count: int) -> None:
        expect(self.answered).to_have_text(str(count))

    def expect_week(self, *, answered: int, waiting: int, p50: Text, p95: Text) -> None:
        """The tiles for the last 7 days; p50/p95 as shown ("6 min 3 s", "—" for no data)."""
        expect(self.answered).to_have_text(str(answered))
        expect(self.still_waiting).to_have_text(f"{waiting} still waiting")
        expect(self.p50).to_have_text(p50)
        expect(self.p95).to_have_text(p95)

    def expect_today(self, *, day: str, answered: int, waiting: int, p50: Text, p95: Text) -> None:
        """The "Today" row: its tenant-local date (ISO) and figures."""
        row = self.today
        expect(row).to_have_attribute("data-day", day)
        self._expect_row(row, label="Today", answered=answered, waiting=waiting, p50=p50, p95=p95)

    def expect_day(self, *, label: str, day: str, answered: int, waiting: int, p50: Text, p95: Text) -> None:
        """The row headed ``label`` ("Yesterday", "Mon Jan 7"): its tenant-local date (ISO) and figures."""
        row = self.days.filter(has=self.page.get_by_role("rowheader", name=label, exact=True))
        expect(row).to_have_count(1)
        expect(row).to_have_attribute("data-day", day)
        self._expect_row(row, label=label, answered=answered, waiting=waiting, p50=p50, p95=p95)

    def expect_day_labels(self, labels: list[str]) -> None:
        """The headers of the first len(labels) rows, newest first: "Today", "Yesterday", "Sat Jan 12", ..."""
        headers = self.days.get_by_role("rowheader")
        for index, label in enumerate(labels):
            expect(headers.nth(index)).to_have_text(label)

    def _expect_row(self, row: Locator, *, label: str, answered: int, waiting: int, p50: Text, p95: Text) -> None:
        expect(row.get_by_role("rowheader")).to_have_text(label)
        cells = row.get_by_role("cell")
        expect(cells.nth(0)).to_have_text(str(answered))
        expect(cells.nth(1)).to_have_text(str(waiting))
        expect(row.get_by_test_id(DAY_P50_TEST_ID)).to_have_text(p50)
        expect(row.get_by_test_id(DAY_P95_TEST_ID)).to_have_text(p95)
        # Greyed out (day-empty) only when nothing happened: a day with customers still waiting must stand out.
        empty = re.compile(r"\bday-empty\b")
        if answered or waiting:
            expect(row).not_to_have_class(empty)
        else:
            expect(row).to_have_class(empty)

    def bar_width_rem(self, label: str) -> float:
        """The drawn width of the p95 bar in the row headed ``label``, in rem (the slowest day's is 8 rem)."""
        row = self.days.filter(has=self.page.get_by_role("rowheader", name=label, exact=True))
        # The bar is decoration (aria-hidden, no role or test id): found by the attribute the page's script reads.
        return float(row.locator("[data-bar-rem]").evaluate(
            "bar => bar.getBoundingClientRect().width / parseFloat(getComputedStyle(document.documentElement).fontSize)"))

    def expect_day_count(self, count: int) -> None:
        expect(self.days).to_have_count(count)

    def expect_figures_shown(self) -> None:
        """p50 and p95 hold a duration (not the "—" of no data)."""
        for tile in (self.p50, self.p95):
            expect(tile).not_to_have_text("—")
