"""Cause: who or what made something happen to a case (kept on every timeline line)."""

from __future__ import annotations

from dataclasses import dataclass, field

from mailflow.domain.message import InboundMessage


@dataclass(slots=True)
class Cause:
    """An address, "system" or "cli:<user>"; the message when there is one; values for the templates."""

    actor: str
    inbound_id: int | None = None
    message: InboundMessage | None = None
    detail: str = ""
    extras: dict[str, object] = field(default_factory=dict)  # problems, reason, reminder, dates
