"""IMAP messages whose handling failed: kept raw, tried a few times, then quarantined.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import service.core.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "imap_failures",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("mailbox_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("mailbox", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", service.core.db.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", service.core.db.UTCDateTime(), nullable=False),
        sa.Column("quarantined_at", service.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["mailbox_key"], ["imap_mailboxes.key"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mailbox_key", "uidvalidity", "uid", name="uq_imap_failures_uid"),
    )
    with op.batch_alter_table("imap_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_imap_failures_quarantined_at"), ["quarantined_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("imap_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_imap_failures_quarantined_at"))
    op.drop_table("imap_failures")
