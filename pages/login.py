"""The sign-in page."""

from __future__ import annotations

from playwright.sync_api import Locator, expect

from pages.base import BasePage
from seed.handle import UserCredentials


class LoginPage(BasePage):
    path = "/login"
    heading_name = "Sign in"

    @property
    def email(self) -> Locator:
        return self.page.get_by_label("Email")

    @property
    def password(self) -> Locator:
        return self.page.get_by_label("Password")

    @property
    def submit_button(self) -> Locator:
        return self.page.get_by_role("button", name="Sign in")

    @property
    def error(self) -> Locator:
        return self.page.get_by_role("alert")

    def sign_in(self, email: str, password: str) -> None:
        self.email.fill(email)
        self.password.fill(password)
        self.submit_button.click()

    def sign_in_as(self, user: UserCredentials) -> None:
        self.sign_in(user.email, user.password)

    def expect_error(self, text: str) -> None:
        expect(self.error).to_contain_text(text)
        self.expect_loaded()
