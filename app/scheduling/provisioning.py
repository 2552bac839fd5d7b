"""Scheduling part of tenant creation: refuse business hours the scheduler could not read."""

from __future__ import annotations

from app.operator.service import ProvisionContext, provisioner
from app.scheduling import service as scheduling_service


@provisioner
def check_business_hours(ctx: ProvisionContext) -> None:
    """422 (and no tenant) for malformed hours; reports the hours in effect (the default when none given)."""
    scheduling_service.parse_business_hours(ctx.tenant.business_hours)
    ctx.report["business_hours"] = ctx.tenant.business_hours or scheduling_service.DEFAULT_BUSINESS_HOURS
