"""Catalog part of tenant creation: the operator API's `catalog` items become catalog rows."""

from __future__ import annotations

from app.catalog import service as catalog_service
from app.operator.service import ProvisionContext, provisioner


@provisioner
def provision_catalog(ctx: ProvisionContext) -> None:
    """Creates the items of spec.catalog in one batch; a bad item fails the whole tenant creation (422/409)."""
    items = catalog_service.create_items(db=ctx.db, tenant_id=ctx.tenant.id, items=[
        catalog_service.NewItem(name=spec.name, aliases=spec.aliases, price_cents=spec.price_cents,
                                duration_minutes=spec.duration_minutes, priority=spec.priority, active=spec.active)
        for spec in ctx.spec.catalog
    ], new_tenant=True)
    ctx.report["catalog_items"] = [{"id": item.id, "name": item.name} for item in items]
