"""OAuth2 refresh tokens for Gmail and Microsoft 365 mailboxes, encrypted with SECRET_KEY.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

import service.core.db  # noqa: F401

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mailbox_tokens",
        sa.Column("account", sa.String(length=320), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("refresh_token_enc", sa.String(), nullable=False),
        sa.Column("access_token_enc", sa.String(), nullable=True),
        sa.Column("access_expires_at", service.core.db.UTCDateTime(), nullable=True),
        sa.Column("refresh_lease_until", service.core.db.UTCDateTime(), nullable=True),
        sa.Column("problem", sa.String(length=500), nullable=True),
        sa.Column("updated_at", service.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("account"),
    )


def downgrade() -> None:
    op.drop_table("mailbox_tokens")
