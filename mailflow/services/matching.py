"""The match step: every threading signal of MAIL.md §2, gathered from the store and scored by the domain."""

from __future__ import annotations

from mailflow.domain.case import Case
from mailflow.domain.commands import Role
from mailflow.domain.ids import find_refs
from mailflow.domain.threading import Candidate, decide_match
from mailflow.extract.replies import visible_reply
from mailflow.ports import Tx
from mailflow.services.ingest_context import IngestContext
from mailflow.services.pipeline import CONTINUE, Outcome


def step_match(ctx: IngestContext) -> Outcome:
    """Score every case the message points at and keep a confident one (or the one staff attached it to)."""
    msg, tx = ctx.message, ctx.tx
    assert msg is not None
    if ctx.record.case_id is not None:  # attached by staff (`mailflow attach`, /rattacher): no guessing
        ctx.case = tx.case(ctx.record.case_id)
        _role_in_case(ctx)
        return CONTINUE
    found: dict[int, Candidate] = {}
    cases = _Cases(tx)
    _by_message_ids(ctx, found, cases)
    _by_thread_index(ctx, found, cases)
    _by_references(ctx, found, cases)
    sender = msg.from_addr.lower()
    for case_id, candidate in found.items():
        if ctx.role in (Role.STAFF, Role.RECTOR) or sender in tx.case_parties(case_id):
            candidate.sender_is_party = True
            candidate.reasons.append("sender is a party of the case")
    ctx.match = decide_match(list(found.values()))
    if ctx.match.case_id is not None:
        ctx.case = cases.by_id.get(ctx.match.case_id) or tx.case(ctx.match.case_id)
        _role_in_case(ctx)
    return CONTINUE


class _Cases:
    """Cases read once per message: a reply names its case in the subject, the body and its ids."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx
        self.by_ref: dict[str, Case | None] = {}
        self.by_id: dict[int, Case] = {}

    def get(self, ref: str) -> Case | None:
        if ref not in self.by_ref:
            case = self.by_ref[ref] = self.tx.case_by_ref(ref)
            if case is not None and case.id is not None:
                self.by_id[case.id] = case
        return self.by_ref[ref]


def _cand(found: dict[int, Candidate], case_id: int) -> Candidate:
    return found.setdefault(case_id, Candidate(case_id))


def _by_message_ids(ctx: IngestContext, found: dict[int, Candidate], cases: _Cases) -> None:
    """In-Reply-To, then References newest first, then the message a bounce returns."""
    msg, tx, signer = ctx.message, ctx.tx, ctx.deps.signer
    assert msg is not None and ctx.classification is not None
    ids = [*msg.in_reply_to, *reversed(msg.references)]
    bounce = ctx.classification.bounce
    if bounce and bounce.original_message_id:
        ids.insert(0, bounce.original_message_id)
    for mid in ids:
        ref = signer.verify(mid)
        if ref is not None:
            case = cases.get(str(ref))
            if case is not None and case.id is not None:
                _cand(found, case.id).signed_id = True
                _cand(found, case.id).reasons.append(f"signed Message-ID {mid}")
            continue
        case_id = tx.case_for_message_id(mid)
        if case_id is not None:
            _cand(found, case_id).known_id = True
            _cand(found, case_id).reasons.append(f"known Message-ID {mid}")


def _by_thread_index(ctx: IngestContext, found: dict[int, Candidate], cases: _Cases) -> None:
    """Outlook keeps our Thread-Index (plus 5 bytes per reply) even when it drops References."""
    msg = ctx.message
    assert msg is not None
    if not msg.thread_index:
        return
    ref = ctx.deps.threads.read(msg.thread_index)
    case = cases.get(str(ref)) if ref else None
    if case is not None and case.id is not None:
        _cand(found, case.id).thread_index = True
        _cand(found, case.id).reasons.append("Thread-Index of the case")


def _by_references(ctx: IngestContext, found: dict[int, Candidate], cases: _Cases) -> None:
    """The case reference in the subject (under any prefix) or in the visible body."""
    msg = ctx.message
    assert msg is not None
    prefix = ctx.deps.identity.case_prefix
    for ref in find_refs(msg.subject, prefix):
        case = cases.get(str(ref))
        if case is not None and case.id is not None:
            _cand(found, case.id).subject_ref = True
            _cand(found, case.id).reasons.append(f"subject reference {ref}")
    for ref in find_refs(visible_reply(msg.text)[:5000], prefix):
        case = cases.get(str(ref))
        if case is not None and case.id is not None:
            _cand(found, case.id).body_ref = True
            _cand(found, case.id).reasons.append(f"body reference {ref}")


def _role_in_case(ctx: IngestContext) -> None:
    """A sender with no fixed role is the school or the embassy of the case they write about."""
    assert ctx.case is not None and ctx.message is not None
    if ctx.role is not Role.STRANGER:
        return
    sender = ctx.message.from_addr.lower()
    if sender == ctx.case.school_address.lower():
        ctx.role = Role.SCHOOL
    elif ctx.case.embassy_address and sender == ctx.case.embassy_address.lower():
        ctx.role = Role.EMBASSY
