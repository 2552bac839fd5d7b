"""billing: bill_subscriptions, stripe_webhook_events

Revision ID: 0004_billing
Revises: 0001_foundation
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004_billing'
down_revision: str | Sequence[str] | None = '0001_foundation'
branch_labels: str | Sequence[str] | None = ('billing',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('bill_subscriptions',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('stripe_subscription_id', sa.String(length=255), nullable=False),
    sa.Column('stripe_customer_id', sa.String(length=255), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('price_id', sa.String(length=255), nullable=True),
    sa.Column('current_period_end', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_at_period_end', sa.Boolean(), nullable=False),
    sa.Column('last_event_id', sa.String(length=255), nullable=True),
    sa.Column('last_event_created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_bill_subscriptions_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bill_subscriptions')),
    sa.UniqueConstraint('stripe_subscription_id', name=op.f('uq_bill_subscriptions_stripe_subscription_id'))
    )
    with op.batch_alter_table('bill_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bill_subscriptions_stripe_customer_id'), ['stripe_customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bill_subscriptions_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('stripe_webhook_events',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=True),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('event_created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_stripe_webhook_events_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_webhook_events'))
    )
    with op.batch_alter_table('stripe_webhook_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stripe_webhook_events_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('stripe_webhook_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stripe_webhook_events_tenant_id'))

    op.drop_table('stripe_webhook_events')
    with op.batch_alter_table('bill_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bill_subscriptions_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_bill_subscriptions_stripe_customer_id'))

    op.drop_table('bill_subscriptions')
