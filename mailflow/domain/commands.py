"""Staff commands ("/valider", "/partenaire …" at the top of a reply): parsing and authorisation.

Authorisation is pure given the facts: the sender's role, and whether the message is authenticated
(an Authentication-Results header from our trusted server with dkim=pass or dmarc=pass for the
sender's domain, or a valid signed action token). MAIL.md §5.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    STAFF = "staff"
    RECTOR = "rector"
    SCHOOL = "school"
    EMBASSY = "embassy"
    STRANGER = "stranger"


# command -> roles allowed to use it
COMMANDS: dict[str, frozenset[Role]] = {
    "transmettre": frozenset({Role.STAFF}),
    "partenaire": frozenset({Role.STAFF}),
    "proposer": frozenset({Role.STAFF}),
    "accepte": frozenset({Role.STAFF}),
    "valider": frozenset({Role.STAFF, Role.RECTOR}),
    "refuser": frozenset({Role.STAFF, Role.RECTOR}),
    "relancer": frozenset({Role.STAFF}),
    "note": frozenset({Role.STAFF}),
    "rattacher": frozenset({Role.STAFF}),
    "clore": frozenset({Role.STAFF}),
    "contact": frozenset({Role.STAFF}),
    "ca": frozenset({Role.STAFF}),
    "autrepartenaire": frozenset({Role.STAFF}),
    "aucunpartenaire": frozenset({Role.STAFF}),
}


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    args: str
    line: str


def parse_commands(visible_text: str) -> list[Command]:
    """Commands on the first lines of the visible text; parsing stops at the first ordinary line."""
    found: list[Command] = []
    for raw_line in visible_text.splitlines():
        line = raw_line.strip()
        if not line:
            if found:
                break
            continue
        m = re.match(r"^/([A-Za-zéèà]+)\b\s*(.*)$", line)
        if not m:
            break
        name = m.group(1).lower().replace("é", "e").replace("è", "e")
        found.append(Command(name=name, args=m.group(2).strip(), line=line))
    return found


def is_allowed(command: Command, role: Role, authenticated: bool) -> bool:
    """A known command, from a role allowed to use it, in an authenticated message."""
    roles = COMMANDS.get(command.name)
    return bool(roles) and authenticated and role in (roles or frozenset())


def authenticated_by(results_headers: list[str], trusted_authserv_id: str, from_addr: str) -> bool:
    """True when our own server says the sender's domain passed DKIM or DMARC.

    Only the topmost Authentication-Results header naming our server counts: our server prepends it,
    and anything below it (or naming another server) may have been written by the sender. DKIM must
    be for the sender's domain (or its parent, at a dot boundary) and DMARC for the sender's From domain.
    """
    domain = from_addr.rpartition("@")[2].lower()
    ours = [h for h in results_headers if _authserv(h) == trusted_authserv_id.lower()]
    if not ours or not domain:
        return False
    for clause in ours[0].partition(";")[2].split(";"):
        clause = clause.strip().lower()
        if clause.startswith("dmarc=pass"):
            m = re.search(r"header\.from=([^\s;]+)", clause)
            if m is not None and m.group(1) == domain:
                return True
        if clause.startswith("dkim=pass"):
            m = re.search(r"header\.(?:d|i)=@?([^\s;]+)", clause)
            signer = m.group(1).lstrip("@") if m else ""
            if signer and (domain == signer or domain.endswith("." + signer)):
                return True
    return False


def _authserv(header: str) -> str:
    words = header.partition(";")[0].strip().lower().split()
    return words[0] if words else ""
