"""The sign-in page."""

from __future__ import annotations

import re

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
        """Still on the sign-in form, showing exactly this reason (and no other alert)."""
        expect(self.error).to_have_text(text)
        self.expect_loaded()

    def expect_next(self, path: str) -> None:
        """The form will return to `path` after signing in (a session that ended sends you here)."""
        expect(self.page).to_have_url(re.compile(r"/login\?next=" + re.escape(path) + "$"))
