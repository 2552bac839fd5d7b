"""Reviewed-as-code snapshots of key pages: their structure (aria snapshots) and their look (screenshots).

Both live beside the tests, under e2e/snapshots/<test module>/<test>/:

* ``<name>.aria.yml`` — Playwright's aria snapshot of a region, matched with its own
  ``expect(locator).to_match_aria_snapshot``. Values that change per run (phone numbers, ids, clock
  times) are written as regular expressions, so the file holds only what a person would review.
* ``<name>.<browser>-<platform>.png`` — a screenshot (CSS pixels, animations stopped, caret hidden,
  dynamic text masked), compared with pixelmatch: a pixel differs when its perceptual colour distance
  exceeds PIXEL_THRESHOLD, and the page differs when more than MAX_DIFF_PIXELS do. On a
  mismatch expected/actual/diff PNGs go into the test's artifacts folder (and the HTML report).

A missing snapshot is written and the test fails ("review and commit it"), as in Playwright;
``--update-snapshots`` rewrites every snapshot a run touches instead of comparing.
"""

from __future__ import annotations

import base64
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops
from pixelmatch.contrib.PIL import pixelmatch
from playwright.sync_api import Locator, Page, expect

SNAPSHOT_ROOT = Path(__file__).resolve().parents[1] / "snapshots"
#: pixelmatch's per-pixel colour distance (0..1, YIQ): 0.1 is its default, below anti-aliasing noise.
PIXEL_THRESHOLD = 0.1
#: pixels allowed to differ beyond that distance: none, as Playwright's `maxDiffPixels` by default. Rendering here
#: is pixel-identical between runs (names and prices come from node-id-seeded factories, clocks are masked), and a
#: badge drawn in another colour is only ~400 px, which any share-of-the-page allowance would have let through.
MAX_DIFF_PIXELS = 0
MASK_COLOUR = "#ff00ff"
UPDATE_OPTION = "--update-snapshots"

#: Text that differs on every run, and the pattern written in its place in aria snapshots.
DYNAMIC_TEXT: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[0-9a-f]{32}"), r"[0-9a-f]{32}"),  # ids in links
    (re.compile(r"cs_[A-Za-z0-9_]+"), r"cs_[A-Za-z0-9_]+"),  # Stripe checkout sessions
    (re.compile(r"/book/[A-Za-z0-9_-]{16,}"), r"\/book\/[A-Za-z0-9_-]+"),  # booking tokens
    # dates Stripe's fake sets from the real clock (renewals); the tenant clock's dates are fixed ("Mon Jan 7")
    (re.compile(r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December)"
                r" \d{1,2}, \d{4}"), r"[A-Z][a-z]+ \d{1,2}, \d{4}"),
    (re.compile(r"\+\d{8,15}"), r"\+\d+"),  # phone numbers (numbered per run and worker)
    # when a calendar last synced: the tenant clock's minute, which the run's own pace can move by one
    (re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC"), r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC"),
    (re.compile(r"[\w.+-]+@[\w.-]+\.test"), r"\S+@\S+"),  # seeded e-mail addresses carry the run's prefix
)
_JS_SPECIAL = re.compile(r"([\\^$.*+?()\[\]{}|/])")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(UPDATE_OPTION, action="store_true", default=False,
                     help="rewrite the aria and visual snapshots the run touches instead of comparing them")


def _js_escape(text: str) -> str:
    return _JS_SPECIAL.sub(r"\\\1", text)


def _as_pattern(value: str) -> str | None:
    """``value`` as a /regex/ when it holds dynamic text, else None."""
    pieces: list[str] = []
    position = 0
    spans = sorted((m.start(), m.end(), replacement) for pattern, replacement in DYNAMIC_TEXT
                   for m in pattern.finditer(value))
    for start, end, replacement in spans:
        if start < position:
            continue  # overlapping a match already replaced
        pieces += [_js_escape(value[position:start]), replacement]
        position = end
    if not pieces:
        return None
    return "/^" + "".join(pieces) + _js_escape(value[position:]) + "$/"


_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_VALUE = re.compile(r"^(\s*- [^:\"]*?(?:\"(?:[^\"\\]|\\.)*\")?[^:\"]*: )(.+)$")


def generalise(snapshot: str) -> str:
    """Rewrites the names and texts in an aria snapshot that hold dynamic text as regular expressions."""
    lines = []
    for line in snapshot.splitlines():
        line = _QUOTED.sub(lambda m: _as_pattern(m.group(1).replace('\\"', '"')) or m.group(0), line)
        value = _VALUE.match(line)
        if value and not value.group(2).startswith("/^"):  # not one written here already
            text = value.group(2)
            unquoted = text[1:-1] if len(text) > 1 and text[0] == text[-1] == '"' else text
            pattern = _as_pattern(unquoted)
            if pattern:
                line = value.group(1) + pattern
        lines.append(line)
    return "\n".join(lines) + "\n"


def strict(snapshot: str) -> str:
    """Makes the snapshot match whole: Playwright matches a snapshot's children as "contain" unless told
    otherwise, so a region showing something more (a message twice, a second banner, a stray error)
    would still match. ``/children: deep-equal`` under the root node asks for exactly these children, at
    every level below it."""
    first, _, rest = snapshot.partition("\n")
    if first.endswith(":") and not rest.lstrip().startswith("- /children:"):
        indent = len(rest) - len(rest.lstrip()) if rest.strip() else 2
        return f"{first}\n{' ' * indent}- /children: deep-equal\n{rest}"
    return snapshot


def _folder_for(item: pytest.Item) -> Path:
    name = getattr(item, "originalname", item.name)
    callspec = getattr(item, "callspec", None)
    # The browser and pytest-repeat's "<n>-<count>" (make flake-check) are not part of what a snapshot shows.
    ids = re.sub(r"(^|-)\d+-\d+$", "", callspec.id) if callspec else ""
    params = "-".join(part for part in ids.split("-") if part and part not in ("chromium",))
    return SNAPSHOT_ROOT / Path(item.path).stem / (f"{name}[{params}]" if params else name)


@dataclass
class Snapshots:
    """``snapshots.aria(locator, name)`` and ``snapshots.visual(page, name, mask=[...])`` for one test."""

    folder: Path
    artifacts: Path
    update: bool
    browser: str
    mismatches: list[Path]

    def _aria_path(self, name: str) -> Path:
        return self.folder / f"{name}.aria.yml"

    def aria(self, locator: Locator, name: str) -> None:
        path = self._aria_path(name)
        if self.update or not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(strict(generalise(locator.aria_snapshot())), encoding="utf-8")
            if not self.update:
                pytest.fail(f"aria snapshot {path} did not exist; it was written: review and commit it")
            return
        expect(locator).to_match_aria_snapshot(path.read_text(encoding="utf-8"))

    def aria_matches(self, locator: Locator, name: str, *, view: str) -> None:
        """Matches ``locator`` against the stored ``name`` snapshot and never rewrites it: ``view`` is a second
        view of a state that ``aria(..., name)`` stored (e.g. "as served, before its script ran")."""
        path = self._aria_path(name)
        if not path.exists():
            pytest.fail(f"aria snapshot {path} does not exist: store it with snapshots.aria() first")
        expect(locator, f"{name} {view} differs from its aria snapshot {path.relative_to(SNAPSHOT_ROOT.parent)}"
               ).to_match_aria_snapshot(path.read_text(encoding="utf-8"))

    def visual(self, page: Page, name: str, *, mask: Sequence[Locator] = ()) -> None:
        path = self.folder / f"{name}.{self.browser}-{sys.platform}.png"
        shot = page.screenshot(full_page=True, animations="disabled", caret="hide", scale="css",
                               mask=list(mask), mask_color=MASK_COLOUR)
        if self.update or not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(shot)
            if not self.update:
                pytest.fail(f"visual baseline {path} did not exist; it was written: review and commit it")
            return
        self.artifacts.mkdir(parents=True, exist_ok=True)
        actual_path = self.artifacts / f"{name}-actual.png"
        actual_path.write_bytes(shot)
        with Image.open(path) as stored, Image.open(actual_path) as taken:
            expected, actual = stored.convert("RGBA"), taken.convert("RGBA")
        mismatch = compare(expected, actual)
        if mismatch is None:
            actual_path.unlink()
            return
        detail, diff = mismatch
        expected.save(self.artifacts / f"{name}-expected.png")
        diff.save(self.artifacts / f"{name}-diff.png")
        self.mismatches.extend(self.artifacts / f"{name}-{kind}.png" for kind in ("expected", "actual", "diff"))
        pytest.fail(f"visual snapshot {name} does not match {path.relative_to(SNAPSHOT_ROOT.parent)}: {detail}; "
                    f"expected/actual/diff PNGs in {self.artifacts}")


def compare(expected: Image.Image, actual: Image.Image) -> tuple[str, Image.Image] | None:
    """None when the images match; else what differs and the diff image (red: changed pixels)."""
    resized = ""
    if expected.size != actual.size:  # compared on a common canvas, so the diff still shows where
        resized = f"size {actual.width}x{actual.height}, expected {expected.width}x{expected.height} (the layout moved); "
        size = (max(expected.width, actual.width), max(expected.height, actual.height))
        expected, actual = _on_canvas(expected, size), _on_canvas(actual, size)
    # In RGB: an RGBA image's getbbox() looks at the alpha band alone, which screenshots never change.
    box = ImageChops.difference(expected.convert("RGB"), actual.convert("RGB")).getbbox()
    if box is None:
        return None  # pixel-identical: pixelmatch (pure Python) only ever looks at what differs
    # pixelmatch looks at neighbours to tell anti-aliasing from change: give it a margin around the change.
    left, top = max(box[0] - 2, 0), max(box[1] - 2, 0)
    right, bottom = min(box[2] + 2, actual.width), min(box[3] + 2, actual.height)
    region_diff = Image.new("RGBA", (right - left, bottom - top))
    differing = pixelmatch(expected.crop((left, top, right, bottom)), actual.crop((left, top, right, bottom)),
                           region_diff, threshold=PIXEL_THRESHOLD, includeAA=False)
    share = differing / (actual.width * actual.height)
    if differing <= MAX_DIFF_PIXELS and not resized:
        return None
    diff = Image.blend(Image.new("RGBA", actual.size, "white"), actual, 0.1)
    diff.paste(region_diff, (left, top))
    return f"{resized}{differing} pixels differ, {share:.2%} of the page (allowed {MAX_DIFF_PIXELS})", diff


def _on_canvas(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    canvas = Image.new("RGBA", size, (255, 0, 255, 255))  # the mask colour: never page content
    canvas.paste(image, (0, 0))
    return canvas


MISMATCH_IMAGES = pytest.StashKey[list[Path]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Puts a visual mismatch's expected/actual/diff images into the HTML report (pytest-html)."""
    report: pytest.TestReport = yield
    images = item.stash.get(MISMATCH_IMAGES, [])
    if report.when == "call" and images and item.config.pluginmanager.hasplugin("html"):
        import pytest_html

        embedded = [pytest_html.extras.png(base64.b64encode(path.read_bytes()).decode(), name=path.name)
                    for path in images if path.exists()]
        report.extras = [*getattr(report, "extras", []), *embedded]  # type: ignore[attr-defined]
    return report


@pytest.fixture
def snapshots(request: pytest.FixtureRequest, output_path: str, browser_name: str) -> Snapshots:
    mismatches = request.node.stash.setdefault(MISMATCH_IMAGES, [])
    return Snapshots(folder=_folder_for(request.node), artifacts=Path(output_path),
                     update=request.config.getoption(UPDATE_OPTION), browser=browser_name, mismatches=mismatches)
