"""Imports every domain module that registers outbox handlers, so any worker process knows them all."""

from __future__ import annotations

from app.billing import handlers as billing_handlers  # noqa: F401
from app.booking import skill as booking_skill  # noqa: F401  the assistant's booking skill
from app.calendars import events as calendar_events  # noqa: F401
from app.compliance import provisioning as compliance_provisioning  # noqa: F401  operator provisioner (brand)
from app.conversations import handlers as conversation_handlers  # noqa: F401
from app.reporting import handlers as reporting_handlers  # noqa: F401
from app.scheduling import events as scheduling_events  # noqa: F401
