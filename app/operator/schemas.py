"""Request and response bodies of the operator API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class UserSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=8, max_length=1024)
    name: str = Field(default="", max_length=200)


class CatalogItemSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    aliases: list[str] = Field(default_factory=list, max_length=50)
    price_cents: int
    duration_minutes: int
    priority: int = 0
    active: bool = True


class BusinessHoursSpec(BaseModel):
    """Opening hours per weekday ("mon".."sun") as ["HH:MM", "HH:MM"] in the tenant's time zone."""

    model_config = ConfigDict(extra="forbid")
    mon: list[str] | None = None
    tue: list[str] | None = None
    wed: list[str] | None = None
    thu: list[str] | None = None
    fri: list[str] | None = None
    sat: list[str] | None = None
    sun: list[str] | None = None


class CreateTenantRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    timezone: str = Field(default="UTC", max_length=64)
    owner: UserSpec
    techs: list[UserSpec] = Field(default_factory=list, max_length=20)
    phone_number: str | None = Field(default=None, max_length=20)
    compliance: Literal["approved", "pending", "none"] = "none"
    catalog: list[CatalogItemSpec] = Field(default_factory=list, max_length=200)
    business_hours: BusinessHoursSpec | None = None
    ephemeral: bool = True
    ttl_seconds: int | None = Field(default=None, ge=1, le=30 * 24 * 3600)
    labels: dict[str, str] = Field(default_factory=dict)
    sessions: bool = Field(default=False, description="also mint a session for every user (users[].session), "
                                                       "saving a POST .../sessions per user")


class SessionOut(BaseModel):
    cookie_name: str
    cookie_value: str
    token: str
    user_id: str
    expires_at: datetime


class UserOut(BaseModel):
    id: str
    email: str
    name: str
    role: str
    active: bool
    session: SessionOut | None = Field(default=None, description="only in a create response that asked for sessions")


class TenantOut(BaseModel):
    id: str
    name: str
    timezone: str
    phone_number: str | None
    phone_numbers: list[str]
    compliance_status: str
    billing_state: str
    ephemeral: bool
    expires_at: datetime | None
    labels: dict[str, Any]
    users: list[UserOut]
    created_at: datetime
    extra: dict[str, Any] = Field(default_factory=dict, description="what domain provisioners report")


class TenantList(BaseModel):
    tenants: list[TenantOut]


class SessionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: str = Field(min_length=1, max_length=254, description="user id or email")
    ttl_seconds: int | None = Field(default=None, ge=0, le=30 * 86400,
                                    description="the session's life instead of SESSION_TTL_SECONDS; 0 = already expired")


class ClockRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    now: datetime | None = None
    advance_seconds: float | None = Field(default=None, ge=-10 * 365 * 86400, le=10 * 365 * 86400)


class ClockOut(BaseModel):
    tenant_id: str
    now: datetime
    offset_seconds: float


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    active: bool


class OutboxOut(BaseModel):
    tenant_id: str
    pending: int = Field(description="events of the tenant not handled yet, those being handled included")
    next_due_in_seconds: float | None = Field(
        description="when the earliest pending event is due, from now (0 or less: due now); null when none is pending")
    calendar_due_in_seconds: float | None = Field(
        default=None, description="when the calendar poll next has work for the tenant (a sync or a push channel "
        "renewal due on its clock), from now (0 or less: due now); null without a calendar connection")
