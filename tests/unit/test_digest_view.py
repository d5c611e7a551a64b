"""The digest's pure view: sections from plain records, empty ones omitted, the balance, the bars."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from mailflow.domain.case import Case, CaseEvent, InboundRecord, InboundStatus
from mailflow.domain.digest import DigestData, balance_from_counts, build_digest, case_actions
from mailflow.domain.effects import Party
from mailflow.domain.ids import MailboxKey
from mailflow.domain.incidents import Incident, IncidentKind, incident_lines, unresolved
from mailflow.domain.states import CaseState

NOW = datetime(2026, 12, 7, 7, 30, tzinfo=UTC)
TODAY = date(2026, 12, 7)
SINCE = NOW - timedelta(days=1)
DAREIC = "ce.dareic@ac-strasbourg.fr"
STAFF = frozenset({"agent@ac-strasbourg.fr"})
PARIS = ZoneInfo("Europe/Paris")
IK = IncidentKind


def token_for(ref: str, action: str) -> str:
    return f"mf1.{ref}.{action}"


def make_case(n: int, state: CaseState = CaseState.AT_EMBASSY, **extra) -> Case:
    values = {
        "id": n,
        "ref": f"APP-2026-{n:04d}",
        "state": state,
        "opened_at": NOW - timedelta(days=30),
        "updated_at": NOW - timedelta(days=2),
        "school_address": f"ce.06700{n:02d}x@ac-strasbourg.fr",
        "school_name": f"Lycée {n}",
        "target_country": "DE",
        "embassy_address": "partnerschaften@km-bw.example",
    }
    return Case.model_validate(values | extra)


def record(n: int, status: InboundStatus, reason: str = "") -> InboundRecord:
    return InboundRecord(
        id=n,
        key=MailboxKey("INBOX", 1, n),
        message_id=f"<m{n}@x>",
        fetched_at=NOW - timedelta(hours=3),
        status=status,
        reason=reason,
        from_addr=f"sender{n}@example.org",
        subject=f"Sujet {n}",
    )


def event(
    case_id: int, kind: str, detail: str = "", actor: str = "partnerschaften@km-bw.example"
) -> CaseEvent:
    return CaseEvent(case_id=case_id, at=NOW - timedelta(hours=2), kind=kind, actor=actor, inbound_id=9,
                     detail=detail)  # fmt: skip


def build(**data) -> object:
    base = {"now": NOW, "today": TODAY, "since": SINCE, "open_cases": [], "staff": STAFF}
    return build_digest(DigestData(**(base | data)), DAREIC, token_for)


def test_every_section_is_empty_when_nothing_happened():
    view = build()
    for section in ("to_handle", "new_requests", "replies", "overdue", "bad_addresses", "to_attach",
                    "quarantine", "bars", "incidents"):  # fmt: skip
        assert getattr(view, section) == (), section
    assert view.open_count == 0 and view.balance.balanced and view.headline == "rien à traiter"


def test_case_waiting_for_staff_is_listed_with_legal_one_click_actions_when_it_has_a_review_reason():
    proposed = make_case(1, CaseState.PARTNER_PROPOSED, review_reason="partenaire proposé : à confirmer")
    quiet = make_case(2)
    view = build(open_cases=[proposed, quiet])
    [line] = view.to_handle
    assert line.ref == proposed.ref and line.detail == "partenaire proposé : à confirmer"
    assert line.country == "Allemagne" and line.state == "Partenaire proposé"
    assert [a.command for a in line.actions] == ["proposer", "autrepartenaire", "clore"]
    link = urlsplit(line.actions[0].mailto)
    query = parse_qs(link.query)
    assert link.scheme == "mailto" and link.path == DAREIC
    assert query["subject"] == [f"[{proposed.ref}] /proposer"]
    assert query["body"][0].startswith("/proposer\r\n\r\n(jeton : mf1.APP-2026-0001.proposer)")


def test_actions_skip_what_would_write_to_nobody_when_contact_is_missing_or_bouncing():
    no_contact = make_case(3, CaseState.UNDER_REVIEW, embassy_address=None)
    assert [a.command for a in case_actions(no_contact, DAREIC, token_for)] == ["clore"]
    waiting = make_case(4, CaseState.AT_EMBASSY)
    assert "relancer" in [a.command for a in case_actions(waiting, DAREIC, token_for)]
    bounced = case_actions(waiting, DAREIC, token_for, {"partnerschaften@km-bw.example"})
    assert "relancer" not in [a.command for a in bounced]


def test_new_requests_carry_their_warnings_and_replies_their_suggested_reading_when_mail_came_in():
    new = make_case(5, CaseState.RECEIVED, opened_at=NOW - timedelta(hours=5))
    old = make_case(6)
    events = [
        event(
            5, "warning", "l'adresse d'envoi ne correspond pas à l'UAI", actor="ce.0670005x@ac-strasbourg.fr"
        ),
        event(6, "embassy_replied", "lecture suggérée : partenaire proposé"),
        event(6, "note", "appel"),  # not a reply
        event(6, "partner_proposed", "commande /partenaire", actor="agent@ac-strasbourg.fr"),  # staff's own
    ]
    view = build(open_cases=[new, old], new_cases=[new], events=events)
    [request] = view.new_requests
    assert request.ref == new.ref and request.notes == ("l'adresse d'envoi ne correspond pas à l'UAI",)
    [reply] = view.replies
    assert reply.ref == old.ref and "lecture suggérée : partenaire proposé" in reply.detail


def test_overdue_lists_due_dates_passed_with_party_and_reminders_when_answers_are_late():
    late = make_case(7, waiting_for=Party.EMBASSY, due_on=TODAY - timedelta(days=4))
    on_time = make_case(8, waiting_for=Party.SCHOOL, due_on=TODAY + timedelta(days=3))
    view = build(open_cases=[late, on_time], reminders_sent={7: 2})
    [row] = view.overdue
    assert (row.ref, row.waiting_for, row.days_late, row.reminders) == (late.ref, "l'ambassade", 4, 2)


def test_bad_addresses_name_the_open_cases_they_block():
    blocked = make_case(9, embassy_address="scac@dead.example")
    closed = make_case(10, CaseState.CLOSED, embassy_address="scac@dead.example")
    view = build(open_cases=[blocked, closed], invalid_addresses={"scac@dead.example": "5.1.1"})
    [bad] = view.bad_addresses
    assert bad.cases == (blocked.ref,) and bad.reason == "5.1.1"
    assert view.open_count == 1  # a terminal case is not open


def test_unmatched_messages_offer_to_attach_to_each_candidate_and_quarantine_lists_the_failures():
    stray = record(
        12, InboundStatus.UNMATCHED, "à rattacher : APP-2026-0001 (score 40), APP-2026-0002 (score 20)"
    )
    broken = record(13, InboundStatus.QUARANTINED, "parse: APP-2026-0009 mentioned in a traceback")
    view = build(unmatched=[stray], quarantined=[broken])
    [attach] = view.to_attach
    assert attach.candidates == ("APP-2026-0001", "APP-2026-0002") and attach.id == 12
    body = parse_qs(urlsplit(attach.actions[1].mailto).query)["body"][0]
    assert body.startswith("/rattacher APP-2026-0002 #12")
    [quarantined] = view.quarantine
    assert quarantined.actions == () and quarantined.from_addr == "sender13@example.org"


def test_balance_adds_up_when_every_message_has_a_status():
    counts = {"claimed": 5, "ignored": 2, "duplicate": 1, "not_ours": 3, "unmatched": 1, "quarantined": 1}
    b = balance_from_counts(counts, opened_by_mail=2)
    assert (b.fetched, b.attached, b.new_cases, b.ignored, b.not_ours, b.quarantined) == (13, 3, 2, 3, 4, 1)
    assert b.balanced and b.uncounted == 0


def test_balance_is_false_and_names_the_missing_messages_when_some_are_left_unprocessed():
    b = balance_from_counts({"claimed": 2, "new": 3}, opened_by_mail=1)
    assert not b.balanced and b.uncounted == 3 and b.uncounted_by_status == (("new", 3),)
    view = build(inbound_counts={"claimed": 2, "new": 3}, opened_by_mail=1)
    assert not view.balance.balanced


def test_bars_are_proportional_and_in_lifecycle_order_when_cases_are_open():
    cases = [make_case(20 + i) for i in range(4)] + [make_case(30, CaseState.UNDER_REVIEW)]
    view = build(open_cases=cases)
    assert [(b.state, b.count, b.percent, b.tone) for b in view.bars] == [
        ("UNDER_REVIEW", 1, 25, "staff"),
        ("AT_EMBASSY", 4, 100, "waiting"),
    ]
    assert view.headline == "rien à traiter" and view.open_count == 5


# --- technical incidents (the daemon's journal) ---


def paris(day: int, hour: int, minute: int, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def incident(kind: IncidentKind, at: datetime, message: str = "", **extra) -> Incident:
    return Incident(kind, at, message, **extra)


def test_incidents_are_grouped_per_kind_with_their_recovery_when_the_service_came_back():
    journal = [
        incident(IK.MAILBOX, paris(6, 10, 2), "cannot connect to the IMAP server (5 attempts)"),
        incident(IK.MAILBOX, paris(6, 10, 20), "cannot connect"),
        incident(IK.MAILBOX, paris(6, 10, 40), "IMAP connection lost during fetch"),
        incident(IK.RECOVERED, paris(6, 10, 42), count=3, since=paris(6, 10, 2)),
        incident(IK.SMTP_DEFERRED, paris(6, 14, 5), "451 4.3.0 Try again later", count=2),
        incident(IK.SMTP_RECOVERED, paris(6, 14, 6), count=2, since=paris(6, 14, 5)),
        incident(IK.SMTP_REFUSED, paris(6, 15, 0), "550 5.1.1 No such user"),  # its case says so already
    ]
    view = build(incidents=journal, timezone=PARIS)
    imap, smtp = view.incidents
    assert (imap.kind, imap.label, imap.count) == (
        "mailbox_unavailable",
        "Serveur de messagerie (IMAP) injoignable",
        3,
    )
    assert imap.when == "3 fois le 6 décembre, de 10 h 02 à 10 h 40"
    assert imap.outcome == (
        "service rétabli le 6 décembre à 10 h 42, après 3 tentatives infructueuses (interruption de 40 min)"
    )
    assert imap.message == "IMAP connection lost during fetch" and not imap.ongoing
    assert smtp.when == "2 envois différés le 6 décembre à 14 h 05" and smtp.message.startswith("451")
    assert (
        smtp.outcome
        == "envois repris le 6 décembre à 14 h 06 (les courriels différés sont renvoyés automatiquement)"
    )
    assert view.incidents_ongoing == 0 and view.headline == "rien à traiter"


def test_incident_is_still_ongoing_and_in_the_headline_when_no_recovery_follows_it():
    journal = [
        incident(IK.MAILBOX, paris(6, 9, 0), "refused"),
        incident(IK.RECOVERED, paris(6, 9, 5), count=1, since=paris(6, 9, 0)),
        incident(IK.DATABASE, paris(7, 8, 0), "database unavailable: connection refused"),
        incident(IK.MAILBOX, paris(7, 8, 0), "refused again"),  # after the recovery: a new outage
    ]
    view = build(incidents=journal, timezone=PARIS)
    assert [(line.kind, line.ongoing) for line in view.incidents] == [
        ("mailbox_unavailable", True),
        ("database_unavailable", True),
    ]
    database = view.incidents[1]
    assert database.when == "une fois le 7 décembre à 8 h 00" and database.outcome == "toujours en cours"
    assert view.incidents_ongoing == 2 and view.headline == "2 incident(s) technique(s) en cours"


def test_incidents_told_in_an_earlier_digest_are_left_out_but_an_outage_ending_now_is_told_whole():
    journal = [
        incident(IK.UNEXPECTED, paris(5, 9, 0), "boom"),  # before SINCE (6 December, 8 h 30), and over
        incident(IK.RECOVERED, paris(5, 9, 1), count=1, since=paris(5, 9, 0)),
        incident(IK.MAILBOX, paris(6, 6, 0)),  # began before SINCE...
        incident(IK.MAILBOX, paris(6, 7, 0), "cannot connect"),
        incident(IK.RECOVERED, paris(6, 9, 5), count=2, since=paris(6, 6, 0)),  # ...and ends after it
    ]
    [line] = build(incidents=journal, timezone=PARIS).incidents
    assert line.kind == "mailbox_unavailable" and line.when == "2 fois le 6 décembre, de 6 h 00 à 7 h 00"
    assert (
        line.outcome
        == "service rétabli le 6 décembre à 9 h 05, après 2 tentatives infructueuses (interruption de 3 h 05)"
    )
    assert line.message == "cannot connect"


def test_incident_dates_name_the_year_only_when_it_is_not_this_one_and_durations_read_naturally():
    journal = [
        incident(IK.UNEXPECTED, paris(31, 23, 50)),
        incident(IK.UNEXPECTED, paris(1, 0, 10, month=1, year=2027)),
        incident(IK.RECOVERED, paris(2, 1, 15, month=1, year=2027), count=2, since=paris(31, 23, 50)),
        incident(IK.DATABASE, paris(2, 2, 0, month=1, year=2027)),
        incident(IK.RECOVERED, paris(2, 2, 0, month=1, year=2027), count=1, since=paris(2, 2, 0, 1, 2027)),
    ]
    unexpected, database = incident_lines(journal, None, PARIS, date(2027, 1, 4))
    assert unexpected.when == "2 fois du 31 décembre 2026 à 23 h 50 au 1er janvier à 0 h 10"
    assert unexpected.outcome.endswith("après 2 tentatives infructueuses (interruption de 1 jour et 1 h)")
    assert database.outcome == (
        "service rétabli le 2 janvier à 2 h 00, après 1 tentative infructueuse (interruption de moins d'une minute)"
    )


def test_unresolved_gives_the_failures_after_the_last_recovery_when_a_daemon_starts_again():
    journal = [
        incident(IK.MAILBOX, paris(6, 9, 0)),
        incident(IK.RECOVERED, paris(6, 9, 5), count=1, since=paris(6, 9, 0)),
        incident(IK.DATABASE, paris(6, 10, 0)),
        incident(IK.MAILBOX, paris(6, 10, 5)),
        incident(IK.SMTP_DEFERRED, paris(6, 10, 6), count=3),
    ]
    cycles = {IK.MAILBOX, IK.DATABASE, IK.UNEXPECTED}
    assert unresolved(journal, cycles) == (paris(6, 10, 0), 2)
    assert unresolved(journal, {IK.SMTP_DEFERRED}) == (paris(6, 10, 6), 3)
    ended = [*journal, incident(IK.RECOVERED, paris(6, 10, 7)), incident(IK.SMTP_RECOVERED, paris(6, 10, 8))]
    assert unresolved(ended, cycles) is None and unresolved(ended, {IK.SMTP_DEFERRED}) is None
