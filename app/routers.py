"""The list of domain routers, in one place so main.py stays an assembly line."""

from __future__ import annotations

from fastapi import APIRouter


def domain_routers() -> list[APIRouter]:
    # Imported here so importing app.main does not drag in every domain at module load.
    from app.billing import api as billing_api
    from app.billing import views as billing_views
    from app.booking import api as booking_api
    from app.booking import views as booking_views
    from app.calendars import views as calendar_views
    from app.catalog import api as catalog_api
    from app.catalog import views as catalog_views
    from app.compliance import api as compliance_api
    from app.compliance import views as compliance_views
    from app.conversations import api as conversation_api
    from app.conversations import views as conversation_views
    from app.reporting import api as reporting_api
    from app.reporting import views as reporting_views
    from app.scheduling import api as scheduling_api
    from app.scheduling import views as scheduling_views
    from app.telephony import webhooks as telephony_webhooks

    return [
        conversation_views.router, conversation_api.router, telephony_webhooks.router,
        compliance_views.router, compliance_api.router, reporting_views.router, reporting_api.router,
        billing_views.router, billing_api.router, billing_api.webhook_router,
        catalog_views.router, catalog_api.router, scheduling_views.router, scheduling_api.router,
        booking_views.router, booking_api.router, calendar_views.router, calendar_views.webhook_router,
    ]
