"""The incident journal in SqlStore, on a SQLite file and on PostgreSQL (fixtures in conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from mailflow.adapters.db import SqlStore
from mailflow.domain.incidents import Incident, IncidentKind
from mailflow.domain.retention import DocumentKind

PARIS = timezone(timedelta(hours=1))


def test_incident_journal_round_trips_in_time_order_and_is_read_from_a_given_time_when_appended(
    store: SqlStore,
) -> None:
    first = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    down = Incident(IncidentKind.DATABASE, first, "database unavailable: « connexion refusée »")
    recovered = Incident(IncidentKind.RECOVERED, first + timedelta(minutes=7), count=3, since=first)
    deferred = Incident(IncidentKind.SMTP_DEFERRED, first + timedelta(minutes=2), "451 later", count=2)
    with store.transaction() as tx:
        ids = [tx.add_incident(i) for i in (down, recovered, deferred)]
        tx.add_incident(Incident(IncidentKind.MAILBOX, first.astimezone(PARIS) - timedelta(days=1)))
    with store.transaction() as tx:
        since = tx.incidents_since(first)
        everything = tx.incidents_since(None)
    assert [(i.kind, i.at, i.message, i.count, i.since) for i in since] == [
        (IncidentKind.DATABASE, first, "database unavailable: « connexion refusée »", 1, None),
        (IncidentKind.SMTP_DEFERRED, first + timedelta(minutes=2), "451 later", 2, None),
        (IncidentKind.RECOVERED, first + timedelta(minutes=7), "", 3, first),
    ]
    assert [i.id for i in since] == [ids[0], ids[2], ids[1]] and since[2].since.tzinfo is not None
    assert len(everything) == 4 and everything[0].kind is IncidentKind.MAILBOX


def test_incident_journal_lists_lines_for_the_purge_and_drops_only_those_given(store: SqlStore) -> None:
    at = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    with store.transaction() as tx:
        ids = [tx.add_incident(Incident(IncidentKind.MAILBOX, at + timedelta(minutes=n))) for n in range(3)]
    with store.transaction() as tx:
        kept = tx.kept_incidents()
        assert [(k.kind, k.row_id, k.case_id, k.at) for k in kept] == [
            (DocumentKind.INCIDENT, ids[n], None, at + timedelta(minutes=n)) for n in range(3)
        ]
        assert tx.drop_incidents([ids[0], ids[2], 999_999]) == 2
    with store.transaction() as tx:
        assert [i.id for i in tx.incidents_since(None)] == [ids[1]]
