"""The SQL schema as SQLAlchemy Core tables; migrations/versions/ must build exactly this.

UNIQUE constraints carry the deduplication rules (mailbox key, Message-ID per mailbox, outbox Message-ID).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# Deterministic constraint names, so the hand-written migration can name them identically.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC; SQLite keeps no offset, so values read back get UTC attached."""

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime refused (mailflow stores aware UTC): {value!r}")
        value = value.astimezone(UTC)
        # SQLite stores text: a fixed UTC format keeps comparisons and ORDER BY correct.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True, autoincrement=True)


def _case_fk(nullable: bool = False) -> Column[int]:
    return Column("case_id", Integer, ForeignKey("cases.id"), nullable=nullable)


cases = Table(
    "cases",
    metadata,
    _id(),
    Column("ref", String(32), nullable=False, unique=True),
    Column("state", String(32), nullable=False),
    Column("version", Integer, nullable=False, default=0),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("school_address", String(320), nullable=False),
    Column("school_uai", String(16)),
    Column("school_name", Text, nullable=False, default=""),
    Column("target_country", String(2)),
    Column("target_region", Text),
    Column("embassy_address", String(320)),
    Column("embassy_language", String(8), nullable=False, default="fr"),
    Column("mobility_type", String(32)),
    Column("form", JSON, nullable=False),
    Column("form_version", Integer, nullable=False, default=0),
    Column("partner", JSON(none_as_null=True)),
    Column("waiting_for", String(16)),
    Column("due_on", Date),
    Column("review_reason", Text),
    Column("deliberation_on", Date),
    Column("thread_topic", Text, nullable=False, default=""),
    Index(None, "school_uai", "target_country"),
    Index(None, "state"),
)

inbound = Table(
    "inbound",
    metadata,
    _id(),
    Column("mailbox", String(255), nullable=False),
    Column("uidvalidity", BigInteger, nullable=False),
    Column("uid", BigInteger, nullable=False),
    # NULL for a duplicate or a message without Message-ID: NULLs never collide in a UNIQUE.
    Column("message_id", String(998)),
    Column("fetched_at", UtcDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("kind", String(16)),
    Column("reason", Text, nullable=False, default=""),
    _case_fk(nullable=True),
    Column("moved", Boolean, nullable=False, default=False),
    Column("from_addr", String(320), nullable=False, default=""),
    Column("subject", Text, nullable=False, default=""),
    Column("attempts", Integer, nullable=False, default=0),
    UniqueConstraint("mailbox", "uidvalidity", "uid"),
    UniqueConstraint("mailbox", "message_id"),
    Index(None, "mailbox", "status"),
    Index(None, "message_id"),
)

# A received message's raw bytes, in a table of their own: changing the inbound row (its status, its
# move) must not rewrite a 30 MB value, which SQLite does for every UPDATE of a row.
inbound_raw = Table(
    "inbound_raw",
    metadata,
    Column("inbound_id", Integer, ForeignKey("inbound.id", ondelete="CASCADE"), primary_key=True),
    Column("raw", LargeBinary, nullable=False),
)

case_events = Table(
    "case_events",
    metadata,
    _id(),
    _case_fk(),
    Column("at", UtcDateTime(), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("actor", String(320), nullable=False),
    Column("source_state", String(32)),
    Column("target_state", String(32)),
    Column("inbound_id", Integer, ForeignKey("inbound.id")),
    Column("detail", Text, nullable=False, default=""),
    Index(None, "case_id"),
)

form_versions = Table(
    "form_versions",
    metadata,
    _id(),
    _case_fk(),
    Column("version", Integer, nullable=False),
    Column("form_values", JSON, nullable=False),
    Column("attachment_filename", Text),
    Column("attachment_content_type", String(255)),
    Column("attachment_data", LargeBinary),
    Column("inbound_id", Integer, ForeignKey("inbound.id")),
    Column("at", UtcDateTime(), nullable=False),
    Index(None, "case_id", "version"),
)

watermarks = Table(
    "watermarks",
    metadata,
    Column("mailbox", String(255), primary_key=True),
    Column("uidvalidity", BigInteger, primary_key=True),
    Column("last_uid", BigInteger, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    _id(),
    _case_fk(nullable=True),
    Column("template", String(64), nullable=False),
    Column("party", String(16)),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("last_error", Text, nullable=False, default=""),
    Column("sent_at", UtcDateTime()),
    # Its copy is in the Sent folder. The server default only marks the mails sent before the column
    # existed (migration 0006): mailflow always writes it.
    Column("sent_copied", Boolean, nullable=False, server_default=true()),
    # The OutboundEmail, field by field, so a retry sends the very same mail.
    Column("message_id", String(998), nullable=False, unique=True),
    Column("from_addr", String(320), nullable=False),
    Column("from_name", Text, nullable=False),
    Column("to_addrs", JSON, nullable=False),
    Column("cc_addrs", JSON, nullable=False),
    Column("subject", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("html", Text),
    Column("date", UtcDateTime(), nullable=False),
    Column("in_reply_to", String(998)),
    Column("references", JSON, nullable=False),
    Column("extra_headers", JSON, nullable=False),
    Index(None, "status", "next_attempt_at"),
    Index(None, "case_id"),
)

outbox_attachments = Table(
    "outbox_attachments",
    metadata,
    _id(),
    Column("outbox_id", Integer, ForeignKey("outbox.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("filename", Text, nullable=False),
    Column("content_type", String(255), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Index(None, "outbox_id"),
)

reminders = Table(
    "reminders",
    metadata,
    _id(),
    _case_fk(),
    Column("party", String(16), nullable=False),
    Column("due_on", Date, nullable=False),
    Column("sequence", Integer, nullable=False, default=0),
    Column("status", String(16), nullable=False),
    Index(None, "status", "due_on"),
    Index(None, "case_id"),
)

case_counters = Table(
    "case_counters",
    metadata,
    Column("prefix", String(8), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last_number", Integer, nullable=False),
)

daemon_status = Table(
    "daemon_status",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

contacts = Table(
    "contacts",
    metadata,
    Column("address", String(320), primary_key=True),
    Column("country", String(2)),
    Column("service", Text, nullable=False, default=""),
    Column("language", String(8), nullable=False, default="fr"),
    Column("regions", Text, nullable=False, default="[]"),
    Column("added_by", String(320)),
    Column("invalid_since", UtcDateTime()),
    Column("invalid_reason", Text),
    Column("updated_at", UtcDateTime(), nullable=False),
)

used_tokens = Table(
    "used_tokens",
    metadata,
    Column("nonce", String(64), primary_key=True),
    Column("used_at", UtcDateTime(), nullable=False),
    Column("used_by", String(320), nullable=False),
)

# The daemon's incident journal (append-only; purged after [retention] incidents_days).
incidents = Table(
    "incidents",
    metadata,
    _id(),
    Column("at", UtcDateTime(), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("message", Text, nullable=False, default=""),
    Column("count", Integer, nullable=False, default=1),
    Column("since", UtcDateTime()),
    Index(None, "at"),
)
