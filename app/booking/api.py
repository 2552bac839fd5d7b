"""Booking-link JSON API: quote a job for a customer and get the link to their booking page."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.api_errors import AUTH_ERRORS, error_responses
from app.booking import service as booking_service
from app.catalog import service as catalog_service
from app.catalog.api import QuoteOut
from app.deps import AppSettings, CurrentAuth, DbSession
from app.scheduling.api import SlotOut, slot_out

router = APIRouter(prefix="/api/v1", tags=["booking"])


class BookingLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_id: str | None = Field(default=None, max_length=64)
    text: str | None = Field(default=None, min_length=1, max_length=catalog_service.MAX_DESCRIPTION_LENGTH,
                             description="a job description; the best catalog match is quoted")
    customer_phone: str | None = Field(default=None, max_length=20, description="E.164, e.g. +15550100123")

    @model_validator(mode="after")
    def _exactly_one(self) -> BookingLinkIn:
        if (self.item_id is None) == (self.text is None):
            raise ValueError("give exactly one of item_id or text")
        return self


class BookingLinkOut(BaseModel):
    token: str
    url: str
    quote: QuoteOut
    offers: list[SlotOut]
    expires_at: datetime


@router.post("/booking-links", status_code=201, response_model=BookingLinkOut,
             responses=error_responses(*AUTH_ERRORS, 404, 410))
def create_booking_link(body: BookingLinkIn, db: DbSession, auth: CurrentAuth, settings: AppSettings) -> BookingLinkOut:
    """Quotes an item (404 unknown, 410 inactive) or a description (422 no match) and makes its booking page."""
    tenant = auth.tenant
    if body.item_id is not None:
        quote = catalog_service.quote(db=db, tenant_id=tenant.id, item_id=body.item_id)
    else:
        assert body.text is not None
        quote = catalog_service.quote_for_description(db=db, tenant_id=tenant.id, description=body.text)
    link = booking_service.create_link(db=db, tenant=tenant, quote=quote, job_description=body.text or "",
                                       customer_phone=body.customer_phone)
    slots = booking_service.offers_for(db=db, tenant=tenant, link=link, remember=True)
    db.commit()
    return BookingLinkOut(
        token=link.token, url=booking_service.link_url(link.token, base_url=settings.public_base_url),
        quote=QuoteOut.of(quote), offers=[slot_out(s, tenant) for s in slots], expires_at=link.expires_at,
    )
