"""Banners shown on every page (compliance pending, billing state...). Domains register providers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from app.tenancy.models import Tenant


@dataclass(frozen=True)
class Banner:
    test_id: str  # stable hook for tests, e.g. "billing-banner"
    level: Literal["info", "warning", "danger", "success"]
    message: str
    link_text: str = ""
    link_path: str = ""
    state: str = ""  # machine-readable state, rendered as data-state


BannerProvider = Callable[[Session, Tenant, bool], list[Banner]]
_providers: list[BannerProvider] = []


def register(provider: BannerProvider) -> BannerProvider:
    """Registers a function (db, tenant, is_owner) -> banners."""
    _providers.append(provider)
    return provider


def banners_for(db: Session, tenant: Tenant, is_owner: bool) -> list[Banner]:
    found: list[Banner] = []
    for provider in _providers:
        found.extend(provider(db, tenant, is_owner))
    return found
