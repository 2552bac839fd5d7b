"""Navigation entries; each domain's views register theirs, so the layout knows no domain."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    order: int
    owner_only: bool = False


_items: dict[str, NavItem] = {}


def register(label: str, path: str, *, order: int, owner_only: bool = False) -> None:
    _items[path] = NavItem(label=label, path=path, order=order, owner_only=owner_only)


def items_for(*, is_owner: bool) -> list[NavItem]:
    return sorted((i for i in _items.values() if is_owner or not i.owner_only), key=lambda i: i.order)
