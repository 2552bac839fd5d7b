"""A part of a page that several pages share (navigation, banners, the error card)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from pages.steps import named_steps


class Region:
    """Its subclasses' public methods are named steps in the trace (pages/steps.py)."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        named_steps(cls)
