"""Raw received messages in their own table (an UPDATE of an inbound row no longer rewrites the mail).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_raw",
        sa.Column(
            "inbound_id", sa.Integer(), sa.ForeignKey("inbound.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
    )
    op.execute("INSERT INTO inbound_raw (inbound_id, raw) SELECT id, raw FROM inbound WHERE raw IS NOT NULL")
    # Native DROP COLUMN (SQLite 3.35+): a batch rebuild would drop and re-create a table that others
    # reference, which foreign keys turn into deletes.
    op.execute("ALTER TABLE inbound DROP COLUMN raw")


def downgrade() -> None:
    op.add_column("inbound", sa.Column("raw", sa.LargeBinary()))
    op.execute("UPDATE inbound SET raw = (SELECT raw FROM inbound_raw WHERE inbound_id = inbound.id)")
    op.drop_table("inbound_raw")
