"""Where a valid request goes next, by policy: the embassy, its opinion, the rector, or a person."""

from __future__ import annotations

from collections.abc import Mapping

from mailflow.domain.policy import Policy
from mailflow.domain.states import EventKind


def route_request(values: Mapping[str, object], policy: Policy, has_contact: bool) -> tuple[EventKind, str]:
    """The event for a valid request, with the reason in French when a person must look."""
    if values.get("existing_partner") is True:
        if not policy.ask_embassy_opinion:
            return EventKind.ASK_RECTOR, ""
        if has_contact and policy.auto_forward:
            return EventKind.ASK_EMBASSY_OPINION, ""
    elif has_contact and policy.auto_forward:
        return EventKind.FORWARD_TO_EMBASSY, ""
    if not has_contact:
        return EventKind.NEEDS_REVIEW, "aucun contact n'est connu pour ce pays : ajoutez-le avec /contact"
    return EventKind.NEEDS_REVIEW, "la transmission automatique est désactivée : vérifiez puis /transmettre"
