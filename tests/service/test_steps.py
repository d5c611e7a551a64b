"""Each ingest step on its own, on a context built by hand (real domain, SQLite store, fake ports)."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from mailflow.adapters.formbuild import build_partner_sheet, build_request_form, fill_form
from mailflow.domain.case import InboundRecord, InboundStatus
from mailflow.domain.classify import MailKind
from mailflow.domain.commands import Role
from mailflow.domain.ids import MailboxKey
from mailflow.domain.states import CaseState, EventKind
from mailflow.runtime import demo_mails as mails
from mailflow.services.decide import step_apply, step_decide
from mailflow.services.ingest import (
    INGEST_STEPS,
    step_authenticate,
    step_classify,
    step_dedupe,
    step_extract,
    step_match,
    step_parse,
)
from mailflow.services.ingest_context import IngestContext
from mailflow.services.pipeline import Continue, Shunt, Stop
from mailflow.services.poll import poll_once
from mailflow.services.workflow import local_today

DAREIC = "ce.dareic@ac-strasbourg.fr"


def _ctx(deps, tx, raw: bytes, status=InboundStatus.NEW) -> IngestContext:
    record = InboundRecord(
        id=1,
        key=MailboxKey("INBOX", 1, 1),
        message_id=None,
        fetched_at=deps.clock.now(),
        raw=raw,
        status=status,
    )
    return IngestContext(deps=deps, tx=tx, record=record)


def _run(ctx, *steps):
    for step in steps:
        outcome = step(ctx)
        if not isinstance(outcome, Continue):
            return outcome
    return outcome


def _plain(sender: str, subject: str, body: str, **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = sender, DAREIC, subject, "<m1@example.org>"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return bytes(msg)


def _open_case(deps):
    form = fill_form(build_request_form(), mails.request_values(local_today(deps)))
    deps.mailbox.deliver(mails.school_request(form, deps.clock.now(), DAREIC))
    poll_once(deps)
    with deps.store.transaction() as tx:
        case = tx.cases()[0]
        request = next(r.email for r in tx.outbox() if r.template == "embassy_request")
    return case, request


def test_steps_are_named_in_design_order_when_listed():
    assert [s.name for s in INGEST_STEPS] == [
        "parse",
        "dedupe",
        "classify",
        "authenticate",
        "match",
        "extract",
        "decide",
        "apply",
    ]


def test_parse_fills_message_when_raw_is_mail_and_shunts_when_raw_missing(deps):
    with deps.store.transaction() as tx:
        ctx = _ctx(deps, tx, _plain("a@example.org", "Bonjour", "Texte"))
        assert isinstance(step_parse(ctx), Continue) and ctx.message.subject == "Bonjour"
        empty = _ctx(deps, tx, b"")
        empty.record.raw = None
        assert isinstance(step_parse(empty), Shunt)


def test_dedupe_stops_when_record_is_duplicate_or_our_own_mail(deps):
    with deps.store.transaction() as tx:
        dup = _ctx(deps, tx, _plain("a@example.org", "x", "y"), status=InboundStatus.DUPLICATE)
        step_parse(dup)
        assert isinstance(step_dedupe(dup), Stop) and dup.status is InboundStatus.DUPLICATE
        own_id = deps.signer.make(None, "n1")
        own = _ctx(deps, tx, _plain("a@example.org", "x", "y").replace(b"<m1@example.org>", own_id.encode()))
        step_parse(own)
        assert isinstance(step_dedupe(own), Stop) and own.status is InboundStatus.IGNORED
        fresh = _ctx(deps, tx, _plain("a@example.org", "x", "y"))
        step_parse(fresh)
        assert isinstance(step_dedupe(fresh), Continue)


def test_classify_marks_autoreply_when_auto_submitted_header_present(deps):
    with deps.store.transaction() as tx:
        ctx = _ctx(
            deps, tx, _plain("a@example.org", "Absent", "Je suis absent", Auto_Submitted="auto-replied")
        )
        _run(ctx, step_parse, step_classify)
        assert ctx.classification.kind is MailKind.AUTOREPLY


def test_authenticate_gives_rector_role_and_trust_when_our_server_vouches(deps):
    with deps.store.transaction() as tx:
        header = "mx.ac-strasbourg.fr; dkim=pass header.d=ac-strasbourg.fr"
        ctx = _ctx(deps, tx, _plain(mails.RECTOR, "RE: x", "/valider", Authentication_Results=header))
        _run(ctx, step_parse, step_classify, step_authenticate)
        assert ctx.role is Role.RECTOR and ctx.authenticated
        stranger = _ctx(deps, tx, _plain("x@example.org", "x", "y", Authentication_Results=header))
        _run(stranger, step_parse, step_classify, step_authenticate)
        assert stranger.role is Role.STRANGER and not stranger.authenticated


def test_match_attaches_reply_when_it_answers_our_signed_message_id(deps):
    case, request = _open_case(deps)
    with deps.store.transaction() as tx:
        raw = _plain(mails.EMBASSY_BW, "AW: sans référence", "Bonjour", In_Reply_To=request.message_id)
        ctx = _ctx(deps, tx, raw)
        _run(ctx, step_parse, step_classify, step_authenticate, step_match)
        assert ctx.case.ref == case.ref and ctx.role is Role.EMBASSY


def test_match_refuses_reference_typed_by_a_stranger_when_nothing_else_matches(deps):
    case, _ = _open_case(deps)
    with deps.store.transaction() as tx:
        ctx = _ctx(deps, tx, _plain("intrus@example.org", f"[{case.ref}] /valider", "/valider"))
        _run(ctx, step_parse, step_classify, step_authenticate, step_match)
        assert ctx.case is None and ctx.match.candidates  # a candidate for "à rattacher", not a match


def test_extract_reads_forms_and_commands_when_present(deps):
    with deps.store.transaction() as tx:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = mails.EMBASSY_BW, DAREIC, "fiche"
        msg.set_content("/note vu\nLa fiche est jointe.\n\n> ancien texte\n> /valider")
        msg.add_attachment(
            fill_form(build_partner_sheet(), mails.partner_values()), *mails.XLSX, filename="f.xlsx"
        )
        ctx = _ctx(deps, tx, bytes(msg))
        _run(ctx, step_parse, step_classify, step_extract)
        assert [c.name for c in ctx.commands] == ["note"]  # quoted /valider is never a command
        assert len(ctx.partner_sheets) == 1 and ctx.partner_sheets[0][1].ok


def test_decide_plans_partner_and_apply_moves_case_when_embassy_returns_sheet(deps):
    _case, request = _open_case(deps)
    sheet = fill_form(build_partner_sheet(), mails.partner_values())
    with deps.store.transaction() as tx:
        ctx = _ctx(deps, tx, mails.embassy_partner(request, sheet, deps.clock.now()))
        _run(ctx, step_parse, step_dedupe, step_classify, step_authenticate, step_match, step_extract)
        assert isinstance(step_decide(ctx), Continue)
        assert [p.event for p in ctx.plan] == [EventKind.PARTNER_PROPOSED, EventKind.PARTNER_CONFIRMED]
        assert ctx.status is InboundStatus.CLAIMED
        step_apply(ctx)
        assert ctx.case.state is CaseState.AWAITING_SCHOOL and ctx.case.partner["partner_name"]


@pytest.mark.parametrize(
    ("body", "event"),
    [
        ("Oui, nous acceptons.", EventKind.SCHOOL_ACCEPTED),
        ("Non, ce partenaire ne nous convient pas.", EventKind.SCHOOL_DECLINED),
        ("Pouvons-nous en parler ?", EventKind.SCHOOL_REPLY_UNCLEAR),
    ],
)
def test_decide_reads_school_answer_when_partner_was_proposed(deps, body, event):
    _case, request = _open_case(deps)
    sheet = fill_form(build_partner_sheet(), mails.partner_values())
    deps.mailbox.deliver(mails.embassy_partner(request, sheet, deps.clock.now()))
    poll_once(deps)
    with deps.store.transaction() as tx:
        proposal = next(r.email for r in tx.outbox() if r.template == "partner_proposal_school")
        ctx = _ctx(
            deps, tx, _plain(mails.SCHOOL, f"RE: {proposal.subject}", body, In_Reply_To=proposal.message_id)
        )
        _run(
            ctx,
            step_parse,
            step_dedupe,
            step_classify,
            step_authenticate,
            step_match,
            step_extract,
            step_decide,
        )
        assert ctx.plan[0].event is event


def test_decide_leaves_unknown_mail_not_ours_when_no_case_and_no_form(deps):
    with deps.store.transaction() as tx:
        ctx = _ctx(deps, tx, _plain("quelquun@example.org", "Question", "Bonjour"))
        _run(
            ctx,
            step_parse,
            step_dedupe,
            step_classify,
            step_authenticate,
            step_match,
            step_extract,
            step_decide,
        )
        assert ctx.status is InboundStatus.NOT_OURS and not ctx.plan
        step_apply(ctx)
        assert tx.cases() == []
