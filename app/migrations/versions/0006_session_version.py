"""session version: users.session_version, so signing out revokes the user's session tokens

Why: session tokens are stateless JWTs; deleting the cookie at logout left a copied token valid for its
whole TTL. Each token now carries the version it was issued at and logout increments it (issue 23, F6).

Revision ID: 0006_session_version
Revises: 0005_perf_indexes
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006_session_version'
down_revision: str | Sequence[str] | None = '0005_perf_indexes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
