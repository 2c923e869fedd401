"""The phone step: reminders in the outbox, call attempts, inbound mail, IMAP progress.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:32:23.737148
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import service.core.db

# 0001 left the one-message-per-contact unique constraint unnamed. PostgreSQL names it
# <table>_<column>_key; on SQLite, batch mode needs a naming convention to find it.
_SQLITE_NAMES = {"uq": "%(table_name)s_%(column_0_name)s_key"}


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "imap_mailboxes",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("lease_until", service.core.db.UTCDateTime(), nullable=True),
        sa.Column("updated_at", service.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "call_attempts",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("follow_up_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("decline_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("contact_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("created_at", service.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["decline_id"],
            ["declines.id"],
        ),
        sa.ForeignKeyConstraint(
            ["follow_up_id"],
            ["follow_ups.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("call_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_call_attempts_decline_id"), ["decline_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_call_attempts_follow_up_id"), ["follow_up_id"], unique=False
        )

    op.create_table(
        "inbound_messages",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("api_key_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=998), nullable=True),
        sa.Column("from_address", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=998), nullable=True),
        sa.Column("detected", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("classification", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("decline_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("contact_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("matched_message_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("return_at", service.core.db.UTCDateTime(), nullable=True),
        sa.Column("received_at", service.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["decline_id"],
            ["declines.id"],
        ),
        sa.ForeignKeyConstraint(
            ["matched_message_id"],
            ["messages.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbound_messages_classification"), ["classification"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inbound_messages_contact_id"), ["contact_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inbound_messages_decline_id"), ["decline_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inbound_messages_received_at"), ["received_at"], unique=False
        )

    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminders", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("not_before", service.core.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("closed_at", service.core.db.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "updated_at",
                service.core.db.UTCDateTime(),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
        batch_op.drop_index(batch_op.f("ix_follow_ups_status"))
        batch_op.create_index("ix_follow_ups_due", ["status", "due_at"], unique=False)

    with op.batch_alter_table("messages", naming_convention=_SQLITE_NAMES) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="decline",
            )
        )
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=False, server_default="0"))
        batch_op.drop_constraint("messages_contact_id_key", type_="unique")
        batch_op.create_unique_constraint(
            "uq_messages_contact_kind_seq", ["contact_id", "kind", "seq"]
        )
    # The defaults above only filled existing rows; the application always sets these.
    with op.batch_alter_table("messages") as batch_op:
        batch_op.alter_column("kind", server_default=None)
        batch_op.alter_column("seq", server_default=None)
    with op.batch_alter_table("follow_ups") as batch_op:
        batch_op.alter_column("reminders", server_default=None)
        batch_op.alter_column("updated_at", server_default=None)


def downgrade() -> None:
    op.execute("DELETE FROM messages WHERE kind <> 'decline'")
    with op.batch_alter_table("messages", naming_convention=_SQLITE_NAMES) as batch_op:
        batch_op.drop_constraint("uq_messages_contact_kind_seq", type_="unique")
        batch_op.create_unique_constraint("messages_contact_id_key", ["contact_id"])
        batch_op.drop_column("seq")
        batch_op.drop_column("kind")

    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.drop_index("ix_follow_ups_due")
        batch_op.create_index(batch_op.f("ix_follow_ups_status"), ["status"], unique=False)
        batch_op.drop_column("updated_at")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("not_before")
        batch_op.drop_column("reminders")

    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_messages_received_at"))
        batch_op.drop_index(batch_op.f("ix_inbound_messages_decline_id"))
        batch_op.drop_index(batch_op.f("ix_inbound_messages_contact_id"))
        batch_op.drop_index(batch_op.f("ix_inbound_messages_classification"))

    op.drop_table("inbound_messages")
    with op.batch_alter_table("call_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_attempts_follow_up_id"))
        batch_op.drop_index(batch_op.f("ix_call_attempts_decline_id"))

    op.drop_table("call_attempts")
    op.drop_table("imap_mailboxes")
