"""The security headers every HTML page of the app must carry (issue 23, F7), checked on each document the
browser loads from the app during a flow; e2e/plugins/guards.py fails the test on any problem found.

Every page of the app is per user or per customer (signed-in pages, /book/{token}), and the app sends
`Cache-Control: no-store` on all of them, so the check asks it of every document rather than guessing
which ones were signed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class _Request(Protocol):
    @property
    def resource_type(self) -> str: ...


class DocumentResponse(Protocol):
    """The part of Playwright's Response the check reads (a plain object in unit tests)."""

    @property
    def url(self) -> str: ...
    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> dict[str, str]: ...
    @property
    def request(self) -> _Request: ...


#: Referrer policies that never send a page's path to another site (the browser's default,
#: strict-origin-when-cross-origin, sends only the origin cross-site; unsafe-url and
#: no-referrer-when-downgrade send the whole URL).
PATH_PRIVATE_REFERRER_POLICIES = frozenset({
    "no-referrer", "same-origin", "origin", "strict-origin", "origin-when-cross-origin",
    "strict-origin-when-cross-origin",
})


def directives(policy: str) -> dict[str, list[str]]:
    """'a b c; d e' -> {'a': ['b', 'c'], 'd': ['e']} (names lower-cased, as browsers read them)."""
    parsed: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed.setdefault(words[0].lower(), words[1:])
    return parsed


def csp_problems(policy: str) -> list[str]:
    found = []
    parsed = directives(policy)
    scripts = parsed.get("script-src", parsed.get("default-src"))
    if scripts is None:
        found.append("CSP sets neither script-src nor default-src")
    elif any(source in ("'unsafe-inline'", "*", "data:", "http:", "https:") for source in scripts):
        found.append(f"CSP allows inline or foreign script: script-src {' '.join(scripts)}")
    # Markup slipped into a customer's text or name must not restyle the page either (CSS injection: a fake
    # "Pay here" box over the real one, attribute values read out through selectors and background images).
    styles = parsed.get("style-src", parsed.get("default-src"))
    if styles is not None and any(source in ("'unsafe-inline'", "*", "data:", "http:", "https:") for source in styles):
        found.append(f"CSP allows inline or foreign style: style-src {' '.join(styles)}")
    # base-uri does not fall back to default-src: without it an injected <base> re-points every relative
    # script and form URL of the page at another site.
    bases = parsed.get("base-uri")
    if bases is None or not set(bases) <= {"'none'", "'self'"}:
        found.append(f"CSP lets a <base> tag point elsewhere: base-uri {' '.join(bases or ['(missing)'])}")
    ancestors = parsed.get("frame-ancestors")
    if ancestors is None or not set(ancestors) <= {"'none'", "'self'"}:
        found.append(f"CSP lets other sites frame the page: frame-ancestors {' '.join(ancestors or ['(missing)'])}")
    return found


def header_problems(headers: Mapping[str, str]) -> list[str]:
    """What is missing or too weak in one HTML document's headers (names lower-cased)."""
    found = []
    policy = headers.get("content-security-policy")
    found += csp_problems(policy) if policy else ["no Content-Security-Policy"]
    if headers.get("x-content-type-options", "").lower() != "nosniff":
        found.append("no X-Content-Type-Options: nosniff")
    referrer = headers.get("referrer-policy", "").strip().lower()
    if not referrer:
        found.append("no Referrer-Policy")
    elif referrer not in PATH_PRIVATE_REFERRER_POLICIES:
        found.append(f"Referrer-Policy {referrer} sends the page's path (a /book/ token) to other sites")
    if headers.get("x-frame-options", "").upper() not in ("DENY", "SAMEORIGIN"):
        found.append("no X-Frame-Options")
    if "no-store" not in headers.get("cache-control", "").lower():
        found.append("no Cache-Control: no-store")
    return found


def problems(response: DocumentResponse, app_base_url: str) -> list[str]:
    """Problems of one response, if it is an HTML document (a page or a frame) the app served, or the app's JSON
    API answering a page's script (per user too, so never to be stored by a browser or proxy); else none.

    Redirects are skipped: the browser shows the page they lead to, which is checked in turn."""
    if not response.url.startswith(app_base_url):
        return []
    if response.request.resource_type in ("fetch", "xhr"):
        api = response.url[len(app_base_url):].startswith("/api/")
        if api and "no-store" not in response.headers.get("cache-control", "").lower():
            return [f"{response.url} ({response.status}): API answer without Cache-Control: no-store"]
        return []
    if response.request.resource_type != "document":
        return []
    if 300 <= response.status < 400:
        return []
    found = header_problems(response.headers)
    return [f"{response.url} ({response.status}): {problem}" for problem in found]
