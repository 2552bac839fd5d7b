"""The sign-in page."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Locator, expect

from pages.base import BasePage
from seed.handle import UserCredentials


class LoginPage(BasePage):
    path = "/login"
    heading_name = "Sign in"
    title = "Sign in"

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

    def _expect_own_checks(self) -> None:
        # What's typed as the password is masked on screen, and password managers know which field is which.
        expect(self.password).to_have_attribute("type", "password")
        expect(self.password).to_have_attribute("autocomplete", "current-password")
        expect(self.email).to_have_attribute("type", "email")
        expect(self.email).to_have_attribute("autocomplete", "username")

    def sign_in(self, email: str, password: str) -> None:
        self.email.fill(email)
        self.password.fill(password)
        self.submit_button.click()

    def sign_in_as(self, user: UserCredentials) -> None:
        self.sign_in(user.email, user.password)

    def sign_in_refused(self, email: str, password: str, *, error: str, status: int) -> None:
        """Signs in with credentials the app refuses: the form comes back saying `error`, and the answer's HTTP
        status says it too (401 wrong credentials, 403 deactivated, 429 locked out), which password managers,
        proxies and monitoring read instead of the page."""
        with self.expect_form_answer(status):
            self.sign_in(email, password)
        self.expect_error(error)

    def expect_error(self, text: str) -> None:
        """Still on the sign-in form, showing exactly this reason (and no other alert)."""
        expect(self.error).to_have_text(text)
        self.expect_loaded()

    def expect_next(self, path: str) -> None:
        """The form will return to `path` after signing in (a session that ended sends you here)."""
        self.expect_next_matching(re.escape(path))

    def expect_next_matching(self, pattern: str) -> None:
        """The form will return to a path matching `pattern` (the URL's `next`, decoded) after signing in."""
        expect(self.page).to_have_url(re.compile(r"/login\?next="))
        [returns_to] = parse_qs(urlsplit(self.page.url).query).get("next", [""])
        assert re.fullmatch(pattern, returns_to), f"sign-in returns to {returns_to!r}, not {pattern!r} ({self.page.url})"
