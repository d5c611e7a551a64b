"""Reading short answers in the visible text of a reply: the school's OUI/NON, the embassy's opinion."""

from __future__ import annotations

import re
import unicodedata

_YES = re.compile(
    r"^(oui|yes|ja|d'accord|ok|okay|nous acceptons|j'accepte|accepte|acceptons|avec plaisir|"
    r"bien volontiers|favorable)\b"
)
_NO = re.compile(
    r"^(non|no|nein|nous declinons|je decline|decline|declinons|nous refusons|refus|refusons|"
    r"nous ne souhaitons pas|pas interesse)\b"
)


def fold(text: str) -> str:
    """Lower case, accents removed, apostrophes unified."""
    text = text.replace("’", "'").replace("`", "'").strip().lower()
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _first_lines(text: str, count: int = 3) -> list[str]:
    lines = [line.strip(" \t*_-•>") for line in text.splitlines()]
    return [line for line in lines if line][:count]


def read_yes_no(visible_text: str) -> bool | None:
    """True for an acceptance, False for a refusal, None when unclear (both, neither, or contradictory).

    Only the first visible lines count: the answer is expected at the top, and a "non" further down
    ("non sans avoir consulté l'équipe…") must not flip an acceptance.
    """
    lines = _first_lines(visible_text)
    if not lines:
        return None
    first = fold(lines[0])
    first = re.sub(r"^(bonjour|madame|monsieur|mesdames|messieurs)[^,.!]*[,.!]\s*", "", first)
    yes = bool(_YES.match(first)) or "nous acceptons" in first
    no = bool(_NO.match(first)) or "nous declinons" in first or "ne souhaitons pas" in first
    if yes == no:
        if not first and len(lines) > 1:
            return read_yes_no("\n".join(lines[1:]))
        return None
    return yes


def read_opinion(visible_text: str) -> bool | None:
    """The embassy's opinion on a known partner: favourable (True), unfavourable (False), or unclear."""
    text = fold(" ".join(_first_lines(visible_text, 6)))
    unfavourable = bool(re.search(r"\b(avis )?defavorable\b|\bunfavou?rable\b|\bnegative opinion\b", text))
    favourable = bool(re.search(r"\b(avis )?favorable\b|\bfavou?rable\b|\bpositive opinion\b", text))
    if unfavourable:
        return False
    if favourable:
        return True
    return None


def mentions_no_partner(visible_text: str) -> bool:
    """The embassy says it found no partner ("aucun partenaire", "pas trouvé d'établissement")."""
    text = fold(visible_text[:2000])
    return bool(
        re.search(
            r"aucun (etablissement )?partenaire|pas (pu )?trouve d'etablissement|pas de partenaire|"
            r"no partner (school )?(could be |was )?found|kein partner",
            text,
        )
    )


def mentions_withdrawal(visible_text: str) -> bool:
    """The school withdraws its request ("nous retirons notre demande", "nous ne souhaitons plus…")."""
    text = fold(" ".join(_first_lines(visible_text, 5)))
    return bool(
        re.search(
            r"(retir\w*|annul\w*) (de )?(notre|ma|la) demande|nous renoncons|ne souhaitons plus (donner suite|"
            r"poursuivre|d'appariement)|abandonn\w* (notre|le) projet",
            text,
        )
    )


def suggest_embassy_reading(visible_text: str) -> str:
    """How a plain embassy answer probably reads, for the staff who confirm it (never applied alone)."""
    head = fold(" ".join(_first_lines(visible_text, 8)))
    if mentions_no_partner(visible_text):
        return "lecture suggérée : aucun partenaire trouvé (confirmez avec /aucunpartenaire)"
    if re.search(
        r"nous (vous )?proposons|propose[rz]? (l'|le |la )|partenaire (potentiel|possible|identifie)|"
        r"we (would like to )?propose|vorschlagen|schlagen .* vor",
        head,
    ):
        return (
            "lecture suggérée : partenaire proposé (enregistrez-le avec /partenaire nom ; ville ; courriel)"
        )
    if "?" in head:
        return "lecture suggérée : question de l'ambassade (répondez-lui directement)"
    return "lecture suggérée : accusé de réception (rien à faire)"
