"""`mailflow classify F.eml [--json]`: what mailflow sees in one raw message, as stable JSON.

The shape is a contract (DESIGN.md §5) and is exactly::

    {"kind": "human"|"autoreply"|"bounce"|"receipt"|"list", "reasons": [str],
     "bounce": {"action": str, "status": str, "recipients": [str]} | null,
     "ooo_until": "YYYY-MM-DD" | null}
"""

from __future__ import annotations

from datetime import date

from mailflow.domain.classify import classify
from mailflow.extract.mime import parse_message


def classify_raw(raw: bytes, *, received: date | None = None) -> dict[str, object]:
    """Parse and classify ``raw``; raises ExtractError when it is not an Internet message at all.

    ``received`` dates an out-of-office notice whose Date header is missing or unreadable.
    """
    result = classify(parse_message(raw), received=received)
    bounce = result.bounce
    return {
        "kind": result.kind.value,
        "reasons": list(result.reasons),
        "bounce": None
        if bounce is None
        else {"action": bounce.action, "status": bounce.status, "recipients": list(bounce.recipients)},
        "ooo_until": result.ooo_until.isoformat() if result.ooo_until else None,
    }
