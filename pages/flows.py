"""Journeys that span pages. Tests call these instead of repeating the steps.

Keep each helper a short, readable sequence of page-object calls that ends on a page object,
so the test continues with intent-named actions and assertions.
"""

from __future__ import annotations

from playwright.sync_api import Page

from pages.inbox import InboxPage
from pages.login import LoginPage
from seed.handle import UserCredentials


def sign_in(page: Page, user: UserCredentials) -> InboxPage:
    """Signs in through the form (not a minted session) and lands on the inbox."""
    login = LoginPage(page).goto()
    login.sign_in_as(user)
    inbox = InboxPage(page).expect_loaded()
    inbox.navigation.expect_signed_in_as(user.name)
    return inbox


def sign_out(page: Page) -> LoginPage:
    """Signs out from the top bar of whatever page is open and lands on the sign-in page."""
    InboxPage(page).navigation.sign_out()
    return LoginPage(page).expect_loaded()


def open_inbox(page: Page) -> InboxPage:
    """The first page of a signed-in user (an owner_page or tech_page fixture starts signed in)."""
    return InboxPage(page).goto()
