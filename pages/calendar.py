"""The owner's Calendar page (connect Google Calendar and/or Jobber, each one's sync status) and the providers'
consent pages at their fakes."""

from __future__ import annotations

import re
from typing import Self
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Locator, Page, expect

from pages.base import BasePage

# Per provider: its status badge and its error line (Google's came first, hence the names).
STATUS_TEST_ID = "calendar-status"
LAST_ERROR_TEST_ID = "calendar-last-error"
JOBBER_STATUS_TEST_ID = "jobber-status"
JOBBER_LAST_ERROR_TEST_ID = "jobber-last-error"
CONNECT_ERROR_TEST_ID = "calendar-error"
#: The browser's request for Google's consent page, which carries the app's OAuth `state` for that round trip.
GOOGLE_CONSENT_REQUEST = re.compile(r"/o/oauth2/auth\?")


def oauth_state(consent_url: str) -> str:
    """The OAuth `state` the app put in a consent page's address."""
    [state] = parse_qs(urlsplit(consent_url).query)["state"]
    return state


class CalendarPage(BasePage):
    path = "/calendar"
    heading_name = "Calendar"
    title = "Calendar"

    @property
    def status_badge(self) -> Locator:
        """data-state: none | connected | error; data-synced: when the last sync succeeded (ISO, or empty)."""
        return self.page.get_by_test_id(STATUS_TEST_ID)

    @property
    def connect_button(self) -> Locator:
        return self.page.get_by_test_id("connect-google")

    @property
    def jobber_connect_button(self) -> Locator:
        return self.page.get_by_test_id("connect-jobber")

    @property
    def last_error(self) -> Locator:
        return self.page.get_by_test_id(LAST_ERROR_TEST_ID)

    def connect_google(self, account: str, *, hint: str | None = None) -> Self:
        """Connect, then choose the Google account and Allow on Google's consent page; back here, connected.
        `hint`: the account the app suggests (the owner's email) when the owner picks another one."""
        self.through_google_consent(account, hint=hint)
        return self.expect_google_connected()

    def through_google_consent(self, account: str, *, hint: str | None = None) -> None:
        """Connect, then choose the Google account and Allow on Google's consent page (back to the app)."""
        self.connect_button.click()
        GoogleConsentPage(self.page).allow(account, hint=hint)

    def cancel_google_consent(self) -> Self:
        """Connect (or Reconnect), then Cancel on Google's consent page: back here, with nothing changed."""
        self.connect_button.click()
        GoogleConsentPage(self.page).cancel()
        return self.expect_loaded()

    def cancel_jobber_consent(self) -> Self:
        """Connect (or Reconnect) Jobber, then Cancel on Jobber's consent page: back here, with nothing changed."""
        self.jobber_connect_button.click()
        JobberConsentPage(self.page).cancel()
        return self.expect_loaded()

    def expect_google_connected(self) -> Self:
        """Back here from Google's consent: connected, and the page says so."""
        expect(self.page).to_have_url(self.url_pattern())
        expect(self.status_badge).to_have_attribute("data-state", "connected")
        expect(self.page.get_by_role("status").filter(has_text="connected.")).to_have_text("Google Calendar connected.")
        expect(self.connect_button).to_have_text("Reconnect Google Calendar")  # connected: the button offers a new one
        return self

    def reconnect_google_refused(self, account: str) -> Self:
        """Reconnect and Allow, but Google refuses to exchange the consent's code: back here with the error."""
        self.through_google_consent(account)
        return self._back_with_error()

    def reconnect_jobber_refused(self, account: str) -> Self:
        """Reconnect Jobber and Allow Access, but Jobber refuses to exchange the consent's code: back here with the
        error."""
        self.through_jobber_consent(account)
        return self._back_with_error()

    def _back_with_error(self) -> Self:
        expect(self.page).to_have_url(re.compile(re.escape(self.path) + r"\?error="))
        return self.expect_loaded()

    def through_jobber_consent(self, account: str) -> None:
        """Connect Jobber, then type the Jobber account and Allow Access on Jobber's consent page (back to the app)."""
        self.jobber_connect_button.click()
        JobberConsentPage(self.page).allow(account)

    def connect_jobber(self, account: str) -> Self:
        """Connect Jobber, then type the Jobber account and Allow Access on Jobber's consent page; back here."""
        self.through_jobber_consent(account)
        expect(self.page).to_have_url(self.url_pattern())
        expect(self.badge("jobber")).to_have_attribute("data-state", "connected")
        expect(self.page.get_by_role("status").filter(has_text="connected.")).to_have_text("Jobber connected.")
        expect(self.jobber_connect_button).to_have_text("Reconnect Jobber")
        return self

    def badge(self, provider: str = "google") -> Locator:
        """data-state: none | connected | error; data-synced: when the last sync succeeded (ISO, or empty)."""
        test_id = JOBBER_STATUS_TEST_ID if provider == "jobber" else STATUS_TEST_ID
        return self.page.get_by_test_id(test_id)

    def return_from_consent(self, *, code: str, state: str, provider: str = "google") -> Self:
        """Arrives at the app's OAuth callback as a provider's consent page would send the owner back."""
        self.page.goto(f"{self.path}/{provider}/callback?code={code}&state={state}")
        return self.expect_loaded()

    def expect_status(self, state: str, provider: str = "google") -> None:
        """The provider's badge as the owner reads it: "connected" or "sync failing" (data-state connected | error)."""
        expect(self.badge(provider)).to_have_attribute("data-state", state)
        expect(self.badge(provider)).to_have_text({"connected": "connected", "error": "sync failing"}[state])
        # ...in its colour: green while connected, red while failing
        expect(self.badge(provider)).to_have_class(re.compile(
            r"\bbadge-approved\b" if state == "connected" else r"\bbadge-rejected\b"))

    @property
    def connect_error(self) -> Locator:
        return self.page.get_by_test_id(CONNECT_ERROR_TEST_ID)

    def expect_connect_error(self, text: str) -> None:
        expect(self.connect_error).to_have_text(text)

    def expect_error_mentions(self, text: str, provider: str = "google") -> None:
        """The sync error says `text`, as words: nothing in the provider's message becomes the page's markup."""
        test_id = JOBBER_LAST_ERROR_TEST_ID if provider == "jobber" else LAST_ERROR_TEST_ID
        name, what = ("Jobber", "the visits") if provider == "jobber" else ("Google Calendar", "the busy time")
        expect(self.page.get_by_test_id(test_id)).to_contain_text(text)
        expect(self.page.get_by_test_id(test_id)).to_have_text(re.compile(
            rf"^We could not reach {name}: .*\. We keep trying; offers use {what} we last saw\.$"))
        expect(self.page.get_by_test_id(test_id).locator("*")).to_have_count(0)

    def state(self, provider: str = "google") -> str:
        """The status after a reload (the page does not update itself)."""
        self.page.reload()
        return self.badge(provider).get_attribute("data-state") or ""

    def expect_last_synced(self, when: re.Pattern[str], provider: str = "google") -> None:
        """The provider's card says when it last synced (`when` matches e.g. "2030-01-07 13:55 UTC": the business's
        clock, written in UTC)."""
        card = self.page.get_by_role("region", name="Jobber" if provider == "jobber" else "Google Calendar")
        expect(card.get_by_text(re.compile(r"^Last synced "))).to_have_text(re.compile(rf"^Last synced {when.pattern}\.$"))

    def synced(self, provider: str = "google") -> bool:
        return bool(self.synced_at(provider))

    def synced_at(self, provider: str = "google") -> str:
        """When the last sync succeeded (ISO, empty if never), after a reload: it changes with every sync."""
        self.page.reload()
        return self.badge(provider).get_attribute("data-synced") or ""


class GoogleConsentPage:
    """Google's consent screen (served by the Google Calendar fake)."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def allow(self, account: str, *, hint: str | None = None) -> None:
        """Allow access to `account`; `hint`, when given, is the account the app suggested instead."""
        expect(self.page).to_have_title("Sign in - Google Accounts")
        field = self.page.get_by_label("Google account")
        expect(field).to_have_value(hint or account)  # the app sent the owner's email as the login hint
        if hint is not None:
            field.fill(account)
        self.page.get_by_role("button", name="Allow").click()

    def cancel(self) -> None:
        """The owner changes their mind: Google sends them back with error=access_denied and no code."""
        expect(self.page).to_have_title("Sign in - Google Accounts")
        self.page.get_by_role("button", name="Cancel").click()


class JobberConsentPage:
    """Jobber's "connect app" screen (served by the Jobber fake)."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def allow(self, account: str) -> None:
        expect(self.page).to_have_title("Jobber - Connect app")
        self.page.get_by_label("Jobber account email").fill(account)
        self.page.get_by_role("button", name="Allow Access").click()

    def cancel(self) -> None:
        """The owner changes their mind: Jobber sends them back with error=access_denied and no code."""
        expect(self.page).to_have_title("Jobber - Connect app")
        self.page.get_by_role("button", name="Cancel").click()
