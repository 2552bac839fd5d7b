"""calendar push channels expire: what renewing one needs (its resource id, when it expires)

Revision ID: 0009_calendar_channels
Revises: 0008_calendar_busy_provider
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009_calendar_channels'
down_revision: str | Sequence[str] | None = '0008_calendar_busy_provider'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('calendar_connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel_resource_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('channel_expires_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('calendar_connections', schema=None) as batch_op:
        batch_op.drop_column('channel_expires_at')
        batch_op.drop_column('channel_resource_id')
