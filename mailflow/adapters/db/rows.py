"""Records <-> rows: the column values of each domain record, and the record read back from a row."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Row

from mailflow.domain.case import Case, InboundRecord, OutboxRecord
from mailflow.domain.ids import MailboxKey
from mailflow.domain.message import Attachment, OutboundEmail


def enum_value(enum: Any) -> str | None:
    return None if enum is None else str(enum.value)


def lowered(addresses: Iterable[str]) -> set[str]:
    return {a.strip().lower() for a in addresses}


def case_values(case: Case) -> dict[str, object]:
    values = case.model_dump(exclude={"id"})
    values["state"] = case.state.value
    values["waiting_for"] = enum_value(case.waiting_for)
    return values


def case_from_row(row: Row[Any]) -> Case:
    return Case.model_validate(dict(row._mapping))


def inbound_values(record: InboundRecord) -> dict[str, object]:
    values = record.model_dump(exclude={"id", "key", "raw"})  # the raw bytes go to inbound_raw
    values["status"] = record.status.value
    values.update(mailbox=record.key.mailbox, uidvalidity=record.key.uidvalidity, uid=record.key.uid)
    return values


def inbound_from_row(row: Row[Any]) -> InboundRecord:
    data = dict(row._mapping)
    key = MailboxKey(data.pop("mailbox"), int(data.pop("uidvalidity")), int(data.pop("uid")))
    return InboundRecord.model_validate(data | {"key": key})


_EMAIL_COLUMNS = (
    "message_id", "from_addr", "from_name", "to_addrs", "cc_addrs", "subject", "text", "html",
    "date", "in_reply_to", "references", "extra_headers",
)  # fmt: skip


def outbox_values(record: OutboxRecord) -> dict[str, object]:
    email = record.email
    values = record.model_dump(exclude={"id", "email"})
    values["party"] = enum_value(record.party)
    values["status"] = record.status.value
    values.update({name: getattr(email, name) for name in _EMAIL_COLUMNS})
    # JSON columns: tuples become lists.
    values.update(
        to_addrs=list(email.to_addrs),
        cc_addrs=list(email.cc_addrs),
        references=list(email.references),
        extra_headers=[list(pair) for pair in email.extra_headers],
    )
    return values


def outbox_from_row(row: Row[Any], attachments: list[Attachment]) -> OutboxRecord:
    data = dict(row._mapping)
    email = OutboundEmail(
        **{name: data.pop(name) for name in _EMAIL_COLUMNS if name != "extra_headers"},
        extra_headers=tuple((str(k), str(v)) for k, v in data.pop("extra_headers")),
        attachments=tuple(attachments),
    )
    return OutboxRecord.model_validate(data | {"email": email})
