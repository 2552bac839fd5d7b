"""Imports every domain's models so the metadata is complete (Alembic, tests)."""

from __future__ import annotations

from app.db import Base
from app.identity import models as identity_models  # noqa: F401
from app.outbox import models as outbox_models  # noqa: F401
from app.tenancy import models as tenancy_models  # noqa: F401

metadata = Base.metadata
