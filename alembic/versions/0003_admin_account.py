"""The dashboard's admin account (argon2 password hash).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 14:04:01.396418
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import service.core.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("updated_at", service.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("admin_account")
