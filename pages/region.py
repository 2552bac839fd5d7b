"""A part of a page that several pages share (navigation, banners, the error card)."""

from __future__ import annotations

from playwright.sync_api import Page


class Region:
    def __init__(self, page: Page) -> None:
        self.page = page
