"""Catalog operations: CRUD with bounds, matching a job description, quoting.

Bounds (also CHECK constraints in the database, see models.py):
- name: 1..120 characters, unique per tenant ignoring case and repeated spaces;
- aliases: up to 20, each 1..60 characters, stored lowercase with single spaces, duplicates dropped;
- price: 1..10,000,000 cents ($0.01..$100,000);
- duration: 15..480 minutes in 15-minute steps (the scheduling block size);
- priority: 0..100, higher wins a tie (see `match`).

Matching works on words: the job description and every name/alias are lowercased and reduced to
words, and a name or alias matches where its words appear in a row in the description; the last
word may carry a plain English suffix (s, es, ed, ing), so "leak" matches "leaking".
Ranking: the longer matched text wins; then the higher priority; then a match on the item's own
name beats a match on an alias; then the name, alphabetically, so the result is deterministic.
Only active items are matched: an inactive item is no longer offered to customers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.catalog.models import (
    DURATION_STEP_MINUTES,
    MAX_DURATION_MINUTES,
    MAX_PRICE_CENTS,
    MAX_PRIORITY,
    MIN_DURATION_MINUTES,
    MIN_PRICE_CENTS,
    MIN_PRIORITY,
    CatalogItem,
)
from app.errors import Conflict, Gone, NotFound, ValidationFailed

MAX_NAME_LENGTH = 120
MAX_ALIASES = 20
MAX_ALIAS_LENGTH = 60
MAX_DESCRIPTION_LENGTH = 2000
MATCH_SUFFIXES = ("s", "es", "ed", "ing")

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")


def is_id(value: object) -> bool:
    """Our ids are 32 hex characters; anything else cannot name a row (and never reaches SQL)."""
    return isinstance(value, str) and bool(ID_PATTERN.match(value))


# --- validation ------------------------------------------------------------------------------------
def clean_name(name: str) -> str:
    """Trims and collapses spaces; 422 when empty or too long."""
    if _CONTROL.search(name or ""):
        raise ValidationFailed("name must not contain control characters", code="invalid_name")
    cleaned = _SPACES.sub(" ", (name or "").strip())
    if not cleaned:
        raise ValidationFailed("name must not be empty", code="invalid_name")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise ValidationFailed(f"name must be at most {MAX_NAME_LENGTH} characters", code="invalid_name")
    return cleaned


def name_key(name: str) -> str:
    """What uniqueness compares: the cleaned name, case-folded."""
    return clean_name(name).casefold()


def clean_aliases(aliases: Sequence[str], *, item_name: str) -> list[str]:
    """Lowercases and dedupes aliases; 422 for an empty, overlong or wordless alias, or too many."""
    if isinstance(aliases, str):
        raise ValidationFailed("aliases must be a list of strings", code="invalid_alias")
    result: list[str] = []
    own_key = name_key(item_name)
    for raw in aliases:
        if not isinstance(raw, str):
            raise ValidationFailed("aliases must be strings", code="invalid_alias")
        alias = _SPACES.sub(" ", raw.strip()).lower()
        if not alias or not words(alias) or _CONTROL.search(alias):
            raise ValidationFailed(f"alias {raw!r} has no words in it", code="invalid_alias")
        if len(alias) > MAX_ALIAS_LENGTH:
            raise ValidationFailed(f"alias {raw!r} is longer than {MAX_ALIAS_LENGTH} characters", code="invalid_alias")
        if alias != own_key and alias not in result:
            result.append(alias)
    if len(result) > MAX_ALIASES:
        raise ValidationFailed(f"at most {MAX_ALIASES} aliases per item", code="invalid_alias")
    return result


def check_price(price_cents: int) -> int:
    if isinstance(price_cents, bool) or not isinstance(price_cents, int) or not (
        MIN_PRICE_CENTS <= price_cents <= MAX_PRICE_CENTS
    ):
        raise ValidationFailed(
            f"price must be between {MIN_PRICE_CENTS} and {MAX_PRICE_CENTS} cents", code="price_out_of_bounds"
        )
    return price_cents


def check_duration(duration_minutes: int) -> int:
    if (
        isinstance(duration_minutes, bool)
        or not isinstance(duration_minutes, int)
        or not (MIN_DURATION_MINUTES <= duration_minutes <= MAX_DURATION_MINUTES)
        or duration_minutes % DURATION_STEP_MINUTES
    ):
        raise ValidationFailed(
            f"duration must be {MIN_DURATION_MINUTES}..{MAX_DURATION_MINUTES} minutes "
            f"in steps of {DURATION_STEP_MINUTES}",
            code="duration_out_of_bounds",
        )
    return duration_minutes


def check_priority(priority: int) -> int:
    if isinstance(priority, bool) or not isinstance(priority, int) or not (MIN_PRIORITY <= priority <= MAX_PRIORITY):
        raise ValidationFailed(f"priority must be between {MIN_PRIORITY} and {MAX_PRIORITY}", code="priority_out_of_bounds")
    return priority


# --- CRUD ------------------------------------------------------------------------------------------
def _ensure_name_free(*, db: Session, tenant_id: str, key: str, except_id: str | None = None) -> None:
    query = select(CatalogItem.id).where(CatalogItem.tenant_id == tenant_id, CatalogItem.name_key == key)
    if except_id:
        query = query.where(CatalogItem.id != except_id)
    if db.scalar(query) is not None:
        raise Conflict("an item with this name already exists", code="duplicate_name")


def check_name(*, db: Session, tenant_id: str, name: str, except_id: str | None = None) -> str:
    """The cleaned name if the tenant may use it: 422 invalid, 409 taken (by another item than `except_id`)."""
    cleaned = clean_name(name)
    _ensure_name_free(db=db, tenant_id=tenant_id, key=cleaned.casefold(), except_id=except_id)
    return cleaned


def _flush_unique(db: Session, *items: CatalogItem) -> None:
    """Flushes in a savepoint, so a concurrent duplicate name is a 409 and the caller's transaction lives on."""
    try:
        with db.begin_nested():
            db.add_all(items)
            db.flush()
    except IntegrityError as exc:
        raise Conflict("an item with this name already exists", code="duplicate_name") from exc


@dataclass(frozen=True)
class NewItem:
    name: str
    price_cents: int
    duration_minutes: int
    aliases: Sequence[str] = ()
    priority: int = 0
    active: bool = True


def _validated(tenant_id: str, new: NewItem) -> CatalogItem:
    """The item as it would be stored; 422 for anything out of bounds. Not added to the session."""
    cleaned = clean_name(new.name)
    return CatalogItem(
        tenant_id=tenant_id,
        name=cleaned,
        name_key=cleaned.casefold(),
        aliases=clean_aliases(new.aliases, item_name=cleaned),
        price_cents=check_price(new.price_cents),
        duration_minutes=check_duration(new.duration_minutes),
        priority=check_priority(new.priority),
        active=bool(new.active),
    )


def create_item(
    *,
    db: Session,
    tenant_id: str,
    name: str,
    price_cents: int,
    duration_minutes: int,
    aliases: Sequence[str] = (),
    priority: int = 0,
    active: bool = True,
) -> CatalogItem:
    """Creates an item (not committed); 422 out of bounds, 409 duplicate name."""
    item = _validated(tenant_id, NewItem(name=name, price_cents=price_cents, duration_minutes=duration_minutes,
                                         aliases=aliases, priority=priority, active=active))
    _ensure_name_free(db=db, tenant_id=tenant_id, key=item.name_key)
    _flush_unique(db, item)
    return item


def create_items(*, db: Session, tenant_id: str, items: Sequence[NewItem], new_tenant: bool = False) -> list[CatalogItem]:
    """Creates several items at once (not committed): every item is validated first (422), then one
    query checks the names against the tenant's items and each other (409), and one flush inserts them
    all — a batch INSERT instead of a SELECT, SAVEPOINT, INSERT and RELEASE per item. Tenant creation
    through the operator API uses it; it runs on every seeded test tenant.

    `new_tenant`: the tenant was created in this very transaction, so it has no items yet and no other
    transaction can add any (its row is not committed): the name lookup and the savepoint are skipped.
    """
    built = [_validated(tenant_id, new) for new in items]
    keys = [item.name_key for item in built]
    if len(set(keys)) != len(keys):
        raise Conflict("two items have the same name", code="duplicate_name")
    if not built:
        return []
    if new_tenant:
        db.add_all(built)
        db.flush()
        return built
    taken = db.scalar(select(CatalogItem.id).where(CatalogItem.tenant_id == tenant_id,
                                                  CatalogItem.name_key.in_(keys)).limit(1))
    if taken is not None:
        raise Conflict("an item with this name already exists", code="duplicate_name")
    _flush_unique(db, *built)
    return built


def update_item(
    *,
    db: Session,
    item: CatalogItem,
    name: str | None = None,
    aliases: Sequence[str] | None = None,
    price_cents: int | None = None,
    duration_minutes: int | None = None,
    priority: int | None = None,
    active: bool | None = None,
) -> CatalogItem:
    """Changes the given fields (None = unchanged); validates everything before writing anything."""
    new_name = clean_name(name) if name is not None else item.name
    new_aliases = clean_aliases(aliases if aliases is not None else item.aliases, item_name=new_name)
    new_price = check_price(price_cents) if price_cents is not None else item.price_cents
    new_duration = check_duration(duration_minutes) if duration_minutes is not None else item.duration_minutes
    new_priority = check_priority(priority) if priority is not None else item.priority
    if new_name.casefold() != item.name_key:
        _ensure_name_free(db=db, tenant_id=item.tenant_id, key=new_name.casefold(), except_id=item.id)
    item.name, item.name_key, item.aliases = new_name, new_name.casefold(), new_aliases
    item.price_cents, item.duration_minutes, item.priority = new_price, new_duration, new_priority
    if active is not None:
        item.active = bool(active)
    _flush_unique(db, item)
    return item


def get_item(*, db: Session, tenant_id: str, item_id: str) -> CatalogItem:
    """Gets one of the tenant's items; anyone else's (or none) is a 404."""
    item = db.get(CatalogItem, item_id) if is_id(item_id) else None
    if item is None or item.tenant_id != tenant_id:
        raise NotFound("catalog item not found", code="item_not_found")
    return item


def list_items(*, db: Session, tenant_id: str, active_only: bool = False) -> list[CatalogItem]:
    """The tenant's items, active first, then by priority and name."""
    query = select(CatalogItem).where(CatalogItem.tenant_id == tenant_id)
    if active_only:
        query = query.where(CatalogItem.active.is_(True))
    query = query.order_by(CatalogItem.active.desc(), CatalogItem.priority.desc(), CatalogItem.name_key)
    return list(db.scalars(query))


# --- matching --------------------------------------------------------------------------------------
def words(text: str) -> str:
    """Lowercase words separated by single spaces: what matching compares."""
    return _NOT_WORD.sub(" ", (text or "").casefold()).strip()


@dataclass(frozen=True)
class Match:
    item: CatalogItem
    matched_text: str  # the name or alias that matched, in its matching form
    matched_on: Literal["name", "alias"]

    @property
    def rank_key(self) -> tuple[int, int, int, str]:
        """Sort ascending: longer text, then higher priority, then name over alias, then name."""
        return (-len(self.matched_text), -self.item.priority, 0 if self.matched_on == "name" else 1, self.item.name_key)


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    suffixes = "|".join(MATCH_SUFFIXES)
    return re.compile(rf"(?:^| ){re.escape(phrase)}(?:{suffixes})?(?= |$)")


def best_match_of(item: CatalogItem, description_words: str) -> Match | None:
    """The longest of the item's name and aliases found in the description (already reduced to words)."""
    candidates: list[tuple[str, Literal["name", "alias"]]] = [(words(item.name), "name")]
    candidates += [(words(alias), "alias") for alias in item.aliases or []]
    found = [
        Match(item=item, matched_text=phrase, matched_on=kind)
        for phrase, kind in candidates
        if phrase and _phrase_pattern(phrase).search(description_words)
    ]
    return min(found, key=lambda m: m.rank_key) if found else None


def rank(items: Sequence[CatalogItem], description: str) -> list[Match]:
    """Every item that matches the description, best first (the ranking rule in the module doc)."""
    text = words(description[:MAX_DESCRIPTION_LENGTH])
    if not text:
        return []
    matches = [m for m in (best_match_of(item, text) for item in items) if m is not None]
    return sorted(matches, key=lambda m: m.rank_key)


def match(*, db: Session, tenant_id: str, description: str) -> list[Match]:
    """The tenant's active items that match a free-text job description, best first."""
    return rank(list_items(db=db, tenant_id=tenant_id, active_only=True), description)


# --- quoting ---------------------------------------------------------------------------------------
def price_display(cents: int) -> str:
    """$149, $149.50, $1,250."""
    dollars, rest = divmod(cents, 100)
    return f"${dollars:,}" if rest == 0 else f"${dollars:,}.{rest:02d}"


def duration_display(minutes: int) -> str:
    """45 min, 1 h, 1 h 30 min."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" if not rest else f"{hours} h {rest} min"


@dataclass(frozen=True)
class Quote:
    item_id: str
    name: str
    price_cents: int
    duration_minutes: int

    @property
    def price_display(self) -> str:
        return price_display(self.price_cents)

    @property
    def duration_display(self) -> str:
        return duration_display(self.duration_minutes)

    @property
    def summary(self) -> str:
        """What the customer reads: "Leak repair: $149, about 1 h"."""
        return f"{self.name}: {self.price_display}, about {self.duration_display}"


def quote_item(item: CatalogItem) -> Quote:
    """The item's current price and duration; an inactive item is 410 (no longer offered)."""
    if not item.active:
        raise Gone(f"{item.name} is no longer offered", code="item_inactive")
    return Quote(item_id=item.id, name=item.name, price_cents=item.price_cents, duration_minutes=item.duration_minutes)


def quote(*, db: Session, tenant_id: str, item_id: str) -> Quote:
    """Quotes one item by id: 404 unknown, 410 inactive."""
    return quote_item(get_item(db=db, tenant_id=tenant_id, item_id=item_id))


def quote_for_description(*, db: Session, tenant_id: str, description: str) -> Quote:
    """Quotes the best match for a job description; 422 when nothing in the catalog matches."""
    matches = match(db=db, tenant_id=tenant_id, description=description)
    if not matches:
        raise ValidationFailed("no catalog item matches that description", code="no_catalog_match")
    return quote_item(matches[0].item)
