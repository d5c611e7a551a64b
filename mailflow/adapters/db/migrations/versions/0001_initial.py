"""Initial schema: cases, timeline, form versions, inbound mail, watermarks, outbox, reminders, counters.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True)


def upgrade() -> None:
    op.create_table(
        "cases",
        _id(),
        sa.Column("ref", sa.String(32), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("opened_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("school_address", sa.String(320), nullable=False),
        sa.Column("school_uai", sa.String(16)),
        sa.Column("school_name", sa.Text(), nullable=False),
        sa.Column("target_country", sa.String(2)),
        sa.Column("target_region", sa.Text()),
        sa.Column("embassy_address", sa.String(320)),
        sa.Column("embassy_language", sa.String(8), nullable=False),
        sa.Column("mobility_type", sa.String(32)),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("form_version", sa.Integer(), nullable=False),
        sa.Column("partner", sa.JSON()),
        sa.Column("waiting_for", sa.String(16)),
        sa.Column("due_on", sa.Date()),
        sa.Column("review_reason", sa.Text()),
        sa.Column("deliberation_on", sa.Date()),
        sa.Column("thread_topic", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
        sa.UniqueConstraint("ref", name="uq_cases_ref"),
    )
    op.create_index("ix_cases_school_uai_target_country", "cases", ["school_uai", "target_country"])
    op.create_index("ix_cases_state", "cases", ["state"])

    op.create_table(
        "inbound",
        _id(),
        sa.Column("mailbox", sa.String(255), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.String(998)),
        sa.Column("fetched_at", TZ, nullable=False),
        sa.Column("raw", sa.LargeBinary()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16)),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("case_id", sa.Integer()),
        sa.Column("moved", sa.Boolean(), nullable=False),
        sa.Column("from_addr", sa.String(320), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_inbound"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_inbound_case_id_cases"),
        sa.UniqueConstraint("mailbox", "uidvalidity", "uid", name="uq_inbound_mailbox_uidvalidity_uid"),
        sa.UniqueConstraint("mailbox", "message_id", name="uq_inbound_mailbox_message_id"),
    )
    op.create_index("ix_inbound_mailbox_status", "inbound", ["mailbox", "status"])
    op.create_index("ix_inbound_message_id", "inbound", ["message_id"])

    op.create_table(
        "case_events",
        _id(),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("source_state", sa.String(32)),
        sa.Column("target_state", sa.String(32)),
        sa.Column("inbound_id", sa.Integer()),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_case_events"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_events_case_id_cases"),
        sa.ForeignKeyConstraint(["inbound_id"], ["inbound.id"], name="fk_case_events_inbound_id_inbound"),
    )
    op.create_index("ix_case_events_case_id", "case_events", ["case_id"])

    op.create_table(
        "form_versions",
        _id(),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("form_values", sa.JSON(), nullable=False),
        sa.Column("attachment_filename", sa.Text()),
        sa.Column("attachment_content_type", sa.String(255)),
        sa.Column("attachment_data", sa.LargeBinary()),
        sa.Column("inbound_id", sa.Integer()),
        sa.Column("at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_form_versions"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_form_versions_case_id_cases"),
        sa.ForeignKeyConstraint(["inbound_id"], ["inbound.id"], name="fk_form_versions_inbound_id_inbound"),
    )
    op.create_index("ix_form_versions_case_id_version", "form_versions", ["case_id", "version"])

    op.create_table(
        "watermarks",
        sa.Column("mailbox", sa.String(255), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("mailbox", "uidvalidity", name="pk_watermarks"),
    )

    op.create_table(
        "outbox",
        _id(),
        sa.Column("case_id", sa.Integer()),
        sa.Column("template", sa.String(64), nullable=False),
        sa.Column("party", sa.String(16)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("sent_at", TZ),
        sa.Column("message_id", sa.String(998), nullable=False),
        sa.Column("from_addr", sa.String(320), nullable=False),
        sa.Column("from_name", sa.Text(), nullable=False),
        sa.Column("to_addrs", sa.JSON(), nullable=False),
        sa.Column("cc_addrs", sa.JSON(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text()),
        sa.Column("date", TZ, nullable=False),
        sa.Column("in_reply_to", sa.String(998)),
        sa.Column("references", sa.JSON(), nullable=False),
        sa.Column("extra_headers", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_outbox_case_id_cases"),
        sa.UniqueConstraint("message_id", name="uq_outbox_message_id"),
    )
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_case_id", "outbox", ["case_id"])

    op.create_table(
        "outbox_attachments",
        _id(),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_attachments"),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name="fk_outbox_attachments_outbox_id_outbox", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_outbox_attachments_outbox_id", "outbox_attachments", ["outbox_id"])

    op.create_table(
        "reminders",
        _id(),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("party", sa.String(16), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reminders"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_reminders_case_id_cases"),
    )
    op.create_index("ix_reminders_status_due_on", "reminders", ["status", "due_on"])
    op.create_index("ix_reminders_case_id", "reminders", ["case_id"])

    op.create_table(
        "case_counters",
        sa.Column("prefix", sa.String(8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", "year", name="pk_case_counters"),
    )


def downgrade() -> None:
    for table in (
        "case_counters",
        "reminders",
        "outbox_attachments",
        "outbox",
        "watermarks",
        "form_versions",
        "case_events",
        "inbound",
        "cases",
    ):
        op.drop_table(table)
