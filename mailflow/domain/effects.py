"""Effects as data: what a transition asks the services to do. Nothing here does anything."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Party(StrEnum):
    """Who a mail or a reminder is for."""

    SCHOOL = "school"
    EMBASSY = "embassy"
    RECTOR = "rector"
    STAFF = "staff"


class _Effect(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SendEmail(_Effect):
    """Render ``template`` for ``to`` and put it in the outbox (same transaction as the state change).

    ``reply``: thread it as an answer to the message that caused the event, when there is one.
    ``attach_form``: attach the school's latest request form. ``attach_partner_sheet``: attach the
    blank fiche partenaire for the embassy to return.
    """

    template: str
    to: Party
    reply: bool = False
    attach_form: bool = False
    attach_partner_sheet: bool = False


class ScheduleReminder(_Effect):
    """Expect an answer from ``party``; remind it after the policy's delay in working days."""

    party: Party


class CancelReminders(_Effect):
    """The case no longer waits for anyone: drop every pending reminder."""


class FlagForReview(_Effect):
    """Show the case to staff (digest "à traiter") with a reason in French."""

    reason: str


Effect = SendEmail | ScheduleReminder | CancelReminders | FlagForReview
