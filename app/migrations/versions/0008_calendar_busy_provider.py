"""calendar_busy names its provider (google | jobber): Jobber's visits join Google's events in the shadow table

Revision ID: 0008_calendar_busy_provider
Revises: 0007_calendars
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008_calendar_busy_provider'
down_revision: str | Sequence[str] | None = '0007_calendars'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every row so far came from Google: the only provider before this revision.
    with op.batch_alter_table('calendar_busy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provider', sa.String(length=16), nullable=False, server_default='google'))


def downgrade() -> None:
    with op.batch_alter_table('calendar_busy', schema=None) as batch_op:
        batch_op.drop_column('provider')
