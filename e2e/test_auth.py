"""[auth] Signing in and out through the form, refusals, and roles."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page

from e2e.support import TenantHandle, TenantSeeder
from pages.errors import ErrorPage
from pages.flows import open_inbox, sign_in, sign_out
from pages.inbox import InboxPage
from pages.login import LoginPage

pytestmark = pytest.mark.auth

#: Pages only an OWNER may open (path, navigation label). A TECH gets 403 and no link.
OWNER_ONLY_PAGES = [("/billing", "Billing"), ("/compliance", "Compliance"), ("/catalog", "Catalog")]


def test_login_form_signs_the_owner_in(page: Page, tenant: TenantHandle) -> None:
    inbox = sign_in(page, tenant.owner)
    inbox.navigation.expect_current("Inbox")


def test_wrong_password_is_refused_with_a_message(page: Page, tenant: TenantHandle) -> None:
    login = LoginPage(page).goto()
    login.sign_in(tenant.owner.email, tenant.owner.password + "-wrong")
    login.expect_error("Wrong email or password.")
    login.navigation.expect_no_link("Inbox")


def test_sign_out_ends_the_session(owner_page: Page) -> None:
    open_inbox(owner_page)
    sign_out(owner_page)
    owner_page.goto(InboxPage.path)
    LoginPage(owner_page).expect_loaded()  # sent to sign in again, not shown the inbox


@pytest.mark.parametrize(("path", "label"), OWNER_ONLY_PAGES, ids=[p for p, _ in OWNER_ONLY_PAGES])
def test_tech_is_denied_owner_pages(path: str, label: str, tech_page: Page, tenant: TenantHandle,
                                    app_api: httpx.Client) -> None:
    owner_view = app_api.get(path, headers={"Accept": "text/html"})
    if owner_view.status_code != 200:
        pytest.skip(f"{path} answers {owner_view.status_code} to the owner: the page is not there yet")
    inbox = open_inbox(tech_page)
    inbox.navigation.expect_no_link(label)
    tech_page.goto(path)
    ErrorPage(tech_page).expect_forbidden()


def test_tech_sees_the_inbox(tech_page: Page, tenant: TenantHandle) -> None:
    inbox = open_inbox(tech_page)
    inbox.navigation.expect_signed_in_as(tenant.tech.name)


def test_deactivated_user_is_refused_even_with_a_session(tech_page: Page, tenant: TenantHandle,
                                                         seeder: TenantSeeder) -> None:
    open_inbox(tech_page)
    seeder.set_active(tenant, tenant.tech, False)
    tech_page.reload()
    ErrorPage(tech_page).expect_forbidden()
