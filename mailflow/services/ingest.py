"""INGEST_STEPS: what happens to one stored message, as an ordered tuple of small named steps.

parse -> dedupe -> classify -> authenticate -> match -> extract -> decide -> apply (DESIGN.md §3).
The whole run is one transaction; a step that raises shunts the message to quarantine instead.
"""

from __future__ import annotations

from mailflow.domain.case import InboundStatus
from mailflow.domain.classify import MailKind, classify
from mailflow.domain.commands import Role, authenticated_by, parse_commands
from mailflow.domain.forms import PARTNER_SHEET, REQUEST_FORM, check_form
from mailflow.extract.forms import scan_attachments
from mailflow.extract.mime import parse_message
from mailflow.extract.replies import visible_reply
from mailflow.services.compose import LOOP_HEADER
from mailflow.services.decide import step_apply, step_decide
from mailflow.services.ingest_context import IngestContext
from mailflow.services.matching import step_match
from mailflow.services.pipeline import CONTINUE, Outcome, Shunt, Step, Stop


def step_parse(ctx: IngestContext) -> Outcome:
    if ctx.record.raw is None:
        return Shunt("raw message missing")
    ctx.message = parse_message(ctx.record.raw)
    return CONTINUE


def step_dedupe(ctx: IngestContext) -> Outcome:
    """Drop copies of a message already handled, and our own mail coming back (Cc, loops)."""
    msg = ctx.message
    assert msg is not None
    if ctx.record.status is InboundStatus.DUPLICATE:
        ctx.status, ctx.reason = InboundStatus.DUPLICATE, ctx.record.reason or "duplicate Message-ID"
        return Stop("duplicate")
    if msg.message_id and ctx.deps.signer.is_ours(msg.message_id):
        ctx.status, ctx.reason = InboundStatus.IGNORED, "our own mail"
        return Stop("own mail")
    if msg.header(LOOP_HEADER):
        ctx.status, ctx.reason = InboundStatus.IGNORED, "mail loop header"
        return Stop("loop")
    return CONTINUE


def step_classify(ctx: IngestContext) -> Outcome:
    assert ctx.message is not None
    # The day the mail reached us dates an out-of-office notice that carries no usable Date header.
    received = ctx.record.fetched_at.astimezone(ctx.deps.identity.timezone).date()
    ctx.classification = classify(ctx.message, received=received)
    return CONTINUE


def step_authenticate(ctx: IngestContext) -> Outcome:
    """The sender's fixed role (staff, rector) and whether our own server vouches for the message."""
    msg, ident = ctx.message, ctx.deps.identity
    assert msg is not None
    sender = msg.from_addr.lower()
    if sender in ident.staff:
        ctx.role = Role.STAFF
    elif sender == ident.rector_address.lower():
        ctx.role = Role.RECTOR
    elif sender in ctx.deps.directory.addresses():
        ctx.role = Role.EMBASSY
    ctx.authenticated = authenticated_by(
        msg.header_all("Authentication-Results"), ident.trusted_authserv_id, sender
    )
    return CONTINUE


def step_extract(ctx: IngestContext) -> Outcome:
    """The visible reply, the commands at its top, and the forms among the attachments."""
    msg = ctx.message
    assert msg is not None and ctx.classification is not None
    if ctx.classification.kind is not MailKind.HUMAN:
        return CONTINUE
    ctx.visible = visible_reply(msg.text)
    ctx.commands = parse_commands(ctx.visible)
    scan = scan_attachments(msg.attachments)
    for found in scan.forms:
        if found.spec_id == REQUEST_FORM.form_id:
            # The form file itself, also when it came inside a forwarded message.
            attachment = found.attachment or next(
                a for a in msg.attachments if a.filename == found.attachment_name
            )
            ctx.requests.append((found, check_form(REQUEST_FORM, found.raw.cells), attachment))
        elif found.spec_id == PARTNER_SHEET.form_id:
            ctx.partner_sheets.append((found, check_form(PARTNER_SHEET, found.raw.cells)))
    ctx.unreadable = list(scan.unreadable)
    return CONTINUE


INGEST_STEPS: tuple[Step[IngestContext], ...] = (
    Step("parse", step_parse),
    Step("dedupe", step_dedupe),
    Step("classify", step_classify),
    Step("authenticate", step_authenticate),
    Step("match", step_match),
    Step("extract", step_extract),
    Step("decide", step_decide),
    Step("apply", step_apply),
)
