"""After signing in, the login form only sends the user to a path of the app's own (no open redirect)."""

from __future__ import annotations

import pytest

from app.identity.views import safe_next


@pytest.mark.parametrize("path", [
    None, "", "inbox", "https://evil.example/", "//evil.example/x", "/\\evil.example/x", "/\\/evil.example",
    "/\t/evil.example", "/\n/evil.example", "/in\x00box", "/in\x7fbox", "http:/evil.example",
])
def test_a_path_a_browser_reads_as_another_site_is_replaced_by_the_inbox(path: str | None) -> None:
    assert safe_next(path) == "/"


@pytest.mark.parametrize("path", ["/", "/inbox", "/conversations/abc?x=1#y", "/billing?error=stripe_unavailable"])
def test_a_path_of_the_app_is_kept(path: str) -> None:
    assert safe_next(path) == path
