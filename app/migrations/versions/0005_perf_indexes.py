"""perf indexes: a partial index of pending outbox events in claim order; merges the domain heads

Why: the worker claims with `WHERE status = 'pending' ... ORDER BY seq LIMIT n`. With only the
(status, available_at) and (seq) indexes, PostgreSQL may walk ix_outbox_events_seq through every
handled event when its statistics still remember a burst of pending ones: 176 ms per claim with
300,000 handled events (bench/README.md), against 0.6 ms with this index, which holds pending events only.

Revision ID: 0005_perf_indexes
Revises: 0002_messaging, 0003_booking, 0004_billing
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005_perf_indexes'
down_revision: str | Sequence[str] | None = ('0002_messaging', '0003_booking', '0004_billing')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_events_pending_seq', ['seq'], unique=False,
                              postgresql_where=PENDING, sqlite_where=PENDING)


def downgrade() -> None:
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_events_pending_seq', postgresql_where=PENDING, sqlite_where=PENDING)
