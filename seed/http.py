"""httpx clients for the suite, sharing one TLS context.

``httpx.Client()`` builds a fresh ``SSLContext`` (and reads the CA bundle) every time, even for the
plain-http URLs of a local stack, and the suite makes clients per test (cost: docs/suite.md,
"Measurements"). One context, built on first use with httpx's own defaults (certifi, or
SSL_CERT_FILE/SSL_CERT_DIR), serves them all.
"""

from __future__ import annotations

import functools
import ssl
from typing import Any

import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def client(**kwargs: Any) -> httpx.Client:
    """``httpx.Client(**kwargs)`` with the shared TLS context (unless ``verify`` is given)."""
    kwargs.setdefault("verify", tls_context())
    return httpx.Client(**kwargs)


def get(url: str, **kwargs: Any) -> httpx.Response:
    kwargs.setdefault("verify", tls_context())
    return httpx.get(url, **kwargs)


def post(url: str, **kwargs: Any) -> httpx.Response:
    kwargs.setdefault("verify", tls_context())
    return httpx.post(url, **kwargs)
