"""The decide and apply steps: from what a message says to events on a case (or a new case)."""

from __future__ import annotations

from mailflow.domain.answers import (
    fold,
    mentions_withdrawal,
    read_opinion,
    read_yes_no,
    suggest_embassy_reading,
)
from mailflow.domain.case import InboundStatus
from mailflow.domain.classify import MailKind
from mailflow.domain.commands import Role
from mailflow.domain.errors import IllegalTransition
from mailflow.domain.forms import values_to_json
from mailflow.domain.states import CaseState, EventKind, allowed_events
from mailflow.services.cases import open_or_version
from mailflow.services.cause import Cause
from mailflow.services.ingest_context import IngestContext, Planned
from mailflow.services.machine_mail import handle_machine_mail
from mailflow.services.pipeline import CONTINUE, Outcome
from mailflow.services.staff_reply import answer_commands
from mailflow.services.workflow import apply_event, note


def step_decide(ctx: IngestContext) -> Outcome:
    """Decide the status of the message and the events it causes; nothing is written yet."""
    assert ctx.classification is not None
    kind = ctx.classification.kind
    if kind is not MailKind.HUMAN:
        if ctx.case is None:
            ctx.status, ctx.reason = InboundStatus.NOT_OURS, f"{kind.value} not about one of our mails"
        else:
            ctx.status, ctx.reason = InboundStatus.IGNORED, kind.value
            ctx.note = f"{kind.value}_received"
        return CONTINUE
    if ctx.commands and ctx.role in (Role.STAFF, Role.RECTOR):
        # Checked and carried out in apply (a token's single use is a write); answered either way.
        ctx.status, ctx.staff_commands = InboundStatus.CLAIMED, True
        return CONTINUE
    if ctx.case is None:
        if ctx.requests or _unreadable_request(ctx):
            ctx.status, ctx.form_received = InboundStatus.CLAIMED, True
        elif ctx.match and ctx.match.candidates:
            ctx.status = InboundStatus.UNMATCHED
            ctx.reason = "à rattacher : " + ", ".join(f"{ref} (score {s})" for ref, s in _named(ctx))
        else:
            ctx.status = InboundStatus.NOT_OURS
        return CONTINUE
    ctx.status = InboundStatus.CLAIMED
    if ctx.requests or _unreadable_request(ctx):
        ctx.form_received = True  # a new form version for this case: handled in apply
        return CONTINUE
    if ctx.role is Role.EMBASSY:
        ctx.plan.extend(_embassy_reply(ctx))
    elif ctx.role is Role.SCHOOL:
        ctx.plan.extend(_school_reply(ctx))
    if not ctx.plan and ctx.note is None:
        ctx.note = "message_received"
    return CONTINUE


def _named(ctx: IngestContext) -> list[tuple[str, int]]:
    """The candidate cases by reference, best first (at most three)."""
    assert ctx.match is not None
    return [(ctx.tx.case(case_id).ref, score) for case_id, score in ctx.match.candidates[:3]]


def _unreadable_request(ctx: IngestContext) -> bool:
    """A request whose form could not be read (scanned PDF, encrypted file...): answered, never ignored."""
    if not ctx.unreadable or ctx.message is None:
        return False
    names = " ".join(name for name, _ in ctx.unreadable)
    text = fold(f"{ctx.message.subject} {names} {ctx.visible[:1000]}")
    return "appariement" in text or "formulaire" in text


def _embassy_reply(ctx: IngestContext) -> list[Planned]:
    case = ctx.case
    assert case is not None
    good = [(f, c) for f, c in ctx.partner_sheets if c.ok]
    if good and case.state in (CaseState.AT_EMBASSY, CaseState.PARTNER_PROPOSED):
        found, check = good[0]
        detail = f"fiche partenaire {found.attachment_name}"
        plan = [Planned(EventKind.PARTNER_PROPOSED, detail, partner=values_to_json(check.values))]
        if ctx.deps.policy.auto_confirm_partner_sheet:
            plan.append(Planned(EventKind.PARTNER_CONFIRMED, "fiche partenaire complète"))
        return plan
    if ctx.partner_sheets:
        problems = "; ".join(p.message for _, c in ctx.partner_sheets for p in c.problems)
        return [Planned(EventKind.EMBASSY_REPLIED, f"fiche partenaire incomplète : {problems}")]
    if case.state is CaseState.EMBASSY_OPINION:
        opinion = read_opinion(ctx.visible)
        if opinion is not None:
            return [
                Planned(
                    EventKind.OPINION_FAVOURABLE if opinion else EventKind.OPINION_UNFAVOURABLE,
                    "réponse de l'ambassade",
                )
            ]
    return [Planned(EventKind.EMBASSY_REPLIED, suggest_embassy_reading(ctx.visible))]


def _school_reply(ctx: IngestContext) -> list[Planned]:
    case = ctx.case
    assert case is not None
    if mentions_withdrawal(ctx.visible) and EventKind.WITHDRAW in allowed_events(case.state):
        return [Planned(EventKind.WITHDRAW, "retrait demandé par l'établissement")]
    if case.state is CaseState.AWAITING_SCHOOL:
        answer = read_yes_no(ctx.visible)
        first_line = ctx.visible.strip().splitlines()[0][:80] if ctx.visible.strip() else ""
        if answer is True:
            return [Planned(EventKind.SCHOOL_ACCEPTED, f"« {first_line} »")]
        if answer is False:
            follow = (
                EventKind.ASK_ANOTHER_PARTNER
                if ctx.deps.policy.on_school_decline == "ask_again"
                else EventKind.CLOSE
            )
            return [
                Planned(EventKind.SCHOOL_DECLINED, f"« {first_line} »"),
                Planned(follow, "politique de la Dareic"),
            ]
        return [Planned(EventKind.SCHOOL_REPLY_UNCLEAR, f"« {first_line} »")]
    if case.state is CaseState.CONVENTION and ctx.message and ctx.message.attachments:
        names = ", ".join(a.filename for a in ctx.message.attachments)
        return [Planned(EventKind.CONVENTION_RECEIVED, f"pièces jointes : {names}")]
    return []


def step_apply(ctx: IngestContext) -> Outcome:
    """Write what was decided: the case (new or new form version), events with their effects, notes."""
    msg = ctx.message
    assert msg is not None
    cause = Cause(actor=msg.from_addr or "unknown", inbound_id=ctx.record.id, message=msg)
    if ctx.staff_commands:
        ctx.case = answer_commands(ctx, cause)
        return CONTINUE
    if ctx.form_received and ctx.status is InboundStatus.CLAIMED:
        ctx.case, form_events = open_or_version(ctx, cause)
        ctx.plan = form_events + ctx.plan
    case = ctx.case
    if case is None:
        return CONTINUE
    for planned in ctx.plan:
        if planned.partner is not None:
            case.partner = planned.partner
        step_cause = Cause(cause.actor, cause.inbound_id, msg, planned.detail, dict(planned.extras))
        try:
            case = apply_event(ctx.deps, ctx.tx, case, planned.event, step_cause)
        except IllegalTransition as exc:
            note(ctx.deps, ctx.tx, case, "event_refused", Cause(cause.actor, cause.inbound_id, msg, str(exc)))
            case.review_reason = f"message non pris en compte dans l'état actuel : {planned.event.value}"
            case = ctx.tx.save_case(case)
    if ctx.classification is not None and ctx.classification.kind is not MailKind.HUMAN:
        case = handle_machine_mail(ctx, case, cause)
    if ctx.note:
        note(
            ctx.deps,
            ctx.tx,
            case,
            ctx.note,
            Cause(cause.actor, cause.inbound_id, msg, ctx.reason or msg.subject[:120]),
        )
        if ctx.note in ("message_received", "command_refused"):
            case.review_reason = "message à lire" if ctx.note == "message_received" else ctx.reason
            case = ctx.tx.save_case(case)
    ctx.case = case
    return CONTINUE
