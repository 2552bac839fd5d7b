"""Catalog part of tenant creation: the operator API's `catalog` items become catalog rows."""

from __future__ import annotations

from app.catalog import service as catalog_service
from app.operator.service import ProvisionContext, provisioner


@provisioner
def provision_catalog(ctx: ProvisionContext) -> None:
    """Creates each item of spec.catalog; a bad item fails the whole tenant creation (422/409)."""
    created = []
    for spec in ctx.spec.catalog:
        item = catalog_service.create_item(
            db=ctx.db, tenant_id=ctx.tenant.id, name=spec.name, aliases=spec.aliases, price_cents=spec.price_cents,
            duration_minutes=spec.duration_minutes, priority=spec.priority, active=spec.active,
        )
        created.append({"id": item.id, "name": item.name})
    ctx.report["catalog_items"] = created
