"""Imports every domain's models so the metadata is complete (Alembic, tests)."""

from __future__ import annotations

from app.billing import models as billing_models  # noqa: F401
from app.booking import models as booking_models  # noqa: F401
from app.calendars import models as calendar_models  # noqa: F401
from app.catalog import models as catalog_models  # noqa: F401
from app.compliance import models as compliance_models  # noqa: F401
from app.conversations import models as conversation_models  # noqa: F401
from app.db import Base
from app.identity import models as identity_models  # noqa: F401
from app.outbox import models as outbox_models  # noqa: F401
from app.reporting import models as reporting_models  # noqa: F401
from app.scheduling import models as scheduling_models  # noqa: F401
from app.telephony import models as telephony_models  # noqa: F401
from app.tenancy import models as tenancy_models  # noqa: F401

metadata = Base.metadata
