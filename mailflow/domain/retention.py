"""Data retention (DOMAIN.md §6): how long each kind of document keeps its personal data, and what is past it.

Pure: the policy (days per kind), the facts read from the store (when each case ended, what is still
kept and since when) and the current time go in; the list of what is past retention comes out. The
service removes exactly that list (or, in a dry run, only reports it).

Two clocks:

- documents of a case run from the day the case **ended** (entered a state where it rests: validated,
  refused, closed, withdrawn…); nothing of an open case is ever removed, however old;
- mail attached to no case (not ours, "à rattacher" never attached, quarantined, duplicates) runs
  from the day it was **fetched**; so do outgoing mails about no case (answers to staff commands),
  and the lines of the daemon's incident journal (from the day they happened; they are deleted).

Pupils' data (conventions) are kept the shortest; the rector's notification (an administrative
decision) the longest: the policy refuses a configuration that says otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mailflow.domain.states import CaseState

# A case at rest in one of these states has ended: its retention clock runs from the day it got there.
ENDED_STATES = frozenset(
    {
        CaseState.VALIDATED,
        CaseState.MOBILITY_AUTHORISED,
        CaseState.DECLINED,
        CaseState.NO_PARTNER_FOUND,
        CaseState.WITHDRAWN,
        CaseState.REFUSED,
        CaseState.CLOSED,
    }
)
# Outgoing mails that carry the rector's decision: kept as long as the notification.
NOTIFICATION_TEMPLATES = frozenset({"notification_school"})
# Form fields that name or reach a person (heads, teachers, signatories, partner contacts, free remarks).
PERSONAL_FIELDS = frozenset(
    {
        "head_name",
        "teacher_name",
        "teacher_email",
        "phone",
        "signatory",
        "partner_head_name",
        "partner_email",
        "remarks",
    }
)


class DocumentKind(StrEnum):
    """What is removed, and how (the French label is what `mailflow purge` prints)."""

    CONVENTION = "convention"  # the raw mail that brought a convention (pupils' data): raw dropped
    INBOUND_MAIL = "inbound_mail"  # raw mail received about an ended case: raw dropped
    UNATTACHED_MAIL = "unattached_mail"  # raw mail attached to no case: raw dropped
    FORM_FILE = "form_file"  # the form files (xlsx/pdf) of each version: file dropped, values kept
    OUTGOING_MAIL = "outgoing_mail"  # bodies and attachments of sent mails: dropped, envelope kept
    CONTACTS = "contacts"  # names, emails and phones in the case and its form versions: erased
    NOTIFICATION = "notification"  # the rector's notification mail: body and letter dropped, envelope kept
    INCIDENT = "incident"  # a line of the daemon's incident journal (server outages): deleted


LABELS: dict[DocumentKind, str] = {
    DocumentKind.CONVENTION: "conventions reçues (données d'élèves)",
    DocumentKind.INBOUND_MAIL: "courriels reçus des dossiers terminés",
    DocumentKind.UNATTACHED_MAIL: "courriels reçus non rattachés (hors procédure, à rattacher, en erreur)",
    DocumentKind.FORM_FILE: "fichiers de formulaire",
    DocumentKind.OUTGOING_MAIL: "corps et pièces jointes des courriels envoyés",
    DocumentKind.CONTACTS: "noms, courriels et téléphones des personnes dans les dossiers",
    DocumentKind.NOTIFICATION: "notifications du recteur (corps et lettre)",
    DocumentKind.INCIDENT: "incidents techniques du journal du service",
}


class RetentionPolicy(BaseModel):
    """Days each kind of document keeps its personal data (the ``[retention]`` section of the TOML file).

    Case documents count from the day the case ended; unattached mail from the day it was fetched.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    conventions_days: int = Field(default=365, ge=0)
    inbound_mail_days: int = Field(default=730, ge=0)
    unattached_mail_days: int = Field(default=90, ge=0)
    form_files_days: int = Field(default=730, ge=0)
    outgoing_mail_days: int = Field(default=730, ge=0)
    contacts_days: int = Field(default=1095, ge=0)
    notification_days: int = Field(default=3650, ge=0)
    incidents_days: int = Field(default=90, ge=0)  # operational, not a case document: left out of the order

    @model_validator(mode="after")
    def _ordered(self) -> RetentionPolicy:
        case_kinds = {
            "inbound_mail_days": self.inbound_mail_days,
            "form_files_days": self.form_files_days,
            "outgoing_mail_days": self.outgoing_mail_days,
            "contacts_days": self.contacts_days,
        }
        shorter = [name for name, days in case_kinds.items() if days < self.conventions_days]
        if shorter:
            raise ValueError(
                f"conventions_days ({self.conventions_days}) must be the shortest case retention "
                f"(pupils' data), but {', '.join(shorter)} is shorter"
            )
        everything = case_kinds | {
            "conventions_days": self.conventions_days,
            "unattached_mail_days": self.unattached_mail_days,
        }
        longer = [name for name, days in everything.items() if days > self.notification_days]
        if longer:
            raise ValueError(
                f"notification_days ({self.notification_days}) must be the longest retention "
                f"(the rector's decision), but {', '.join(longer)} is longer"
            )
        return self

    def days(self, kind: DocumentKind) -> int:
        return int(getattr(self, _FIELD[kind]))

    def cutoff(self, kind: DocumentKind, now: datetime) -> datetime:
        """Documents of ``kind`` dated (ended, fetched) before this instant are past retention."""
        return now - timedelta(days=self.days(kind))


_FIELD: dict[DocumentKind, str] = {
    DocumentKind.CONVENTION: "conventions_days",
    DocumentKind.INBOUND_MAIL: "inbound_mail_days",
    DocumentKind.UNATTACHED_MAIL: "unattached_mail_days",
    DocumentKind.FORM_FILE: "form_files_days",
    DocumentKind.OUTGOING_MAIL: "outgoing_mail_days",
    DocumentKind.CONTACTS: "contacts_days",
    DocumentKind.NOTIFICATION: "notification_days",
    DocumentKind.INCIDENT: "incidents_days",
}


@dataclass(frozen=True, slots=True)
class EndedCase:
    """A case at rest: since when (the last time it entered its current, ended state)."""

    case_id: int
    ref: str
    ended_at: datetime


@dataclass(frozen=True, slots=True)
class Kept:
    """One stored document still holding personal data, as the store lists it (no content loaded).

    ``row_id`` names the row in its table (inbound, form version, outbox, or the case for CONTACTS);
    ``case_id`` is None for mail attached to no case; ``at`` is when it was fetched or sent.
    """

    kind: DocumentKind
    row_id: int
    case_id: int | None
    at: datetime
    what: str  # a short description for the report: "message n° 12 <id@x>", "demande-appariement.xlsx"


@dataclass(frozen=True, slots=True)
class Removal:
    """A document past retention: what will be (or was) removed, and why."""

    kind: DocumentKind
    row_id: int
    case_id: int | None
    case_ref: str | None
    what: str
    since: datetime  # the date retention runs from (the case's end, or the document's own date)


def past_retention(
    policy: RetentionPolicy, ended: Iterable[EndedCase], kept: Iterable[Kept], now: datetime
) -> list[Removal]:
    """The documents of ``kept`` that are past retention, in a stable order (kind, case, row)."""
    ended_by_id: Mapping[int, EndedCase] = {case.case_id: case for case in ended}
    out: list[Removal] = []
    for item in kept:
        cutoff = policy.cutoff(item.kind, now)
        if item.case_id is None:
            if item.at < cutoff:
                out.append(Removal(item.kind, item.row_id, None, None, item.what, item.at))
            continue
        case = ended_by_id.get(item.case_id)
        if case is not None and case.ended_at < cutoff:
            out.append(Removal(item.kind, item.row_id, case.case_id, case.ref, item.what, case.ended_at))
    order = list(DocumentKind)
    out.sort(key=lambda r: (order.index(r.kind), r.case_ref or "", r.row_id))
    return out
