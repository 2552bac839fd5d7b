"""The price catalog the fake serves (Stripe prices are created in the dashboard; here, by config).

Configure with ``--prices`` or ``STRIPE_FAKE_PRICES``: a JSON list (or ``@path/to/file.json``) of
``{"id", "product_name", "unit_amount", "currency"?, "interval"?, "interval_count"?, "lookup_key"?,
"product"?}``. Without configuration the catalog is :data:`DEFAULT_PRICES`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INTERVALS = ("day", "week", "month", "year")


@dataclass(frozen=True)
class CatalogPrice:
    id: str
    product_name: str
    unit_amount: int
    currency: str = "usd"
    interval: str = "month"
    interval_count: int = 1
    lookup_key: str | None = None
    product: str | None = None

    @property
    def product_id(self) -> str:
        # A stable product id derived from the price id, so the catalog reads the same every run.
        return self.product or "prod_" + re.sub(r"^price_", "", self.id)


DEFAULT_PRICES: tuple[CatalogPrice, ...] = (
    CatalogPrice(
        id="price_nmc_monthly",
        product_name="NeverMissCall Pro",
        unit_amount=4900,
        lookup_key="nmc_pro_monthly",
        product="prod_nmc_pro",
    ),
    CatalogPrice(
        id="price_nmc_yearly",
        product_name="NeverMissCall Pro",
        unit_amount=49000,
        interval="year",
        lookup_key="nmc_pro_yearly",
        product="prod_nmc_pro",
    ),
)


def _price_from_json(entry: Any, index: int) -> CatalogPrice:
    where = f"price #{index}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where} must be a JSON object")
    unknown = set(entry) - {f for f in CatalogPrice.__dataclass_fields__}
    if unknown:
        raise ValueError(f"{where} has unknown field(s): {', '.join(sorted(unknown))}")
    price_id = entry.get("id")
    if not isinstance(price_id, str) or not price_id.startswith("price_"):
        raise ValueError(f"{where}: id must be a string starting with 'price_'")
    name = entry.get("product_name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{where} ({price_id}): product_name is required")
    amount = entry.get("unit_amount")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValueError(f"{where} ({price_id}): unit_amount must be a non-negative integer (cents)")
    currency = entry.get("currency", "usd")
    if not isinstance(currency, str) or not re.fullmatch(r"[a-z]{3}", currency):
        raise ValueError(f"{where} ({price_id}): currency must be a lowercase ISO code such as 'usd'")
    interval = entry.get("interval", "month")
    if interval not in INTERVALS:
        raise ValueError(f"{where} ({price_id}): interval must be one of {', '.join(INTERVALS)}")
    count = entry.get("interval_count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"{where} ({price_id}): interval_count must be a positive integer")
    for optional in ("lookup_key", "product"):
        if entry.get(optional) is not None and not isinstance(entry[optional], str):
            raise ValueError(f"{where} ({price_id}): {optional} must be a string")
    return CatalogPrice(
        id=price_id,
        product_name=name,
        unit_amount=amount,
        currency=currency,
        interval=interval,
        interval_count=count,
        lookup_key=entry.get("lookup_key"),
        product=entry.get("product"),
    )


def parse_catalog(text: str) -> tuple[CatalogPrice, ...]:
    """Parse the ``--prices`` value: JSON text, or ``@file`` holding it. Raises ValueError with the reason."""
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"cannot read price catalog file {text[1:]!r}: {exc}") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"price catalog is not valid JSON: {exc}") from exc
    if not isinstance(data, list) or not data:
        raise ValueError("price catalog must be a non-empty JSON list of prices")
    prices = tuple(_price_from_json(entry, index) for index, entry in enumerate(data))
    ids = [price.id for price in prices]
    duplicates = sorted({price_id for price_id in ids if ids.count(price_id) > 1})
    if duplicates:
        raise ValueError(f"price catalog repeats id(s): {', '.join(duplicates)}")
    return prices
