"""The SMTP server's reply on each sent message, and indexes for the dashboard: every owner's declines newest first (also by status),
message counts by status and kind, recent sends and calls, and the call list in due order.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch_op:
        batch_op.add_column(sa.Column("smtp_reply", sa.String(length=500), nullable=True))
    op.create_index("ix_declines_created", "declines", ["created_at", "id"])
    op.create_index("ix_declines_status_created", "declines", ["status", "created_at", "id"])
    op.drop_index("ix_declines_status", table_name="declines")
    op.create_index("ix_messages_status_kind", "messages", ["status", "kind"])
    op.create_index("ix_messages_sent_at", "messages", ["sent_at"])
    op.create_index("ix_call_attempts_created_at", "call_attempts", ["created_at"])
    op.drop_index("ix_follow_ups_due", table_name="follow_ups")
    op.create_index("ix_follow_ups_due", "follow_ups", ["status", "due_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_follow_ups_due", table_name="follow_ups")
    op.create_index("ix_follow_ups_due", "follow_ups", ["status", "due_at"])
    op.drop_index("ix_call_attempts_created_at", table_name="call_attempts")
    op.drop_index("ix_messages_sent_at", table_name="messages")
    op.drop_index("ix_messages_status_kind", table_name="messages")
    op.create_index("ix_declines_status", "declines", ["status"])
    op.drop_index("ix_declines_status_created", table_name="declines")
    op.drop_index("ix_declines_created", table_name="declines")
    with op.batch_alter_table("messages") as batch_op:
        batch_op.drop_column("smtp_reply")
