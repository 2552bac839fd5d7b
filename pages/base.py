"""The small base every page object builds on.

A page object holds a Playwright ``Page``, exposes its elements as typed ``@property -> Locator``
(by role, label or test id — never raw CSS), offers intent-named actions, and proves it is on the right
page before anyone uses it (``goto()`` navigates, then ``expect_loaded()`` checks URL and heading).
Assertions are web-first ``expect(...)``: they wait by themselves, so nothing here sleeps.
Regions that appear on many pages (navigation, banners) are their own small objects, composed in.

Arriving on a page (``expect_loaded()``, which ``goto()`` and every "I am on this page" check end with)
is also when whole-page checks run: the suite registers them with :func:`on_page_loaded` (its
accessibility scan, e2e/plugins/a11y.py). Page objects stay free of the test runner; a check sees the
page object that just proved where the browser is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Self

from playwright.sync_api import Locator, Page, Response, expect

from pages.banners import BannerRegion
from pages.navigation import NavigationRegion
from pages.region import Region
from pages.steps import named_steps

__all__ = ["BasePage", "Region", "on_page_loaded"]

PageCheck = Callable[["BasePage"], None]
_page_checks: list[PageCheck] = []


def on_page_loaded(check: PageCheck) -> Callable[[], None]:
    """Runs ``check(page_object)`` each time a page object has proved it is loaded; returns the undo."""
    _page_checks.append(check)
    return lambda: _page_checks.remove(check)


@named_steps
class BasePage:
    """Subclasses set ``path`` (relative to the context's base URL) and ``heading_name`` (its <h1>).
    Their public methods are named steps in the trace (pages/steps.py)."""

    path: ClassVar[str]
    heading_name: ClassVar[str | re.Pattern[str]]
    #: The staff pages' tab title, "<what the page is> · NeverMissCall" (people tell open tabs apart by it);
    #: None where the page is not the app's own staff page (the customer's booking pages, the fakes' pages).
    title: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        named_steps(cls)

    def __init__(self, page: Page) -> None:
        self.page = page

    @property
    def heading(self) -> Locator:
        return self.page.get_by_role("heading", level=1, name=self.heading_name)

    @property
    def navigation(self) -> NavigationRegion:
        return NavigationRegion(self.page)

    @property
    def banners(self) -> BannerRegion:
        return BannerRegion(self.page)

    def url_pattern(self) -> re.Pattern[str]:
        """What the address bar shows on this page (the path, with any query string)."""
        return re.compile(re.escape(self.path) + r"(\?.*)?$")

    def goto(self) -> Self:
        self.page.goto(self.path)
        return self.expect_loaded()

    @contextmanager
    def expect_form_answer(self, status: int) -> Iterator[None]:
        """The form posted inside the block is answered with HTTP `status`: a refused form comes back with its
        4xx (what password managers, monitoring and the browser's history read), not a 200 page that only
        says so in words; an accepted one redirects (303)."""
        def is_form_post(response: Response) -> bool:
            return response.request.method == "POST" and response.request.is_navigation_request()

        with self.page.expect_response(is_form_post) as answer:
            yield
        posted = answer.value
        assert posted.status == status, f"POST {posted.url} answered HTTP {posted.status}, not {status}"

    def _expected_title(self) -> str | re.Pattern[str] | None:
        return f"{self.title} · NeverMissCall" if self.title else None

    def _expect_own_checks(self) -> None:
        """What one kind of page also shows on every arrival (private: no trace step of its own)."""

    def expect_loaded(self) -> Self:
        expect(self.page).to_have_url(self.url_pattern())
        expect(self.heading).to_be_visible()
        if (title := self._expected_title()) is not None:
            expect(self.page).to_have_title(title)
        self._expect_own_checks()
        for check in tuple(_page_checks):
            check(self)
        return self
