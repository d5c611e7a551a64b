"""Contacts added by command or found invalid by a bounce; action tokens already used.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("address", sa.String(320), primary_key=True),
        sa.Column("country", sa.String(2)),
        sa.Column("service", sa.Text(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("regions", sa.Text(), nullable=False),
        sa.Column("added_by", sa.String(320)),
        sa.Column("invalid_since", TZ),
        sa.Column("invalid_reason", sa.Text()),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "used_tokens",
        sa.Column("nonce", sa.String(64), primary_key=True),
        sa.Column("used_at", TZ, nullable=False),
        sa.Column("used_by", sa.String(320), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("used_tokens")
    op.drop_table("contacts")
