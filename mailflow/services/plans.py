"""What a staff command asks of the lifecycle: the events to apply, with their details."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from mailflow.domain.case import Case
from mailflow.domain.commands import Command
from mailflow.domain.states import CaseState, EventKind
from mailflow.services.ingest_context import Planned


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What became of one command line: done, or refused with the reason (French, for the sender)."""

    line: str
    ok: bool
    message: str


def plan_command(case: Case, command: Command) -> list[Planned]:
    """The events for a command on ``case``; an empty list when its arguments are missing or wrong."""
    physical = "physique" in str(case.form.get("mobility_type", ""))
    detail = f"commande {command.line}"
    args = command.args
    match command.name:
        case "valider":
            plan = [Planned(EventKind.RECTOR_VALIDATED, detail)]
            return plan + ([Planned(EventKind.CONVENTION_EXPECTED, "mobilité physique")] if physical else [])
        case "refuser":
            return [Planned(EventKind.RECTOR_REFUSED, detail, {"reason": args})] if args else []
        case "transmettre":
            known = case.form.get("existing_partner") is True
            return [Planned(EventKind.ASK_EMBASSY_OPINION if known else EventKind.FORWARD_TO_EMBASSY, detail)]
        case "partenaire":
            partner = parse_partner(args, case.target_country)
            return [Planned(EventKind.PARTNER_PROPOSED, detail, partner=partner)] if partner else []
        case "proposer":
            return [Planned(EventKind.PARTNER_CONFIRMED, detail)]
        case "accepte":
            return [Planned(EventKind.SCHOOL_ACCEPTED, detail)]
        case "autrepartenaire":
            proposed = case.state is CaseState.PARTNER_PROPOSED
            return [
                Planned(EventKind.PARTNER_REJECTED if proposed else EventKind.ASK_ANOTHER_PARTNER, detail)
            ]
        case "aucunpartenaire":
            return [Planned(EventKind.NO_PARTNER, args or detail)]
        case "relancer":
            return [Planned(EventKind.REMIND, detail)]
        case "clore":
            return [Planned(EventKind.CLOSE, args or detail)]
        case "ca":
            day = parse_day(args)
            if day is None:
                return []
            return [Planned(EventKind.CA_DELIBERATION_RECORDED, detail, {"deliberation_on": day.isoformat()})]
    return []


def parse_day(text: str) -> date | None:
    """``12/01/2027`` or ``2027-01-12``; None when it is neither."""
    text = text.strip()
    try:
        if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", text):
            d, m, y = (int(x) for x in text.split("/"))
            return date(y, m, d)
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_partner(args: str, country: str | None) -> dict[str, object] | None:
    """``nom ; ville ; courriel [; chef d'établissement]`` (commas accepted) -> the partner fields."""
    parts = [p.strip() for p in re.split(r"[;,]", args) if p.strip()]
    email = next((p for p in parts if "@" in p), None)
    others = [p for p in parts if p != email]
    if len(others) < 2 or email is None:
        return None
    partner: dict[str, object] = {
        "partner_name": others[0],
        "partner_city": others[1],
        "partner_email": email.lower(),
        "partner_country": country,
    }
    if len(others) > 2:
        partner["partner_head_name"] = others[2]
    return partner
