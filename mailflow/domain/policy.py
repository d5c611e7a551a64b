"""Policy values the pure core decides with (built by config.py from the TOML policy sections)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from mailflow.domain.effects import Party


class Policy(BaseModel):
    """Choices the Dareic makes about the procedure, with the defaults of the example configuration."""

    model_config = ConfigDict(frozen=True)

    auto_forward: bool = True  # send valid requests to the embassy without a person looking first
    ask_embassy_opinion: bool = True  # existing partner: ask the embassy before the rector
    auto_confirm_partner_sheet: bool = True  # a returned fiche partenaire is proposed to the school at once
    on_school_decline: str = "ask_again"  # "ask_again" (embassy looks again) | "close"
    reminder_days: dict[Party, int] = Field(
        default_factory=lambda: {Party.SCHOOL: 10, Party.EMBASSY: 15, Party.RECTOR: 5, Party.STAFF: 3}
    )
    max_reminders: int = 3  # after that, the case is escalated in the digest
    max_auto_mails_per_day: int = 5  # per counterpart and case (loop protection)
    max_form_attempts: int = 3  # invalid forms answered automatically; past that, staff takes over
