"""messaging: conversations, messages, webhook_events, compliance registrations, opt-outs, first-response reports

Revision ID: 0002_messaging
Revises: 0001_foundation
Create Date: 2026-11-22

Rollback: `python -m app downgrade --revision messaging@0001_foundation` drops these tables only (their data is
lost; nothing outside the messaging branch references them).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002_messaging'
down_revision: str | Sequence[str] | None = '0001_foundation'
branch_labels: str | Sequence[str] | None = ('messaging',)
depends_on: str | Sequence[str] | None = None


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f(f'fk_{table}_tenant_id_tenants'), ondelete='CASCADE')


def upgrade() -> None:
    op.create_table('webhook_events',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('provider_ref', sa.String(length=64), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    _tenant_fk('webhook_events'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_events')),
    sa.UniqueConstraint('provider', 'dedupe_key', name=op.f('uq_webhook_events_provider_dedupe_key'))
    )
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_events_provider_ref'), ['provider_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_events_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('conversations',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('customer_phone', sa.String(length=20), nullable=False),
    sa.Column('business_phone', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('live_key', sa.String(length=48), nullable=True),
    sa.Column('needs_attention', sa.Boolean(), nullable=False),
    sa.Column('attention_reason', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    _tenant_fk('conversations'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversations')),
    sa.UniqueConstraint('tenant_id', 'live_key', name=op.f('uq_conversations_tenant_id_live_key'))
    )
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index('ix_conversations_tenant_activity', ['tenant_id', 'last_activity_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversations_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('messages',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('conversation_id', sa.String(length=32), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('author', sa.String(length=12), nullable=False),
    sa.Column('author_name', sa.String(length=200), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('provider_sid', sa.String(length=64), nullable=True),
    sa.Column('keyword', sa.String(length=8), nullable=True),
    sa.Column('dedupe_key', sa.String(length=120), nullable=True),
    sa.Column('error_code', sa.String(length=16), nullable=True),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('send_attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_messages_conversation_id_conversations'), ondelete='CASCADE'),
    _tenant_fk('messages'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sa.UniqueConstraint('provider_sid', name=op.f('uq_messages_provider_sid')),
    sa.UniqueConstraint('tenant_id', 'dedupe_key', name=op.f('uq_messages_tenant_id_dedupe_key'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_conversation_created', ['conversation_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_messages_tenant_status', ['tenant_id', 'status'], unique=False)

    op.create_table('compliance_registrations',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('legal_name', sa.String(length=200), nullable=False),
    sa.Column('ein', sa.String(length=10), nullable=False),
    sa.Column('website', sa.String(length=300), nullable=False),
    sa.Column('use_case', sa.String(length=40), nullable=False),
    sa.Column('brand_sid', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('failure_reason', sa.Text(), nullable=True),
    sa.Column('submitted_by', sa.String(length=16), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    _tenant_fk('compliance_registrations'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_registrations')),
    sa.UniqueConstraint('brand_sid', name=op.f('uq_compliance_registrations_brand_sid'))
    )
    with op.batch_alter_table('compliance_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_compliance_registrations_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('opt_outs',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('customer_phone', sa.String(length=20), nullable=False),
    sa.Column('opted_out', sa.Boolean(), nullable=False),
    sa.Column('keyword', sa.String(length=16), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    _tenant_fk('opt_outs'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opt_outs')),
    sa.UniqueConstraint('tenant_id', 'customer_phone', name=op.f('uq_opt_outs_tenant_id_customer_phone'))
    )
    with op.batch_alter_table('opt_outs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opt_outs_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('opt_out_events',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('customer_phone', sa.String(length=20), nullable=False),
    sa.Column('action', sa.String(length=8), nullable=False),
    sa.Column('keyword', sa.String(length=16), nullable=False),
    sa.Column('message_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    _tenant_fk('opt_out_events'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opt_out_events'))
    )
    with op.batch_alter_table('opt_out_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opt_out_events_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('report_response_signals',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('conversation_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('source_key', sa.String(length=120), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    _tenant_fk('report_response_signals'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_response_signals')),
    sa.UniqueConstraint('tenant_id', 'source_key', name=op.f('uq_report_response_signals_tenant_id_source_key'))
    )
    with op.batch_alter_table('report_response_signals', schema=None) as batch_op:
        batch_op.create_index('ix_report_response_signals_conversation', ['tenant_id', 'conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_response_signals_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('report_first_responses',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('conversation_id', sa.String(length=32), nullable=False),
    sa.Column('trigger_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('latency_ms', sa.Integer(), nullable=True),
    _tenant_fk('report_first_responses'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_first_responses')),
    sa.UniqueConstraint('tenant_id', 'conversation_id', 'trigger_at', name=op.f('uq_report_first_responses_tenant_id_conversation_id_trigger_at'))
    )
    with op.batch_alter_table('report_first_responses', schema=None) as batch_op:
        batch_op.create_index('ix_report_first_responses_day', ['tenant_id', 'day'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_first_responses_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('report_first_response_daily',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('samples', sa.Integer(), nullable=False),
    sa.Column('unanswered', sa.Integer(), nullable=False),
    sa.Column('p50_ms', sa.Integer(), nullable=True),
    sa.Column('p95_ms', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    _tenant_fk('report_first_response_daily'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_first_response_daily')),
    sa.UniqueConstraint('tenant_id', 'day', name=op.f('uq_report_first_response_daily_tenant_id_day'))
    )
    with op.batch_alter_table('report_first_response_daily', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_first_response_daily_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('report_first_response_daily', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_first_response_daily_tenant_id'))
    op.drop_table('report_first_response_daily')

    with op.batch_alter_table('report_first_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_first_responses_tenant_id'))
        batch_op.drop_index('ix_report_first_responses_day')
    op.drop_table('report_first_responses')

    with op.batch_alter_table('report_response_signals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_response_signals_tenant_id'))
        batch_op.drop_index('ix_report_response_signals_conversation')
    op.drop_table('report_response_signals')

    with op.batch_alter_table('opt_out_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opt_out_events_tenant_id'))
    op.drop_table('opt_out_events')

    with op.batch_alter_table('opt_outs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opt_outs_tenant_id'))
    op.drop_table('opt_outs')

    with op.batch_alter_table('compliance_registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_compliance_registrations_tenant_id'))
    op.drop_table('compliance_registrations')

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_tenant_status')
        batch_op.drop_index(batch_op.f('ix_messages_tenant_id'))
        batch_op.drop_index('ix_messages_conversation_created')
    op.drop_table('messages')

    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversations_tenant_id'))
        batch_op.drop_index('ix_conversations_tenant_activity')
    op.drop_table('conversations')

    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_events_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_webhook_events_provider_ref'))
    op.drop_table('webhook_events')
