"""`mailflow purge`: remove the personal data past retention (DOMAIN.md §6) and say what was removed;
the daemon's incident journal is purged the same way (its own delay).

One transaction: list what is still kept, let the pure domain pick what is past retention, remove
exactly that, and write one timeline line per case touched (``data_purged``: what went, never the data).
A dry run does the listing and the choosing only: it changes nothing, and a real run right after it
removes the same list.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import structlog

from mailflow.domain.case import CaseEvent
from mailflow.domain.retention import LABELS, DocumentKind, Removal, RetentionPolicy, past_retention
from mailflow.ports import Tx
from mailflow.services.deps import Deps

log = structlog.get_logger("mailflow.retention")
ACTOR = "system:purge"
EVENT = "data_purged"


@dataclass(slots=True)
class PurgeReport:
    """What a purge removed (or, in a dry run, would remove), item by item."""

    at: datetime
    dry_run: bool
    removals: list[Removal] = field(default_factory=list)
    erased_fields: dict[int, list[str]] = field(default_factory=dict)  # case id -> personal fields erased

    def counts(self) -> dict[DocumentKind, int]:
        """Items per kind, every kind listed (zeros included), in the order of DocumentKind."""
        found = Counter(r.kind for r in self.removals)
        return {kind: found.get(kind, 0) for kind in DocumentKind}

    @property
    def total(self) -> int:
        return len(self.removals)

    def as_dict(self) -> dict[str, object]:
        """The stable JSON form printed by ``mailflow purge --json``."""
        return {
            "at": self.at.isoformat(),
            "dry_run": self.dry_run,
            "counts": {kind.value: n for kind, n in self.counts().items()},
            "items": [
                {
                    "kind": r.kind.value,
                    "id": r.row_id,
                    "case": r.case_ref,
                    "what": r.what,
                    "since": r.since.isoformat(),
                }
                for r in self.removals
            ],
        }

    def lines(self) -> list[str]:
        """The French summary: one line per kind with something to remove, then the items."""
        verb = "seraient supprimés" if self.dry_run else "supprimés"
        out = [f"{n} {LABELS[kind]} {verb}" for kind, n in self.counts().items() if n] or [
            "rien à supprimer : aucune donnée n'a dépassé sa durée de conservation"
        ]
        for r in self.removals:
            where = r.case_ref or "sans dossier"
            out.append(f"  - {r.kind.value} · {where} · {r.what} (depuis le {r.since.date().isoformat()})")
        return out


def purge(deps: Deps, policy: RetentionPolicy, *, dry_run: bool = False) -> PurgeReport:
    """Remove (or, with ``dry_run``, only list) the personal data past ``policy``'s retention."""
    now = deps.clock.now()
    report = PurgeReport(at=now, dry_run=dry_run)
    with deps.store.transaction() as tx:
        kept = [*tx.kept_documents(), *tx.kept_incidents()]
        report.removals = past_retention(policy, tx.ended_cases(), kept, now)
        if dry_run or not report.removals:
            return report
        _remove(tx, report)
        _record(tx, report, now)
    log.info("purged", **{kind.value: n for kind, n in report.counts().items() if n})
    return report


def _remove(tx: Tx, report: PurgeReport) -> None:
    by_kind: dict[DocumentKind, list[int]] = {}
    for removal in report.removals:
        by_kind.setdefault(removal.kind, []).append(removal.row_id)
    raw = by_kind.get(DocumentKind.CONVENTION, []) + by_kind.get(DocumentKind.INBOUND_MAIL, [])
    tx.drop_inbound_raw(raw + by_kind.get(DocumentKind.UNATTACHED_MAIL, []))
    tx.drop_form_files(by_kind.get(DocumentKind.FORM_FILE, []))
    tx.drop_outgoing_bodies(
        by_kind.get(DocumentKind.OUTGOING_MAIL, []) + by_kind.get(DocumentKind.NOTIFICATION, [])
    )
    for case_id in by_kind.get(DocumentKind.CONTACTS, []):
        report.erased_fields[case_id] = tx.erase_personal_fields(case_id)
    tx.drop_incidents(by_kind.get(DocumentKind.INCIDENT, []))


def _record(tx: Tx, report: PurgeReport, now: datetime) -> None:
    """One timeline line per case touched: the kinds and counts removed (nothing of the data itself)."""
    per_case: dict[int, Counter[DocumentKind]] = {}
    for removal in report.removals:
        if removal.case_id is not None:
            per_case.setdefault(removal.case_id, Counter())[removal.kind] += 1
    for case_id, counts in per_case.items():
        detail = "; ".join(f"{LABELS[kind]} : {n}" for kind, n in sorted(counts.items()))
        fields = report.erased_fields.get(case_id)
        if fields:
            detail += f" (champs effacés : {', '.join(fields)})"
        tx.add_event(CaseEvent(case_id=case_id, at=now, kind=EVENT, actor=ACTOR, detail=detail))
