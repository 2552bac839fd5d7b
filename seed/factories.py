"""Faker-based test data: businesses, people, catalog items, opening hours.

A factory is seeded from the test's node id, so a rerun of one test sees the same business names,
people, catalog and hours (what a failure report talks about stays stable). Values that must be
unique across concurrent workers and leftover tenants — phone numbers and the email suffix — come
from the run's :class:`~seed.numbers.NumberPlan` and a counter instead, and vary between runs.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from seed.numbers import NumberPlan

if TYPE_CHECKING:
    from faker import Faker

Compliance = Literal["approved", "pending", "none"]


@dataclass(frozen=True)
class CatalogItem:
    name: str
    aliases: tuple[str, ...]
    price_cents: int
    duration_minutes: int
    priority: int = 0
    active: bool = True

    def to_api(self) -> dict[str, Any]:
        return {"name": self.name, "aliases": list(self.aliases), "price_cents": self.price_cents,
                "duration_minutes": self.duration_minutes, "priority": self.priority, "active": self.active}

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> CatalogItem:
        return cls(name=data["name"], aliases=tuple(data.get("aliases", ())), price_cents=int(data["price_cents"]),
                   duration_minutes=int(data["duration_minutes"]), priority=int(data.get("priority", 0)),
                   active=bool(data.get("active", True)))


@dataclass(frozen=True)
class JobTemplate:
    name: str
    aliases: tuple[str, ...]
    price_range_cents: tuple[int, int]
    duration_minutes: int


# Aliases are lowercase and none is contained in another item's alias, so a job description matches
# exactly one item unless a test means otherwise.
JOB_TEMPLATES: tuple[JobTemplate, ...] = (
    JobTemplate("Drain cleaning", ("clogged drain", "slow drain", "drain"), (9_000, 18_000), 60),
    JobTemplate("Water heater repair", ("water heater", "no hot water"), (15_000, 35_000), 120),
    JobTemplate("Leak repair", ("leaking pipe", "leak", "dripping"), (12_000, 25_000), 90),
    JobTemplate("Toilet repair", ("running toilet", "toilet"), (8_000, 16_000), 60),
    JobTemplate("AC tune-up", ("ac tune-up", "air conditioning", "ac service"), (9_000, 15_000), 60),
    JobTemplate("Furnace repair", ("furnace", "no heat"), (18_000, 40_000), 120),
    JobTemplate("Faucet replacement", ("faucet", "kitchen tap"), (10_000, 22_000), 60),
    JobTemplate("Garbage disposal repair", ("garbage disposal", "disposal"), (11_000, 20_000), 60),
    JobTemplate("Thermostat install", ("thermostat",), (12_000, 28_000), 90),
    JobTemplate("Sump pump service", ("sump pump", "flooded basement"), (20_000, 45_000), 120),
)

TRADES = ("Plumbing", "Plumbing & Heating", "Heating & Air", "HVAC", "Rooter", "Home Services")

#: Weekday opening hours in the tenant's time zone, as the operator API takes them.
DEFAULT_HOURS: dict[str, list[str]] = {
    "mon": ["08:00", "17:00"], "tue": ["08:00", "17:00"], "wed": ["08:00", "17:00"],
    "thu": ["08:00", "17:00"], "fri": ["08:00", "17:00"], "sat": ["09:00", "13:00"],
}


def seed_int(text: str) -> int:
    """A stable 64-bit seed for any text (Python's hash() changes between processes)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", ".", plain.lower()).strip(".") or "user"


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    password: str


@dataclass(frozen=True)
class TenantOptions:
    """What a test may ask of its tenant (also the keyword arguments of ``@pytest.mark.tenant``).

    ``catalog=None`` means "a generated catalog of ``catalog_size`` items"; ``catalog=[]`` means none.
    Items may be :class:`CatalogItem`, operator-API dicts, or names of :data:`JOB_TEMPLATES`.
    """

    compliance: Compliance = "approved"
    techs: int = 1
    catalog: list[CatalogItem | dict[str, Any] | str] | None = None
    catalog_size: int = 4
    business_hours: dict[str, list[str]] | None = None
    timezone: str = "America/New_York"
    name: str | None = None
    phone_number: str | None = None
    ttl_seconds: int = 3600
    labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.compliance not in ("approved", "pending", "none"):
            raise ValueError("compliance must be 'approved', 'pending' or 'none'")
        if not 0 <= self.techs <= 20:
            raise ValueError("techs must be between 0 and 20")
        if self.ttl_seconds < 1:
            raise ValueError("ttl_seconds must be positive")

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> TenantOptions:
        known = set(cls.__dataclass_fields__)
        unknown = set(kwargs) - known
        if unknown:
            raise TypeError(f"unknown tenant option(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        return cls(**kwargs)


class TenantFactory:
    """Builds operator-API tenant bodies; one per test, seeded from its node id."""

    _unique = itertools.count(1)  # process-wide: emails stay unique even across factories

    def __init__(self, seed_text: str, *, numbers: NumberPlan, unique_prefix: str) -> None:
        # Imported here, not at the top: importing Faker scans every locale it ships, and the e2e
        # controller process imports this module without ever building a tenant.
        from faker import Faker

        self.seed_text = seed_text
        self.faker: Faker = Faker("en_US")
        self.faker.seed_instance(seed_int(seed_text))
        self.numbers = numbers
        self.unique_prefix = unique_prefix

    def business_name(self) -> str:
        return f"{self.faker.last_name()} {self.faker.random_element(TRADES)}"

    def person(self, role: str) -> Person:
        first, last = self.faker.first_name(), self.faker.last_name()
        suffix = f"{self.unique_prefix}{next(self._unique)}"
        email = f"{_ascii_slug(first)}.{_ascii_slug(last)}.{role.lower()}.{suffix}@example.test"
        password = self.faker.password(length=16, special_chars=False)
        return Person(name=f"{first} {last}", email=email, password=password)

    def phone_number(self) -> str:
        return self.numbers.next()

    def catalog(self, size: int = 4) -> list[CatalogItem]:
        size = max(0, min(size, len(JOB_TEMPLATES)))
        chosen = self.faker.random_sample(JOB_TEMPLATES, length=size)
        return [self._item(template, priority=index) for index, template in enumerate(chosen)]

    def catalog_item(self, name: str) -> CatalogItem:
        template = next((t for t in JOB_TEMPLATES if t.name.lower() == name.lower()), None)
        if template is None:
            known = ", ".join(t.name for t in JOB_TEMPLATES)
            raise ValueError(f"no job template named {name!r}; known: {known}")
        return self._item(template, priority=0)

    def _item(self, template: JobTemplate, *, priority: int) -> CatalogItem:
        low, high = template.price_range_cents
        price = self.faker.random_int(low // 500, high // 500) * 500  # whole $5 steps read like real prices
        return CatalogItem(name=template.name, aliases=template.aliases, price_cents=price,
                           duration_minutes=template.duration_minutes, priority=priority)

    def business_hours(self) -> dict[str, list[str]]:
        return {day: list(span) for day, span in DEFAULT_HOURS.items()}

    def resolve_catalog(self, options: TenantOptions) -> list[CatalogItem]:
        if options.catalog is None:
            return self.catalog(options.catalog_size)
        items: list[CatalogItem] = []
        for entry in options.catalog:
            if isinstance(entry, CatalogItem):
                items.append(entry)
            elif isinstance(entry, str):
                items.append(self.catalog_item(entry))
            else:
                items.append(CatalogItem.from_api(entry))
        return items
