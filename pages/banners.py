"""The notices above every page's content (billing state, compliance status...).

Each banner has a stable ``data-testid`` and its machine-readable state in ``data-state``
(app/ui/banners.py renders them; the billing and compliance domains provide them).
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, expect

from pages.region import Region

BILLING_BANNER_TEST_ID = "billing-banner"
COMPLIANCE_BANNER_TEST_ID = "compliance-banner"


class BannerRegion(Region):
    @property
    def notices(self) -> Locator:
        return self.page.get_by_role("region", name="Notices")

    def banner(self, test_id: str) -> Locator:
        return self.page.get_by_test_id(test_id)

    @property
    def billing(self) -> Locator:
        return self.banner(BILLING_BANNER_TEST_ID)

    @property
    def compliance(self) -> Locator:
        return self.banner(COMPLIANCE_BANNER_TEST_ID)

    def follow(self, test_id: str) -> None:
        """Clicks the banner's call to action (e.g. "Choose a plan")."""
        self.banner(test_id).get_by_role("link").click()

    def expect_state(self, test_id: str, state: str) -> None:
        expect(self.banner(test_id)).to_be_visible()
        expect(self.banner(test_id)).to_have_attribute("data-state", state)

    def expect_level(self, test_id: str, level: str) -> None:
        """How urgent the banner looks: its colour class (banner-info blue, -success, -warning, -danger red)."""
        expect(self.banner(test_id)).to_have_class(re.compile(rf"\bbanner-{level}\b"))

    def expect_message(self, test_id: str, text: str) -> None:
        expect(self.banner(test_id)).to_contain_text(text)

    def expect_no_link(self, test_id: str) -> None:
        """The banner is shown without a call to action (only owners get one: they are the ones who can act)."""
        expect(self.banner(test_id)).to_be_visible()
        expect(self.banner(test_id).get_by_role("link")).to_have_count(0)

    def expect_absent(self, test_id: str) -> None:
        expect(self.banner(test_id)).to_have_count(0)
