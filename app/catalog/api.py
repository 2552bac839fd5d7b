"""Catalog JSON API: CRUD (OWNER only), matching and quoting (OWNER and TECH)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.api_errors import AUTH_ERRORS, error_responses
from app.catalog import provisioning as _provisioning  # noqa: F401  registers the operator provisioner
from app.catalog import service as catalog_service
from app.catalog.models import CatalogItem
from app.deps import CurrentAuth, DbSession, OwnerAuth

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"])


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    aliases: list[str] = Field(default_factory=list, max_length=catalog_service.MAX_ALIASES)
    price_cents: int = Field(description="1..10,000,000")
    duration_minutes: int = Field(description="15..480 in steps of 15")
    priority: int = Field(default=0, description="0..100; higher wins a matching tie")
    active: bool = True


class ItemPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=120)
    aliases: list[str] | None = Field(default=None, max_length=catalog_service.MAX_ALIASES)
    price_cents: int | None = None
    duration_minutes: int | None = None
    priority: int | None = None
    active: bool | None = None


class ItemOut(BaseModel):
    id: str
    name: str
    aliases: list[str]
    price_cents: int
    duration_minutes: int
    priority: int
    active: bool
    price_display: str
    duration_display: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, item: CatalogItem) -> ItemOut:
        return cls(
            id=item.id, name=item.name, aliases=list(item.aliases or []), price_cents=item.price_cents,
            duration_minutes=item.duration_minutes, priority=item.priority, active=item.active,
            price_display=catalog_service.price_display(item.price_cents),
            duration_display=catalog_service.duration_display(item.duration_minutes),
            created_at=item.created_at, updated_at=item.updated_at,
        )


class ItemList(BaseModel):
    items: list[ItemOut]


class MatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=catalog_service.MAX_DESCRIPTION_LENGTH, description="a job description")


class MatchOut(BaseModel):
    item: ItemOut
    matched_text: str
    matched_on: Literal["name", "alias"]


class MatchList(BaseModel):
    matches: list[MatchOut] = Field(description="best first: longer matched text > priority > exact name")


class QuoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_id: str | None = Field(default=None, max_length=64)
    text: str | None = Field(default=None, min_length=1, max_length=catalog_service.MAX_DESCRIPTION_LENGTH)

    @model_validator(mode="after")
    def _exactly_one(self) -> QuoteRequest:
        if (self.item_id is None) == (self.text is None):
            raise ValueError("give exactly one of item_id or text")
        return self


class QuoteOut(BaseModel):
    item_id: str
    name: str
    price_cents: int
    duration_minutes: int
    price_display: str
    duration_display: str
    summary: str

    @classmethod
    def of(cls, quote: catalog_service.Quote) -> QuoteOut:
        return cls(
            item_id=quote.item_id, name=quote.name, price_cents=quote.price_cents,
            duration_minutes=quote.duration_minutes, price_display=quote.price_display,
            duration_display=quote.duration_display, summary=quote.summary,
        )


@router.get("/items", response_model=ItemList, responses=error_responses(*AUTH_ERRORS))
def list_items(db: DbSession, auth: OwnerAuth, active_only: bool = False) -> ItemList:
    items = catalog_service.list_items(db=db, tenant_id=auth.tenant.id, active_only=active_only)
    return ItemList(items=[ItemOut.of(i) for i in items])


@router.post("/items", status_code=201, response_model=ItemOut, responses=error_responses(*AUTH_ERRORS, 409))
def create_item(body: ItemIn, db: DbSession, auth: OwnerAuth) -> ItemOut:
    """Adds an item; 409 when the name exists (ignoring case), 422 out of bounds."""
    item = catalog_service.create_item(db=db, tenant_id=auth.tenant.id, **body.model_dump())
    db.commit()
    return ItemOut.of(item)


@router.get("/items/{item_id}", response_model=ItemOut, responses=error_responses(*AUTH_ERRORS, 404))
def get_item(item_id: str, db: DbSession, auth: OwnerAuth) -> ItemOut:
    return ItemOut.of(catalog_service.get_item(db=db, tenant_id=auth.tenant.id, item_id=item_id))


@router.patch("/items/{item_id}", response_model=ItemOut, responses=error_responses(*AUTH_ERRORS, 404, 409))
def update_item(item_id: str, body: ItemPatch, db: DbSession, auth: OwnerAuth) -> ItemOut:
    """Changes the fields given; `active: false` deactivates (quotes then answer 410)."""
    item = catalog_service.get_item(db=db, tenant_id=auth.tenant.id, item_id=item_id)
    catalog_service.update_item(db=db, item=item, **body.model_dump(exclude_unset=True))
    db.commit()
    return ItemOut.of(item)


@router.delete("/items/{item_id}", status_code=204, responses=error_responses(*AUTH_ERRORS, 404))
def deactivate_item(item_id: str, db: DbSession, auth: OwnerAuth) -> Response:
    """Deactivates the item. Items are never deleted: booked appointments keep pointing at them."""
    item = catalog_service.get_item(db=db, tenant_id=auth.tenant.id, item_id=item_id)
    catalog_service.update_item(db=db, item=item, active=False)
    db.commit()
    return Response(status_code=204)


@router.post("/match", response_model=MatchList, responses=error_responses(*AUTH_ERRORS))
def match(body: MatchRequest, db: DbSession, auth: CurrentAuth) -> MatchList:
    """Active items matching a job description, best first."""
    matches = catalog_service.match(db=db, tenant_id=auth.tenant.id, description=body.text)
    return MatchList(matches=[
        MatchOut(item=ItemOut.of(m.item), matched_text=m.matched_text, matched_on=m.matched_on) for m in matches
    ])


@router.post("/quote", response_model=QuoteOut, responses=error_responses(*AUTH_ERRORS, 404, 410))
def quote(body: QuoteRequest, db: DbSession, auth: CurrentAuth) -> QuoteOut:
    """Quotes an item by id (404 unknown, 410 inactive) or the best match for a description (422 none)."""
    if body.item_id is not None:
        return QuoteOut.of(catalog_service.quote(db=db, tenant_id=auth.tenant.id, item_id=body.item_id))
    assert body.text is not None
    return QuoteOut.of(catalog_service.quote_for_description(db=db, tenant_id=auth.tenant.id, description=body.text))
