"""The top bar of every signed-in page: main navigation, who is signed in, Sign out."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, expect

from pages.region import Region

CURRENT_USER_TEST_ID = "current-user"


class NavigationRegion(Region):
    @property
    def menu(self) -> Locator:
        return self.page.get_by_role("navigation", name="Main")

    def link(self, label: str) -> Locator:
        return self.menu.get_by_role("link", name=label, exact=True)

    @property
    def current_user(self) -> Locator:
        return self.page.get_by_test_id(CURRENT_USER_TEST_ID)

    @property
    def sign_out_button(self) -> Locator:
        return self.page.get_by_role("button", name="Sign out")

    def go_to(self, label: str) -> None:
        self.link(label).click()

    def sign_out(self) -> None:
        self.sign_out_button.click()

    def expect_signed_in_as(self, name: str) -> None:
        expect(self.current_user).to_contain_text(name)

    def expect_link(self, label: str) -> None:
        expect(self.link(label)).to_be_visible()

    def expect_links(self, labels: list[str]) -> None:
        """The menu lists exactly these pages, in this order."""
        expect(self.menu.get_by_role("link")).to_have_text(labels)

    def expect_no_link(self, label: str) -> None:
        expect(self.link(label)).to_have_count(0)

    def expect_current(self, label: str) -> None:
        expect(self.link(label)).to_have_attribute("aria-current", "page")

    def skip_to_content(self) -> None:
        """From a freshly loaded page, the keyboard's first stop is "Skip to content", shown once focused, and
        it takes the reader past the top bar to the page's main region."""
        self.page.keyboard.press("Tab")
        skip = self.page.get_by_role("link", name="Skip to content")
        expect(skip).to_be_focused()
        expect(skip).to_be_in_viewport()
        self.page.keyboard.press("Enter")
        expect(self.page).to_have_url(re.compile(r"#main$"))
        expect(self.page.get_by_role("main")).to_have_attribute("id", "main")
