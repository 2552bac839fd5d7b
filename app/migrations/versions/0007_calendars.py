"""calendars: external calendar connections and the shadow table of their busy time (app/calendars)

Revision ID: 0007_calendars
Revises: 0006_session_version
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007_calendars'
down_revision: str | Sequence[str] | None = '0006_session_version'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('calendar_connections',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('calendar_id', sa.String(length=255), nullable=False),
    sa.Column('access_token', sa.Text(), nullable=False),
    sa.Column('refresh_token', sa.Text(), nullable=True),
    sa.Column('sync_token', sa.Text(), nullable=True),
    sa.Column('channel_id', sa.String(length=64), nullable=True),
    sa.Column('channel_token', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_synced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_poll_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_calendar_connections_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_connections')),
    sa.UniqueConstraint('channel_id', name=op.f('uq_calendar_connections_channel_id')),
    sa.UniqueConstraint('tenant_id', 'provider', name=op.f('uq_calendar_connections_tenant_id_provider'))
    )
    with op.batch_alter_table('calendar_connections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_connections_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('calendar_busy',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('connection_id', sa.String(length=32), nullable=False),
    sa.Column('external_id', sa.String(length=1024), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('summary', sa.String(length=200), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['calendar_connections.id'], name=op.f('fk_calendar_busy_connection_id_calendar_connections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_calendar_busy_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_busy')),
    sa.UniqueConstraint('connection_id', 'external_id', name=op.f('uq_calendar_busy_connection_id_external_id'))
    )
    with op.batch_alter_table('calendar_busy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_busy_connection_id'), ['connection_id'], unique=False)
        batch_op.create_index('ix_calendar_busy_tenant_span', ['tenant_id', 'starts_at', 'ends_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('calendar_busy', schema=None) as batch_op:
        batch_op.drop_index('ix_calendar_busy_tenant_span')
        batch_op.drop_index(batch_op.f('ix_calendar_busy_connection_id'))

    op.drop_table('calendar_busy')
    with op.batch_alter_table('calendar_connections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_connections_tenant_id'))

    op.drop_table('calendar_connections')
