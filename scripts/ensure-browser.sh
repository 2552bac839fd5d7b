#!/usr/bin/env bash
# Makes sure a Chromium exists for Playwright, preferring Playwright's own build:
#   1. Playwright's Chromium already installed             -> done
#   2. `playwright install chromium` works (a normal laptop) -> done
#   3. a system Chromium (/usr/bin/chromium...)             -> done (the suite passes it as executable_path)
#   4. root on Debian/Ubuntu                                -> apt-get install chromium chromium-headless-shell
#   5. otherwise: say exactly what to install.
# The result is remembered in .stamps/browser so a second run costs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
STAMP=.stamps/browser
mkdir -p .stamps

say() { echo "ensure-browser: $*" >&2; }

# The visual baselines (e2e/snapshots/*.chromium-linux.png) were rendered with these fonts: the app's
# system-ui stack resolves to DejaVu Sans, Arial-like text to Liberation. Other fonts, other pixels.
BASELINE_FONTS="fonts-dejavu-core fonts-liberation"
if command -v dpkg-query >/dev/null 2>&1; then
  missing_fonts="$(for font in $BASELINE_FONTS; do
    dpkg-query -W -f='${Status}' "$font" 2>/dev/null | grep -q "ok installed" || echo -n "$font "; done)"
  if [ -n "$missing_fonts" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      say "installing the fonts the visual baselines were rendered with: $missing_fonts"
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing_fonts) >&2 \
        || say "fonts could not be installed: visual baselines will not match"
    else
      say "visual baselines expect these fonts: sudo apt-get install $missing_fonts"
    fi
  fi
fi

# Done before, unless it was the system's Chromium without the headless shell that could be added now.
if [ -f "$STAMP" ] && [ -x "$(cat "$STAMP")" ]; then
  case "$(cat "$STAMP")" in
    /usr/bin/*) if [ -x /usr/bin/chromium-headless-shell ] || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
                  exit 0
                fi ;;
    *) exit 0 ;;
  esac
fi

playwright_chromium() {
  "$PY" - <<'PYEOF' 2>/dev/null
import os
from playwright.sync_api import sync_playwright
with sync_playwright() as p:
    path = p.chromium.executable_path
print(path if os.path.exists(path) else "")
PYEOF
}

system_chromium() {
  for candidate in /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome /usr/bin/google-chrome-stable; do
    if [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
  done
  return 1
}

found="$(playwright_chromium || true)"
if [ -z "$found" ]; then
  say "trying Playwright's own Chromium (playwright install chromium)"
  # The log stays in this clone: a fixed file in the system's temp folder is shared by every clone.
  if timeout 600 "$PY" -m playwright install chromium >.stamps/playwright-install.log 2>&1; then
    found="$(playwright_chromium || true)"
  else
    say "Playwright could not download its browser (see .stamps/playwright-install.log); using the system's"
  fi
fi
if [ -z "$found" ]; then
  found="$(system_chromium || true)"
fi
if [ -z "$found" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  say "installing Debian's chromium package"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-headless-shell) >&2
  found="$(system_chromium || true)"
fi
# Headless runs of a system Chromium use Debian's chromium-headless-shell when present (a third of the
# CPU of full Chromium headless; see e2e/plugins/browser.py). Optional: without it the full browser runs.
if [ -n "$found" ] && [ "$found" = "$(system_chromium || true)" ] && [ ! -x /usr/bin/chromium-headless-shell ] \
    && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  say "installing Debian's chromium-headless-shell package (the lighter headless browser)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell) >&2 \
    || say "chromium-headless-shell could not be installed; headless runs use the full browser"
fi
if [ -z "$found" ]; then
  say "no Chromium available. Install one of:"
  say "  - Playwright's: .venv/bin/python -m playwright install --with-deps chromium"
  say "  - Debian/Ubuntu's: sudo apt-get install chromium chromium-headless-shell"
  exit 1
fi
# Video: Playwright records with its own ffmpeg build, which arrives with `playwright install`. Where
# that download is impossible, the system's ffmpeg (Debian's has the VP8 encoder it needs) stands in.
playwright_ffmpeg="$("$PY" -c 'from e2e.plugins.browser import playwright_ffmpeg; print(playwright_ffmpeg())' 2>/dev/null || true)"
if [ -n "$playwright_ffmpeg" ] && [ ! -e "$playwright_ffmpeg" ]; then
  if ! command -v ffmpeg >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's ffmpeg package (for video recording)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg) >&2 || true
  fi
  if command -v ffmpeg >/dev/null 2>&1; then
    # Playwright's browser cache is shared by every clone on the machine, and another clone's suite may
    # be recording video through this link right now: create it atomically (a new link renamed over
    # the path), never remove-then-create.
    mkdir -p "$(dirname "$playwright_ffmpeg")"
    ln -s "$(command -v ffmpeg)" "$playwright_ffmpeg.$$" && mv -Tf "$playwright_ffmpeg.$$" "$playwright_ffmpeg"
    say "video: Playwright will record with $(command -v ffmpeg)"
  else
    say "no ffmpeg: videos stay off (install Playwright's with: .venv/bin/python -m playwright install ffmpeg)"
  fi
fi
echo "$found" > "$STAMP"
say "using $found ($("$found" --version 2>/dev/null || echo 'version unknown'))"
