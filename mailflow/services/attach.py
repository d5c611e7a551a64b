"""Attaching a message "à rattacher" to a case: `mailflow attach MESSAGE REF` and `/rattacher REF #ID`.

The message is marked for another pass of the ingest steps with its case fixed (no guessing), which
the next poll (or the CLI, at once) runs; nothing is decided twice.
"""

from __future__ import annotations

import re

from mailflow.domain.case import Case, InboundRecord, InboundStatus
from mailflow.extract.mime import parse_message
from mailflow.ports import Tx
from mailflow.services.cause import Cause
from mailflow.services.deps import Deps
from mailflow.services.plans import CommandResult

ATTACHABLE = {InboundStatus.UNMATCHED, InboundStatus.NOT_OURS}


def find_inbound(tx: Tx, mailbox: str, message: str) -> InboundRecord | None:
    """A message by its number (``#12`` or ``12``) or its Message-ID."""
    text = message.strip()
    if re.fullmatch(r"#?\d+", text):
        try:
            return tx.inbound(int(text.lstrip("#")))
        except KeyError:
            return None
    mid = text if text.startswith("<") else f"<{text}>"
    found = tx.inbound_by_message_id(mailbox, mid)  # without its raw bytes: read it whole
    return None if found is None or found.id is None else tx.inbound(found.id)


def mark_for_attach(tx: Tx, record: InboundRecord, case: Case) -> str | None:
    """Prepare ``record`` to be ingested again for ``case``; the French reason when it cannot be."""
    if record.status not in ATTACHABLE:
        return f"le message n° {record.id} est déjà traité ({record.status.value})"
    if record.raw is None:
        return f"le message n° {record.id} n'a pas été conservé : transférez-le à la Dareic avec /rattacher"
    assert record.id is not None and case.id is not None
    tx.update_inbound(record.id, status=InboundStatus.NEW, case_id=case.id, reason=f"rattaché à {case.ref}")
    return None


def request_attach(deps: Deps, tx: Tx, args: str, cause: Cause, current: Case | None) -> CommandResult:
    """/rattacher REF [#ID]: the message named, or the one forwarded with the command, goes to case REF."""
    line = f"/rattacher {args}"
    words = args.split()
    case = tx.case_by_ref(words[0].upper()) if words else current
    if case is None:
        return CommandResult(
            line, False, "/rattacher attend la référence d'un dossier, par ex. /rattacher APP-2026-0004 #12"
        )
    mailbox = deps.mailbox.name if deps.mailbox else "INBOX"
    target = find_inbound(tx, mailbox, words[1]) if len(words) > 1 else _forwarded(tx, mailbox, cause)
    if target is None:
        return CommandResult(
            line, False, "message introuvable : indiquez son numéro (#12) ou transférez-le avec la commande"
        )
    problem = mark_for_attach(tx, target, case)
    if problem:
        return CommandResult(line, False, problem)
    return CommandResult(line, True, f"le message n° {target.id} sera traité dans le dossier {case.ref}")


def _forwarded(tx: Tx, mailbox: str, cause: Cause) -> InboundRecord | None:
    """The message forwarded as an attachment with the command, if it is one we kept."""
    if cause.message is None:
        return None
    for attachment in cause.message.attachments:
        if attachment.content_type == "message/rfc822":
            inner = parse_message(attachment.data)
            if inner.message_id:
                return tx.inbound_by_message_id(mailbox, inner.message_id)
    return None
