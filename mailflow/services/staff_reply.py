"""Answer a staff member's command mail: what was done, what was refused and why (one short reply)."""

from __future__ import annotations

import secrets

from mailflow.domain.calendar import french_date
from mailflow.domain.case import Case, OutboxRecord
from mailflow.domain.effects import Party
from mailflow.domain.ids import CaseRef
from mailflow.domain.message import OutboundEmail
from mailflow.services.cause import Cause
from mailflow.services.commands import run_commands
from mailflow.services.compose import LOOP_HEADER
from mailflow.services.ingest_context import IngestContext
from mailflow.services.mailcontext import case_view
from mailflow.services.plans import CommandResult


def answer_commands(ctx: IngestContext, cause: Cause) -> Case | None:
    """Run the commands of the message and reply to its sender with one line per command."""
    case, results = run_commands(
        ctx.deps, ctx.tx, ctx.case, ctx.commands, role=ctx.role, authenticated=ctx.authenticated, cause=cause
    )
    refused = [r for r in results if not r.ok]
    if refused and case is not None:
        case.review_reason = f"commande refusée ({refused[0].line}) : {refused[0].message}"
        case = ctx.tx.save_case(case)
    _reply(ctx, case, results, cause)
    return case


def _reply(ctx: IngestContext, case: Case | None, results: list[CommandResult], cause: Cause) -> None:
    deps, msg = ctx.deps, ctx.message
    assert msg is not None
    now = deps.clock.now()
    ident = deps.identity
    context = {
        "case": case_view(case) if case else None,
        "results": [{"line": r.line, "ok": r.ok, "message": r.message} for r in results],
        "academie": {
            "name": ident.academie_name,
            "dareic_name": ident.dareic_name,
            "dareic_address": ident.dareic_address,
            "signatory_name": ident.signatory_name,
            "signatory_title": ident.signatory_title,
        },
        "recipient": {"party": Party.STAFF.value, "address": msg.from_addr, "language": "fr"},
        "today": french_date(now.astimezone(ident.timezone).date()),
    }
    rendered = deps.renderer.render("command_reply_staff", context)
    ref = CaseRef.parse(case.ref) if case else None
    refs = (*msg.references[-10:], msg.message_id) if msg.message_id else ()
    email = OutboundEmail(
        message_id=deps.signer.make(ref, secrets.token_hex(6)),
        from_addr=ident.dareic_address,
        from_name=f"Dareic – {ident.academie_name}",
        to_addrs=(msg.from_addr,),
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        date=now,
        in_reply_to=msg.message_id,
        references=refs,
        extra_headers=(("Auto-Submitted", "auto-replied"), (LOOP_HEADER, ident.dareic_address)),
    )
    ctx.tx.add_outbox(
        OutboxRecord(
            case_id=case.id if case else None,
            template="command_reply_staff",
            party=Party.STAFF,
            email=email,
            next_attempt_at=now,
        )
    )
