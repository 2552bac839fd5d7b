"""booking: catalog_items, scheduling_holds, appointments, occupied_blocks, booking_links

Revision ID: 0003_booking
Revises: 0001_foundation
Create Date: 2026-11-22

occupied_blocks has UNIQUE (tenant_id, block_start): the database itself refuses a double booking.
Downgrade drops the five tables (and their data) in dependency order.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003_booking'
down_revision: str | Sequence[str] | None = '0001_foundation'
branch_labels: str | Sequence[str] | None = ('booking',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('catalog_items',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('name_key', sa.String(length=120), nullable=False),
    sa.Column('aliases', sa.JSON(), nullable=False),
    sa.Column('price_cents', sa.Integer(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('duration_minutes BETWEEN 15 AND 480 AND duration_minutes % 15 = 0', name=op.f('ck_catalog_items_duration_bounds')),
    sa.CheckConstraint('price_cents BETWEEN 1 AND 10000000', name=op.f('ck_catalog_items_price_bounds')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_catalog_items_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_items')),
    sa.UniqueConstraint('tenant_id', 'name_key', name=op.f('uq_catalog_items_tenant_id_name_key'))
    )
    with op.batch_alter_table('catalog_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_items_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('booking_links',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('conversation_id', sa.String(length=32), nullable=True),
    sa.Column('customer_phone', sa.String(length=20), nullable=True),
    sa.Column('catalog_item_id', sa.String(length=32), nullable=False),
    sa.Column('service_name', sa.String(length=120), nullable=False),
    sa.Column('price_cents', sa.Integer(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('job_description', sa.String(length=500), nullable=False),
    sa.Column('offered_starts', sa.JSON(), nullable=False),
    sa.Column('pending_hold_id', sa.String(length=32), nullable=True),
    sa.Column('appointment_id', sa.String(length=32), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_booking_links_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_links')),
    sa.UniqueConstraint('token', name=op.f('uq_booking_links_token'))
    )
    with op.batch_alter_table('booking_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_links_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_links_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('scheduling_holds',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('catalog_item_id', sa.String(length=32), nullable=True),
    sa.Column('service_name', sa.String(length=120), nullable=False),
    sa.Column('price_cents', sa.Integer(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('customer_phone', sa.String(length=20), nullable=True),
    sa.Column('conversation_id', sa.String(length=32), nullable=True),
    sa.Column('booking_link_id', sa.String(length=32), nullable=True),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_scheduling_holds_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduling_holds'))
    )
    with op.batch_alter_table('scheduling_holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scheduling_holds_booking_link_id'), ['booking_link_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scheduling_holds_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('appointments',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('hold_id', sa.String(length=32), nullable=True),
    sa.Column('catalog_item_id', sa.String(length=32), nullable=True),
    sa.Column('service_name', sa.String(length=120), nullable=False),
    sa.Column('price_cents', sa.Integer(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('customer_phone', sa.String(length=20), nullable=True),
    sa.Column('customer_name', sa.String(length=120), nullable=False),
    sa.Column('conversation_id', sa.String(length=32), nullable=True),
    sa.Column('booking_link_id', sa.String(length=32), nullable=True),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('confirmation_queued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('booked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hold_id'], ['scheduling_holds.id'], name=op.f('fk_appointments_hold_id_scheduling_holds'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_appointments_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments')),
    sa.UniqueConstraint('hold_id', name=op.f('uq_appointments_hold_id')),
    sa.UniqueConstraint('tenant_id', 'idempotency_key', name=op.f('uq_appointments_tenant_id_idempotency_key'))
    )
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointments_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointments_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_appointments_tenant_starts', ['tenant_id', 'starts_at'], unique=False)

    op.create_table('occupied_blocks',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('block_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('hold_id', sa.String(length=32), nullable=True),
    sa.Column('appointment_id', sa.String(length=32), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('(hold_id IS NULL) <> (appointment_id IS NULL)', name=op.f('ck_occupied_blocks_one_owner')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_occupied_blocks_appointment_id_appointments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['hold_id'], ['scheduling_holds.id'], name=op.f('fk_occupied_blocks_hold_id_scheduling_holds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_occupied_blocks_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_occupied_blocks')),
    sa.UniqueConstraint('tenant_id', 'block_start', name=op.f('uq_occupied_blocks_tenant_id_block_start'))
    )
    with op.batch_alter_table('occupied_blocks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_occupied_blocks_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_occupied_blocks_hold_id'), ['hold_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_occupied_blocks_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('occupied_blocks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_occupied_blocks_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_occupied_blocks_hold_id'))
        batch_op.drop_index(batch_op.f('ix_occupied_blocks_appointment_id'))

    op.drop_table('occupied_blocks')
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index('ix_appointments_tenant_starts')
        batch_op.drop_index(batch_op.f('ix_appointments_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_appointments_conversation_id'))

    op.drop_table('appointments')
    with op.batch_alter_table('scheduling_holds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scheduling_holds_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_scheduling_holds_booking_link_id'))

    op.drop_table('scheduling_holds')
    with op.batch_alter_table('booking_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_links_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_booking_links_conversation_id'))

    op.drop_table('booking_links')
    with op.batch_alter_table('catalog_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_items_tenant_id'))

    op.drop_table('catalog_items')
