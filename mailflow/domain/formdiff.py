"""What changed between two versions of a school's form, and whether the sender box matches its UAI."""

from __future__ import annotations

import re
from collections.abc import Mapping

from mailflow.domain.formschema import FormSpec


def changed_fields(spec: FormSpec, before: Mapping[str, object], after: Mapping[str, object]) -> list[str]:
    """Labels of the fields whose value differs, in form order (values compared in JSON form)."""
    return [f.label for f in spec.fields if before.get(f.key) != after.get(f.key)]


def sender_uai(address: str, school_domain: str) -> str | None:
    """The UAI of a school head's functional box ``ce.<UAI>@<school_domain>``, else None."""
    m = re.fullmatch(rf"ce\.(\d{{7}}[a-z])@{re.escape(school_domain.lower())}", address.strip().lower())
    return m.group(1).upper() if m else None


def sender_warning(address: str, school_domain: str, form_uai: object) -> str | None:
    """A French warning for staff when the sender box names another school than the form."""
    box = sender_uai(address, school_domain)
    if box is None or not isinstance(form_uai, str) or box == form_uai.upper():
        return None
    return (
        f"l'adresse d'envoi {address} correspond à l'UAI {box}, mais le formulaire indique {form_uai.upper()} : "
        "vérifiez qu'il s'agit bien du même établissement"
    )
