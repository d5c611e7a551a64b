"""Retention (DOMAIN.md §6): `purge` removes personal data past its retention, kind by kind, and says what.

One physical-mobility case runs to MOBILITY_AUTHORISED (form, convention, notification, mails both ways),
a second case stays open, a stranger's mail waits "à rattacher". Then the years pass.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from mailflow.adapters.db import tables as t
from mailflow.adapters.formbuild import build_partner_sheet, fill_form
from mailflow.domain.case import InboundStatus, OutboxRecord
from mailflow.domain.effects import Party
from mailflow.domain.incidents import Incident, IncidentKind
from mailflow.domain.message import OutboundEmail
from mailflow.domain.retention import (
    PERSONAL_FIELDS,
    DocumentKind,
    EndedCase,
    Kept,
    RetentionPolicy,
    past_retention,
)
from mailflow.domain.states import CaseState
from mailflow.runtime import demo_mails as mails
from mailflow.services.mailcontext import case_view
from mailflow.services.retention import EVENT, purge
from mailflow.services.workflow import local_today
from tests.service.helpers import DAREIC, case, deliver, last_mail, mail, open_case, staff_command

POLICY = RetentionPolicy()
_NOW = datetime(2040, 1, 1, tzinfo=UTC)
K = DocumentKind


def _story(deps):
    """Returns (ended case, open case): the first authorised for a physical mobility, the second at the embassy."""
    physical = {"mobility_type": "virtuelle et physique", "mobility_period": "du 15 au 22 mars 2027"}
    ended = open_case(deps, mails.request_values(local_today(deps)) | physical)
    sheet = fill_form(build_partner_sheet(), mails.partner_values())
    now = deps.clock.now()
    deliver(deps, mails.embassy_partner(last_mail(deps, "embassy_request"), sheet, now))
    deliver(deps, mails.school_accepts(last_mail(deps, "partner_proposal_school"), now))
    deliver(deps, mails.rector_validates(last_mail(deps, "rector_request"), now))
    request = last_mail(deps, "convention_request_school")
    convention = EmailMessage()
    convention["From"], convention["To"], convention["Subject"] = (
        mails.SCHOOL,
        DAREIC,
        f"RE: {request.subject}",
    )
    convention["Message-ID"], convention["In-Reply-To"] = "<conv@ac-strasbourg.fr>", request.message_id
    convention.set_content("Veuillez trouver la convention signée (liste des élèves jointe).")
    convention.add_attachment(b"%PDF-1.4 eleves", "application", "pdf", filename="convention-signee.pdf")
    deliver(deps, bytes(convention))
    deliver(deps, staff_command("/ca 12/01/2027", reply_to=request))
    assert case(deps, ended.ref).state is CaseState.MOBILITY_AUTHORISED
    other = open_case(deps, mails.request_values(local_today(deps)) | {"uai": "0672134F"})
    assert case(deps, other.ref).state is CaseState.AT_EMBASSY
    stranger = mail("intrus@example.org", "Voici des informations.", subject=f"[{ended.ref}] question")
    assert deliver(deps, stranger).statuses == {"unmatched": 1}
    deliver(deps, mails.newsletter(deps.clock.now(), DAREIC))  # not ours: its raw is never kept
    return case(deps, ended.ref), case(deps, other.ref)


def _later(deps, days: int) -> None:
    deps.clock.advance(timedelta(days=days))


def _incident(deps, message: str = "IMAP server unreachable") -> int:
    """One line of the daemon's incident journal, dated now."""
    with deps.store.transaction() as tx:
        return tx.add_incident(Incident(IncidentKind.MAILBOX, deps.clock.now(), message))


def _journal(deps) -> list[str]:
    with deps.store.transaction() as tx:
        return [i.message for i in tx.incidents_since(None)]


def _kinds(report) -> dict[DocumentKind, int]:
    return {kind: n for kind, n in report.counts().items() if n}


def _snapshot(deps) -> dict[str, list[tuple]]:
    with deps.store.engine.connect() as conn:
        return {
            table.name: [tuple(row) for row in conn.execute(select(table))]
            for table in t.metadata.sorted_tables
        }


def _raw_kept(deps, case_id: int | None) -> list[int]:
    c = t.inbound.c
    cond = c.case_id.is_(None) if case_id is None else c.case_id == case_id
    with deps.store.engine.connect() as conn:
        stmt = select(c.id).join(t.inbound_raw, t.inbound_raw.c.inbound_id == c.id).where(cond)
        return list(conn.execute(stmt).scalars())


def _outbox(deps, case_id: int) -> dict[str, tuple[str, str | None, int]]:
    """template -> (text, html, number of attachments) of the last mail of each template."""
    with deps.store.transaction() as tx:
        return {
            r.template: (r.email.text, r.email.html, len(r.email.attachments)) for r in tx.outbox(case_id)
        }


def test_purge_removes_nothing_when_everything_is_within_retention(deps):
    _story(deps)
    before = _snapshot(deps)
    report = purge(deps, POLICY)
    assert report.total == 0 and report.lines()[0].startswith("rien à supprimer")
    assert _snapshot(deps) == before


def test_dry_run_lists_everything_past_retention_and_changes_nothing_then_real_run_removes_that(deps):
    _story(deps)
    _incident(deps)
    _later(deps, 3651)
    before = _snapshot(deps)
    dry = purge(deps, POLICY, dry_run=True)
    assert _snapshot(deps) == before
    assert set(_kinds(dry)) == set(DocumentKind)
    assert any("seraient supprimés" in line for line in dry.lines())
    real = purge(deps, POLICY)
    assert [(r.kind, r.row_id) for r in real.removals] == [(r.kind, r.row_id) for r in dry.removals]
    assert _snapshot(deps) != before
    assert purge(deps, POLICY).total == 0  # nothing left to remove: a second run is a no-op


def test_conventions_go_first_and_unattached_mail_after_its_own_delay_when_time_passes(deps):
    ended, _ = _story(deps)
    _later(deps, 91)
    report = purge(deps, POLICY)
    assert _kinds(report) == {K.UNATTACHED_MAIL: 1}  # the stranger's mail; the newsletter kept no raw
    assert _raw_kept(deps, None) == []
    _later(deps, 366 - 91)
    report = purge(deps, POLICY)
    assert _kinds(report) == {K.CONVENTION: 1}
    assert report.removals[0].case_ref == ended.ref and "<conv@ac-strasbourg.fr>" in report.removals[0].what
    with deps.store.transaction() as tx:
        convention = tx.inbound(tx.inbound_by_message_id("INBOX", "<conv@ac-strasbourg.fr>").id)
        assert convention.raw is None and convention.status is InboundStatus.CLAIMED  # the row stays
    assert len(_raw_kept(deps, ended.id)) > 0  # the other mails of the case: not yet


def test_mails_forms_then_contacts_then_notification_go_when_their_retention_ends(deps):
    ended, _ = _story(deps)
    _later(deps, 731)
    report = purge(deps, POLICY)
    assert set(_kinds(report)) == {
        K.UNATTACHED_MAIL,
        K.CONVENTION,
        K.INBOUND_MAIL,
        K.FORM_FILE,
        K.OUTGOING_MAIL,
    }
    assert _raw_kept(deps, ended.id) == []
    sent = _outbox(deps, ended.id)
    assert sent["embassy_request"] == ("", None, 0)  # body, HTML and the attached form are gone
    assert sent["notification_school"][0] and sent["notification_school"][1]  # the decision: kept
    with deps.store.transaction() as tx:
        assert tx.latest_form_attachment(ended.id) is None
        assert tx.case(ended.id).form["head_name"] == "Mme Claire Martin"  # contacts: not yet

    _later(deps, 1096 - 731)
    report = purge(deps, POLICY)
    assert _kinds(report) == {K.CONTACTS: 1}
    assert report.erased_fields[ended.id] == sorted(PERSONAL_FIELDS)
    with deps.store.transaction() as tx:
        kept = tx.case(ended.id)
        events = tx.events(ended.id)
    assert not PERSONAL_FIELDS & set(kept.form) and not PERSONAL_FIELDS & set(kept.partner)
    assert kept.school_uai == "0670080Y" and kept.form["project_theme"]  # the administrative facts stay
    view = case_view(kept)  # the case still renders for the digest and the letters
    assert view["head_name"] == "" and view["partner"]["name"] == "Goethe-Gymnasium Freiburg"
    purged = [e for e in events if e.kind == EVENT]
    assert len(purged) == 2 and "Mme Claire Martin" not in purged[-1].detail
    assert "champs effacés" in purged[-1].detail

    _later(deps, 3651 - 1096)
    report = purge(deps, POLICY)
    assert _kinds(report) == {K.NOTIFICATION: 1}
    with deps.store.transaction() as tx:
        [notification] = [r for r in tx.outbox(ended.id) if r.template == "notification_school"]
    assert notification.email.text == "" and notification.email.to_addrs == (mails.SCHOOL,)
    assert notification.email.subject  # the register of the decision: who, when, which subject


def test_incident_journal_is_purged_after_its_own_delay_when_lines_grow_old(deps):
    _incident(deps, "old outage")
    _later(deps, 60)
    _incident(deps, "recent outage")
    _later(deps, POLICY.incidents_days - 60 + 1)  # the first is 91 days old, the second 31
    dry = purge(deps, POLICY, dry_run=True)
    assert _kinds(dry) == {K.INCIDENT: 1} and _journal(deps) == ["old outage", "recent outage"]
    assert any(
        "incidents techniques du journal du service seraient supprimés" in line for line in dry.lines()
    )
    report = purge(deps, POLICY)
    assert [r.kind for r in report.removals] == [K.INCIDENT] and report.removals[0].case_ref is None
    assert _journal(deps) == ["recent outage"]
    assert POLICY.incidents_days == 90  # the documented default ([retention] incidents_days)


def test_open_case_keeps_everything_when_it_is_decades_old(deps):
    _, other = _story(deps)
    raw_before = _raw_kept(deps, other.id)
    _later(deps, 20 * 365)
    report = purge(deps, POLICY)
    assert all(r.case_id != other.id for r in report.removals)
    assert _raw_kept(deps, other.id) == raw_before and raw_before
    with deps.store.transaction() as tx:
        assert tx.latest_form_attachment(other.id) is not None
        assert tx.case(other.id).form["teacher_email"] == "paul.weber@ac-strasbourg.fr"
    assert _outbox(deps, other.id)["embassy_request"][2] > 0


def test_pending_mail_is_never_emptied_when_its_case_is_past_retention(deps):
    ended, _ = _story(deps)
    now = deps.clock.now()
    pending = OutboundEmail(
        message_id="<pending@ac-strasbourg.fr>",
        from_addr=DAREIC,
        from_name="Dareic",
        to_addrs=(mails.SCHOOL,),
        subject="En attente",
        text="Toujours à envoyer",
        date=now,
    )
    with deps.store.transaction() as tx:
        pending_id = tx.add_outbox(
            OutboxRecord(
                case_id=ended.id,
                template="reminder_school",
                party=Party.SCHOOL,
                email=pending,
                next_attempt_at=now + timedelta(days=9999),
            )
        )
    _later(deps, 3651)
    report = purge(deps, POLICY)
    assert pending_id not in {r.row_id for r in report.removals if r.kind is K.OUTGOING_MAIL}
    with deps.store.transaction() as tx:
        assert tx.drop_outgoing_bodies([pending_id]) == 0  # refused by the store itself, too
        [record] = [r for r in tx.outbox(ended.id) if r.id == pending_id]
    assert record.email.text == "Toujours à envoyer"


def test_a_reopened_case_is_not_purged_when_it_leaves_its_ended_state():
    long_ago = _NOW - timedelta(days=5000)
    kept = [Kept(K.CONTACTS, 1, 1, long_ago, "head_name"), Kept(K.INBOUND_MAIL, 5, 2, long_ago, "n° 5")]
    ended = [EndedCase(1, "APP-2020-0001", long_ago)]  # case 2 is open again: absent from the ended list
    removals = past_retention(POLICY, ended, kept, _NOW)
    assert [(r.kind, r.row_id, r.case_ref) for r in removals] == [(K.CONTACTS, 1, "APP-2020-0001")]


def test_retention_counts_from_the_case_end_not_from_the_document_date():
    long_ago = _NOW - timedelta(days=5000)
    kept = [Kept(K.FORM_FILE, 7, 3, long_ago, "v1")]
    ended_recently = [EndedCase(3, "APP-2030-0003", _NOW - timedelta(days=10))]
    assert past_retention(POLICY, ended_recently, kept, _NOW) == []
    ended_long_ago = [EndedCase(3, "APP-2030-0003", _NOW - timedelta(days=731))]
    assert [r.row_id for r in past_retention(POLICY, ended_long_ago, kept, _NOW)] == [7]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"conventions_days": 800}, "conventions_days"),
        ({"notification_days": 100}, "notification_days"),
        ({"unattached_mail_days": 4000}, "notification_days"),
        ({"inbound_mail_days": -1}, "greater than or equal"),
    ],
)
def test_policy_refuses_a_configuration_when_it_breaks_the_domain_order(values, message):
    with pytest.raises(ValidationError, match=message):
        RetentionPolicy(**values)


def test_policy_defaults_keep_pupils_shortest_and_the_decision_longest_when_not_configured():
    days = {kind: POLICY.days(kind) for kind in DocumentKind}
    case_kinds = [K.CONVENTION, K.INBOUND_MAIL, K.FORM_FILE, K.OUTGOING_MAIL, K.CONTACTS]
    assert min(case_kinds, key=days.__getitem__) is K.CONVENTION
    assert max(days, key=days.__getitem__) is K.NOTIFICATION
