"""Catalog page (OWNER only): list, add, edit, deactivate and reactivate items.

New items are active; the Deactivate / Activate buttons of each row switch that (an inactive item
is never matched and quoting it answers 410).

Forms post and redirect (303) on success; on invalid input the form is shown again (422) with a
message next to the field, the values the owner typed, and a summary at the top.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.catalog import service as catalog_service
from app.catalog.models import (
    DURATION_STEP_MINUTES,
    MAX_DURATION_MINUTES,
    MAX_PRIORITY,
    MIN_DURATION_MINUTES,
    MIN_PRIORITY,
    CatalogItem,
)
from app.deps import DbSession, OwnerAuth
from app.errors import AppError
from app.ui import nav
from app.ui.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)
nav.register("Catalog", "/catalog", order=60, owner_only=True)

# Which form field each service error code belongs to.
FIELD_OF_CODE = {
    "invalid_name": "name", "duplicate_name": "name", "invalid_alias": "aliases", "price_out_of_bounds": "price",
    "duration_out_of_bounds": "duration", "priority_out_of_bounds": "priority",
}
DURATION_CHOICES = list(range(MIN_DURATION_MINUTES, MAX_DURATION_MINUTES + 1, DURATION_STEP_MINUTES))
_PRICE = re.compile(r"^\$?\s*(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$")
NOTICES = {"added": "Item added.", "saved": "Changes saved.", "deactivated": "Item deactivated: it is no longer quoted.",
           "activated": "Item active again."}


@dataclass
class ItemForm:
    """What the form shows: the values as typed, and per-field messages."""

    name: str = ""
    aliases: str = ""
    price: str = ""
    duration: str = "60"
    priority: str = "0"
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, item: CatalogItem) -> ItemForm:
        return cls(
            name=item.name, aliases=", ".join(item.aliases or []), price=f"{item.price_cents / 100:.2f}",
            duration=str(item.duration_minutes), priority=str(item.priority),
        )


def parse_price(text: str) -> int | None:
    """Dollars as typed ("149", "149.50", "$1,250") to cents; None when it is not a price."""
    cleaned = text.strip()
    if not _PRICE.match(cleaned):
        return None
    try:
        return int((Decimal(cleaned.lstrip("$").strip().replace(",", "")) * 100).to_integral_value())
    except InvalidOperation:
        return None


def parse_int(text: str) -> int | None:
    cleaned = text.strip()
    return int(cleaned) if re.fullmatch(r"-?\d{1,9}", cleaned) else None


def values_of(form: ItemForm) -> dict[str, Any]:
    """The service arguments from the form, or the per-field messages for what could not be read."""
    price, duration, priority = parse_price(form.price), parse_int(form.duration), parse_int(form.priority)
    if price is None:
        form.errors["price"] = "Enter a price in dollars, like 149 or 149.50."
    if duration is None:
        form.errors["duration"] = "Choose a duration."
    if priority is None:
        form.errors["priority"] = f"Enter a whole number from {MIN_PRIORITY} to {MAX_PRIORITY}."
    aliases = [a for a in (part.strip() for part in form.aliases.split(",")) if a]
    return {"name": form.name, "aliases": aliases, "price_cents": price, "duration_minutes": duration,
            "priority": priority}


def record_error(form: ItemForm, exc: AppError) -> None:
    form.errors[FIELD_OF_CODE.get(exc.code, "name")] = exc.detail[:1].upper() + exc.detail[1:] + "."


def check_name_too(db: DbSession, tenant_id: str, form: ItemForm, except_id: str | None = None) -> None:
    """When other fields could not be read, still tell the owner about the name, so one round fixes all."""
    try:
        catalog_service.check_name(db=db, tenant_id=tenant_id, name=form.name, except_id=except_id)
    except AppError as exc:
        record_error(form, exc)


def page(request: Request, db: DbSession, auth: OwnerAuth, *, form: ItemForm | None = None,
         editing: CatalogItem | None = None, status_code: int = 200, notice: str = "") -> Response:
    items = catalog_service.list_items(db=db, tenant_id=auth.tenant.id)
    context = {
        "items": items, "form": form or ItemForm(), "editing": editing, "notice": notice,
        "duration_choices": DURATION_CHOICES, "price_display": catalog_service.price_display,
        "duration_display": catalog_service.duration_display, "min_priority": MIN_PRIORITY, "max_priority": MAX_PRIORITY,
    }
    return render(request, "catalog/index.html", context, status_code=status_code)


def form_from(name: str, aliases: str, price: str, duration: str, priority: str) -> ItemForm:
    return ItemForm(name=name, aliases=aliases, price=price, duration=duration, priority=priority)


@router.get("/catalog")
def catalog_page(request: Request, db: DbSession, auth: OwnerAuth, notice: str = "") -> Response:
    return page(request, db, auth, notice=NOTICES.get(notice, ""))


@router.post("/catalog")
def add_item(
    request: Request,
    db: DbSession,
    auth: OwnerAuth,
    name: Annotated[str, Form(max_length=500)] = "",
    aliases: Annotated[str, Form(max_length=5000)] = "",
    price: Annotated[str, Form(max_length=50)] = "",
    duration: Annotated[str, Form(max_length=10)] = "",
    priority: Annotated[str, Form(max_length=10)] = "0",
) -> Response:
    form = form_from(name, aliases, price, duration, priority)
    values = values_of(form)
    if form.errors:
        check_name_too(db, auth.tenant.id, form)
    else:
        try:
            catalog_service.create_item(db=db, tenant_id=auth.tenant.id, **values)
        except AppError as exc:
            record_error(form, exc)
    if form.errors:
        db.rollback()
        return page(request, db, auth, form=form, status_code=422)
    db.commit()
    return RedirectResponse("/catalog?notice=added", status_code=303)


@router.get("/catalog/{item_id}/edit")
def edit_page(item_id: str, request: Request, db: DbSession, auth: OwnerAuth) -> Response:
    item = catalog_service.get_item(db=db, tenant_id=auth.tenant.id, item_id=item_id)
    return page(request, db, auth, form=ItemForm.of(item), editing=item)


@router.post("/catalog/{item_id}")
def save_item(
    item_id: str,
    request: Request,
    db: DbSession,
    auth: OwnerAuth,
    name: Annotated[str, Form(max_length=500)] = "",
    aliases: Annotated[str, Form(max_length=5000)] = "",
    price: Annotated[str, Form(max_length=50)] = "",
    duration: Annotated[str, Form(max_length=10)] = "",
    priority: Annotated[str, Form(max_length=10)] = "0",
) -> Response:
    item = catalog_service.get_item(db=db, tenant_id=auth.tenant.id, item_id=item_id)
    form = form_from(name, aliases, price, duration, priority)
    values = values_of(form)
    if form.errors:
        check_name_too(db, auth.tenant.id, form, except_id=item.id)
    else:
        try:
            catalog_service.update_item(db=db, item=item, **values)
        except AppError as exc:
            record_error(form, exc)
    if form.errors:
        db.rollback()
        item = catalog_service.get_item(db=db, tenant_id=auth.tenant.id, item_id=item_id)
        return page(request, db, auth, form=form, editing=item, status_code=422)
    db.commit()
    return RedirectResponse("/catalog?notice=saved", status_code=303)


@router.post("/catalog/{item_id}/deactivate")
def deactivate_item(item_id: str, db: DbSession, auth: OwnerAuth) -> Response:
    item = catalog_service.get_item(db=db, tenant_id=auth.tenant.id, item_id=item_id)
    catalog_service.update_item(db=db, item=item, active=False)
    db.commit()
    return RedirectResponse("/catalog?notice=deactivated", status_code=303)


@router.post("/catalog/{item_id}/activate")
def activate_item(item_id: str, db: DbSession, auth: OwnerAuth) -> Response:
    item = catalog_service.get_item(db=db, tenant_id=auth.tenant.id, item_id=item_id)
    catalog_service.update_item(db=db, item=item, active=True)
    db.commit()
    return RedirectResponse("/catalog?notice=activated", status_code=303)
