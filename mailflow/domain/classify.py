"""Classify an inbound message (MAIL.md §3): bounce, auto-reply, receipt, list/bulk, or a human's mail.

Pure: reads only the InboundMessage (its headers, text and the bytes of its report attachments).
Order of the rules: delivery/read reports, then non-standard bounces, auto-replies, lists, humans.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from mailflow.domain import mailpatterns as pat
from mailflow.domain.dsn import (
    RecipientStatus,
    addresses_in,
    bounce_text_head,
    first_status,
    listed_local_parts,
    message_id_in_text,
    parse_delivery_status,
    returned_message_id,
    returned_recipient,
    text_of,
)
from mailflow.domain.message import InboundMessage
from mailflow.domain.ooo import return_date, substitute_address


class MailKind(StrEnum):
    HUMAN = "human"
    AUTOREPLY = "autoreply"
    BOUNCE = "bounce"
    RECEIPT = "receipt"
    LIST = "list"


class BounceInfo(BaseModel):
    """What a bounce says: ``failed`` (permanent) or ``delayed`` (do not mark the address dead).

    ``recipients`` are lowercase; ``original_message_id`` is the Message-ID of our mail that failed
    (from the returned message or headers, a Message-ID quoted in the text, else In-Reply-To/References).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: str
    status: str
    recipients: tuple[str, ...]
    original_message_id: str | None = None

    @property
    def permanent(self) -> bool:
        """A permanent failure: the address is dead. A delay never is."""
        return self.action == "failed" or (self.action != "delayed" and self.status.startswith("5."))


class Classification(BaseModel):
    """``ooo_until``: the last day of an absence (or the return day) an auto-reply names: move that
    party's reminders after it. ``ooo_substitute``: the address it offers meanwhile."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: MailKind
    reasons: tuple[str, ...] = ()
    bounce: BounceInfo | None = None
    ooo_until: date | None = None
    ooo_substitute: str | None = None


_AUTOREPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-AutoReply-From", "X-Mail-Autoreply")
_NEGATIVE_VALUES = frozenset({"no", "false", "0", "off"})
_LIST_PRECEDENCE = frozenset({"bulk", "list", "junk"})
_POSITIVE_ACTIONS = frozenset({"delivered", "relayed", "expanded", "deliverable"})
_REPORT_TYPE = re.compile(r"report-type\s*=\s*\"?([A-Za-z0-9_-]+)", re.IGNORECASE)
_RETURNED_TYPES = ("message/rfc822", "text/rfc822-headers", "message/global", "message/global-headers")


def classify(msg: InboundMessage, *, received: date | None = None) -> Classification:
    """The kind of a message and the reasons for it (short English strings, most decisive first).

    ``received`` is the reference day for out-of-office dates written without a year when the
    message has no usable Date header.
    """
    return (
        _report(msg)
        or _bounce(msg)
        or _autoreply(msg, msg.date.date() if msg.date else received)
        or _listmail(msg)
        or Classification(kind=MailKind.HUMAN, reasons=("no machine-generated signal",))
    )


# --- reports: RFC 3464 delivery status, RFC 8098 read receipts, RFC 5965 feedback ------------------


def _report(msg: InboundMessage) -> Classification | None:
    m = _REPORT_TYPE.search(msg.header("Content-Type") or "")
    report_type = m.group(1).lower() if m else ""
    types = {a.content_type for a in msg.attachments}
    if report_type == "disposition-notification" or (
        "message/disposition-notification" in types and "message/delivery-status" not in types
    ):
        return Classification(kind=MailKind.RECEIPT, reasons=("read receipt (disposition-notification)",))
    if report_type == "feedback-report" or "message/feedback-report" in types:
        return Classification(kind=MailKind.RECEIPT, reasons=("abuse feedback report (ARF)",))
    statuses = [
        rs
        for a in msg.attachments
        if a.content_type == "message/delivery-status"
        for rs in parse_delivery_status(a.data)
    ]
    if not statuses:
        if report_type == "delivery-status" and not _challenge(msg, []):
            return _text_bounce(msg, ["delivery status report without a readable status part"])
        return None
    failed = [rs for rs in statuses if rs.action.startswith(("fail", "delay"))]
    if not failed:
        if all(rs.action in _POSITIVE_ACTIONS for rs in statuses):
            actions = "/".join(sorted({rs.action for rs in statuses}))
            return Classification(
                kind=MailKind.RECEIPT, reasons=(f"positive delivery report (Action: {actions})",)
            )
        return None
    if _challenge(msg, failed):
        return Classification(
            kind=MailKind.AUTOREPLY, reasons=("challenge/response verification sent as a DSN",)
        )
    return _dsn_bounce(msg, failed)


def _challenge(msg: InboundMessage, statuses: list[RecipientStatus]) -> bool:
    head = msg.text[:5000]
    return bool(pat.CHALLENGE_TEXT.search(head)) or any(
        pat.CHALLENGE_TEXT.search(s.diagnostic) for s in statuses
    )


def _dsn_bounce(msg: InboundMessage, failed: list[RecipientStatus]) -> Classification:
    action = "failed" if any(rs.action.startswith("fail") for rs in failed) else "delayed"
    chosen = [rs for rs in failed if rs.action.startswith(action[:4])]
    recipients = tuple(dict.fromkeys(rs.recipient for rs in chosen if rs.recipient))
    status = next((rs.status for rs in chosen if rs.status), "")
    info = BounceInfo(
        action=action, status=status, recipients=recipients, original_message_id=_original_id(msg)
    )
    reason = f"delivery status report: Action {action}" + (f", Status {status}" if status else "")
    return Classification(kind=MailKind.BOUNCE, reasons=(reason,), bounce=info)


def _original_id(msg: InboundMessage) -> str | None:
    """Which of our mails failed: the returned message's id, one quoted in the text, else the
    bounce's In-Reply-To or the last of its References (Gmail and some relays set them)."""
    for a in msg.attachments:
        if a.content_type in _RETURNED_TYPES and (found := returned_message_id(a.data)):
            return found
    reports = (text_of(a.data) for a in msg.attachments if a.content_type == "message/delivery-status")
    found = message_id_in_text(msg.text) or next(filter(None, map(message_id_in_text, reports)), None)
    if found:
        return found
    if msg.in_reply_to:
        return msg.in_reply_to[0]
    return msg.references[-1] if msg.references else None


# --- non-standard bounces -------------------------------------------------------------------------


def _null_sender(msg: InboundMessage) -> bool:
    value = msg.header("Return-Path")
    return value is not None and value.strip().strip("<>").strip() == ""


def _from_daemon(msg: InboundMessage) -> bool:
    local = msg.from_addr.split("@", 1)[0].lower()
    return local in pat.DAEMON_LOCALPARTS or bool(pat.DAEMON_NAMES.search(msg.from_name))


def _bounce(msg: InboundMessage) -> Classification | None:
    reasons: list[str] = []
    failed_header = " ".join(msg.header_all("X-Failed-Recipients"))
    if failed_header.strip():
        reasons.append("X-Failed-Recipients header")
    if _from_daemon(msg):
        reasons.append(f"sent by the mail system ({msg.from_addr or msg.from_name})")
    subject_hit = pat.BOUNCE_SUBJECT.search(msg.subject)
    if subject_hit and (reasons or _null_sender(msg) or not _autoreply_headers(msg)):
        reasons.append(f"bounce subject ({subject_hit.group(0).strip()!r})")
        if _null_sender(msg):
            reasons.append("Return-Path: <> (null sender)")
    if not reasons:
        return None
    return _text_bounce(msg, reasons)


def _text_bounce(msg: InboundMessage, reasons: list[str]) -> Classification:
    """A bounce read from its text: X-Failed-Recipients, else the addresses its explanation names."""
    head = bounce_text_head(msg.text)
    failed_header = " ".join(msg.header_all("X-Failed-Recipients"))
    recipients = (
        addresses_in(failed_header) or _recipients_in_text(msg, head) or _returned_recipients(msg, head)
    )
    info = BounceInfo(
        action="delayed" if pat.delay_subject(msg.subject) else "failed",
        status=first_status(head),
        recipients=tuple(recipients),
        original_message_id=_original_id(msg),
    )
    return Classification(kind=MailKind.BOUNCE, reasons=tuple(reasons), bounce=info)


def _recipients_in_text(msg: InboundMessage, head: str) -> list[str]:
    """Addresses the bounce's own explanation names, except the bounce's own sender and recipients;
    AOL's bare user names get the domain of the daemon that sent the bounce."""
    ours = {msg.from_addr, *msg.to_addrs, *msg.cc_addrs}
    found = [
        a for a in addresses_in(head) if a not in ours and a.split("@", 1)[0] not in pat.DAEMON_LOCALPARTS
    ][:10]
    if not found and "@" in msg.from_addr:
        domain = msg.from_addr.split("@", 1)[1]
        found = [f"{local}@{domain}" for local in listed_local_parts(head)]
    return found


def _returned_recipients(msg: InboundMessage, head: str) -> list[str]:
    """When the explanation names nobody: a DSN nested in the returned message (a relay forwarding a
    bounce), else the sole recipient of the returned message."""
    returned = [a for a in msg.attachments if a.content_type in _RETURNED_TYPES]
    for a in returned:
        failed = [rs.recipient for rs in parse_delivery_status(a.data) if rs.action.startswith("fail")]
        if failed:
            return list(dict.fromkeys(r for r in failed if r))
    for a in returned:
        if found := returned_recipient(a.data):
            return [found]
    found = returned_recipient(msg.text[len(head) : len(head) + 20_000])
    return [found] if found else []


# --- auto-replies -----------------------------------------------------------------------------------


def _autoreply_headers(msg: InboundMessage) -> list[str]:
    reasons: list[str] = []
    auto_submitted = msg.header("Auto-Submitted")
    if auto_submitted and auto_submitted.split(";")[0].strip().lower() != "no":
        reasons.append(f"Auto-Submitted: {auto_submitted.split(';')[0].strip()}")
    for name in _AUTOREPLY_HEADERS:
        value = msg.header(name)
        if value is not None and value.strip().lower() not in _NEGATIVE_VALUES:
            reasons.append(f"{name} header")
    if (msg.header("X-Autogenerated") or "").strip().lower() == "reply":
        reasons.append("X-Autogenerated: Reply")
    if (msg.header("Precedence") or "").strip().lower() == "auto_reply":
        reasons.append("Precedence: auto_reply")
    if msg.header("X-MS-Exchange-Inbox-Rules-Loop") is not None and msg.header("X-Auto-Response-Suppress"):
        reasons.append("Exchange out-of-office (Inbox-Rules-Loop with Auto-Response-Suppress)")
    if "autoresponder" in (msg.header("X-POST-MessageClass") or "").lower():
        reasons.append("X-POST-MessageClass: Autoresponder")
    if (msg.header("X-Apple-Action") or "").strip().upper() == "VACATION":
        reasons.append("X-Apple-Action: VACATION")
    return reasons


def _autoreply(msg: InboundMessage, reference: date | None) -> Classification | None:
    reasons = _autoreply_headers(msg)
    hit = pat.AUTOREPLY_SUBJECT.search(msg.subject) or pat.AUTOREPLY_SUBJECT_ANYWHERE.search(msg.subject)
    if hit:
        reasons.append(f"auto-reply subject ({hit.group(0).strip(' [()')!r})")
    if pat.CHALLENGE_TEXT.search(msg.text[:5000]):
        reasons.append("challenge/response sender verification")
    if not reasons and _null_sender(msg) and not (msg.header("List-Id") or msg.header("List-Unsubscribe")):
        reasons.append("Return-Path: <> (null sender) without list headers")
    if not reasons:
        return None
    own = (msg.from_addr, *msg.to_addrs, *msg.cc_addrs)
    return Classification(
        kind=MailKind.AUTOREPLY,
        reasons=tuple(reasons),
        ooo_until=return_date((msg.subject, msg.text), reference),
        ooo_substitute=substitute_address(msg.text, exclude=own),
    )


# --- lists and bulk ---------------------------------------------------------------------------------


def _listmail(msg: InboundMessage) -> Classification | None:
    reasons: list[str] = []
    if msg.header("List-Id") is not None:
        reasons.append("List-Id header")
    if msg.header("List-Unsubscribe") is not None:
        reasons.append("List-Unsubscribe header")
    precedence = (msg.header("Precedence") or "").strip().lower()
    if precedence in _LIST_PRECEDENCE:
        reasons.append(f"Precedence: {precedence}")
    return Classification(kind=MailKind.LIST, reasons=tuple(reasons)) if reasons else None
