"""ContactTx: counterpart contacts added by command, addresses found invalid, used action tokens."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select, update

from mailflow.adapters.db import tables as t
from mailflow.adapters.db.tx_base import TxBase
from mailflow.domain.directory import Contact


class ContactTx(TxBase):
    def add_contact(self, contact: Contact, added_by: str, at: datetime) -> None:
        values = {
            "country": contact.country.upper(),
            "service": contact.service,
            "language": contact.language,
            "regions": json.dumps(list(contact.regions)),
            "added_by": added_by,
            "invalid_since": None,
            "invalid_reason": None,
            "updated_at": at,
        }
        stmt = self._insert(t.contacts).values(address=contact.address.lower(), **values)
        self.conn.execute(stmt.on_conflict_do_update(index_elements=["address"], set_=values))

    def added_contacts(self) -> list[Contact]:
        rows = self.conn.execute(select(t.contacts).where(t.contacts.c.country.is_not(None))).all()
        return [
            Contact(
                country=r.country,
                address=r.address,
                service=r.service,
                language=r.language,
                regions=tuple(json.loads(r.regions)),
            )
            for r in rows
        ]

    def mark_invalid(self, address: str, reason: str, at: datetime) -> None:
        """Remember that mail to ``address`` bounces (a contact of the directory, or a school)."""
        address = address.lower()
        stmt = self._insert(t.contacts).values(
            address=address,
            country=None,
            service="",
            language="fr",
            regions="[]",
            invalid_since=at,
            invalid_reason=reason,
            updated_at=at,
        )
        self.conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["address"],
                set_={"invalid_since": at, "invalid_reason": reason, "updated_at": at},
            )
        )

    def invalid_addresses(self) -> dict[str, str]:
        rows = self.conn.execute(
            select(t.contacts.c.address, t.contacts.c.invalid_reason).where(
                t.contacts.c.invalid_since.is_not(None)
            )
        ).all()
        return {r.address: r.invalid_reason or "" for r in rows}

    def clear_invalid(self, address: str, at: datetime) -> None:
        self.conn.execute(
            update(t.contacts)
            .where(t.contacts.c.address == address.lower())
            .values(invalid_since=None, invalid_reason=None, updated_at=at)
        )

    def use_token(self, nonce: str, used_by: str, at: datetime) -> bool:
        """True the first time a token is used, False ever after (single use)."""
        if self.conn.execute(select(t.used_tokens.c.nonce).where(t.used_tokens.c.nonce == nonce)).first():
            return False
        self.conn.execute(t.used_tokens.insert().values(nonce=nonce, used_by=used_by, used_at=at))
        return True
