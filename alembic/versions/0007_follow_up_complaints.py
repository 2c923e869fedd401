"""Follow-ups remember a spam complaint about their email, so the reminder can say why.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

import service.core.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("complained_at", service.core.db.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.drop_column("complained_at")
