"""Copies of sent messages in the mailbox's Sent folder: one row per message, its state.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

import service.core.db  # noqa: F401

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sent_copies",
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("copied_at", service.core.db.UTCDateTime(), nullable=True),
        sa.Column("folder", sa.String(length=1000), nullable=True),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", service.core.db.UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.String(length=2000), nullable=True),
        sa.Column("lease_until", service.core.db.UTCDateTime(), nullable=True),
        sa.Column("claim_token", sa.String(length=36), nullable=True),
        sa.Column("created_at", service.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"]),
        sa.PrimaryKeyConstraint("message_id"),
    )
    op.create_index(
        "ix_sent_copies_due", "sent_copies", ["copied_at", "next_attempt_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_sent_copies_due", table_name="sent_copies")
    op.drop_table("sent_copies")
