"""The counterpart directory: who to write to for a country (and a region where routes exist)."""

from __future__ import annotations

import re
import unicodedata

from pydantic import BaseModel, ConfigDict


class Contact(BaseModel):
    """One counterpart: an embassy's cooperation service, a Land's ministry, an institute."""

    model_config = ConfigDict(frozen=True)

    country: str  # ISO 3166 alpha-2
    address: str
    service: str = ""
    language: str = "fr"
    regions: tuple[str, ...] = ()  # region names this contact covers; empty = the whole country
    notes: str = ""


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


class Directory(BaseModel):
    """All contacts; ``route`` picks the regional one when the requested region matches, else the national."""

    model_config = ConfigDict(frozen=True)

    contacts: tuple[Contact, ...] = ()

    def route(self, country: str | None, region: str | None = None) -> Contact | None:
        if not country:
            return None
        candidates = [c for c in self.contacts if c.country.upper() == country.upper()]
        if region:
            wanted = _fold(region)
            for contact in candidates:
                if any(_fold(r) and _fold(r) in wanted for r in contact.regions):
                    return contact
        national = [c for c in candidates if not c.regions]
        return national[0] if national else None

    def with_changes(self, added: tuple[Contact, ...], invalid: set[str]) -> Directory:
        """This directory plus contacts added by command (they win), without addresses known to bounce."""
        replaced = {c.address.lower() for c in added}
        kept = [c for c in self.contacts if c.address.lower() not in replaced]
        return Directory(contacts=tuple(c for c in (*added, *kept) if c.address.lower() not in invalid))

    def addresses(self) -> set[str]:
        return {c.address.lower() for c in self.contacts}
