"""The snapshot plugin's two pure parts: the image comparison and the aria-snapshot patterns."""

from __future__ import annotations

import re

from PIL import Image

from e2e.plugins.snapshots import MAX_DIFF_PIXELS, SNAPSHOT_ROOT, compare, generalise, strict


def page_image(width: int = 400, height: int = 300) -> Image.Image:
    image = Image.new("RGBA", (width, height), (245, 247, 250, 255))
    image.paste((28, 36, 48, 255), (20, 20, 200, 40))  # a heading-sized dark bar
    return image


def test_identical_screenshots_match() -> None:
    assert compare(page_image(), page_image()) is None


def test_a_changed_block_is_reported_with_its_diff_image() -> None:
    changed = page_image()
    changed.paste((11, 107, 203, 255), (100, 100, 150, 150))  # 2500 px, 2 % of the page
    mismatch = compare(page_image(), changed)
    assert mismatch is not None
    detail, diff = mismatch
    assert detail.startswith("2500 pixels differ")
    assert diff.size == changed.size
    assert diff.getpixel((125, 125))[:3] == (255, 0, 0)  # pixelmatch's colour for a changed pixel
    assert diff.getpixel((5, 5))[:3] != (255, 0, 0)


def test_a_shade_under_the_colour_threshold_matches() -> None:
    changed = page_image()
    changed.paste((250, 250, 250, 255), (300, 200, 320, 220))  # 400 px of a near-white on white
    assert compare(page_image(), changed) is None


def test_a_small_change_in_colour_fails() -> None:
    changed = page_image()
    changed.paste((0, 0, 0, 255), (300, 200, 303, 203))  # 9 px: a badge in another colour is a few hundred
    mismatch = compare(page_image(), changed)
    assert mismatch is not None and mismatch[0].startswith("9 pixels differ"), mismatch
    assert MAX_DIFF_PIXELS == 0  # as Playwright's maxDiffPixels by default


def test_a_page_of_another_size_never_matches_and_still_gets_a_diff() -> None:
    mismatch = compare(page_image(height=300), page_image(height=316))
    assert mismatch is not None
    detail, diff = mismatch
    assert detail.startswith("size 400x316, expected 400x300")
    assert diff.size == (400, 316)


def _body(pattern: str) -> str:
    """A /^...$/ pattern as Python reads it (the escapes used are valid in both)."""
    assert pattern.startswith("/^") and pattern.endswith("$/"), pattern
    return pattern[2:-2]


def test_dynamic_text_becomes_a_pattern_that_matches_it() -> None:
    snapshot = "\n".join([
        '- heading "+15550100123" [level=1]',
        "- link \"Call +15550100123 back\":",
        "  - /url: /conversations/0123456789abcdef0123456789abcdef",
        "- paragraph: Renews on January 5, 2027.",
        "- heading \"Inbox\" [level=1]",
    ])
    lines = generalise(snapshot).splitlines()
    assert lines[0] == r"- heading /^\+\d+$/ [level=1]"
    assert re.fullmatch(_body(lines[1].split(" ", 2)[2].rstrip(":")), "Call +15550100123 back")
    assert re.fullmatch(_body(lines[2].split(": ", 1)[1]), "/conversations/0123456789abcdef0123456789abcdef")
    assert re.fullmatch(_body(lines[3].split(": ", 1)[1]), "Renews on January 5, 2027.")
    assert not re.fullmatch(_body(lines[3].split(": ", 1)[1]), "Renews on soon.")
    assert lines[4] == '- heading "Inbox" [level=1]'  # nothing dynamic: left as Playwright wrote it


def test_stored_snapshots_match_whole() -> None:
    """Playwright matches children as "contain" by default: a stored snapshot asks for exactly its children."""
    written = strict('- main:\n  - heading "Inbox" [level=1]\n  - list:\n    - listitem: one\n')
    assert written.splitlines()[:3] == ["- main:", "  - /children: deep-equal", '  - heading "Inbox" [level=1]']
    assert strict(written) == written  # once
    assert strict("- main: Nothing yet\n") == "- main: Nothing yet\n"  # a leaf: nothing to add


def test_every_stored_aria_snapshot_matches_whole() -> None:
    stored = sorted(SNAPSHOT_ROOT.glob("*/*/*.aria.yml"))
    assert stored
    loose = [str(path.relative_to(SNAPSHOT_ROOT)) for path in stored
             if path.read_text(encoding="utf-8").splitlines()[1].strip() != "- /children: deep-equal"]
    assert not loose, f"aria snapshots without /children: deep-equal (a region showing more would match): {loose}"
