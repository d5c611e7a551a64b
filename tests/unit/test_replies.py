"""visible_reply: the new text of a reply, without quotes, quote headers and signatures."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from mailflow.extract.mime import parse_message
from mailflow.extract.replies import visible_reply

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def _reply_rows() -> list[tuple[str, dict[str, str]]]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    rows = []
    for line in manifest.read_text("utf-8").splitlines()[1:]:
        cols = line.split("\t")
        expected = dict(tok.split("=", 1) for tok in shlex.split(cols[5]))
        if "reply_text" in expected or "reply_text_starts" in expected:
            rows.append((cols[0], expected))
    return rows


@pytest.mark.parametrize(("name", "expected"), _reply_rows(), ids=[r[0] for r in _reply_rows()])
def test_corpus_reply_is_stripped_when_the_manifest_gives_the_visible_text(
    name: str, expected: dict[str, str]
) -> None:
    text = visible_reply(parse_message((CORPUS / name).read_bytes()).text)
    if "reply_text" in expected:
        assert text == expected["reply_text"]
    else:
        assert text.startswith(expected["reply_text_starts"])


def test_corpus_has_reply_rows_when_it_is_present() -> None:
    if not CORPUS.exists():
        pytest.skip("SKIPPED LOUDLY: corpus absent")
    assert len(_reply_rows()) >= 12


FR_OUTLOOK = """Bonjour,

OUI, nous acceptons ce partenariat.

Cordialement,
Mme Martin

De : DAREIC <ce.dareic@ac-strasbourg.fr>
Envoyé : lundi 2 mars 2026 10:15
À : Ecole Pasteur <ce.0671234a@ac-strasbourg.fr>
Objet : [APP-2026-0042] Proposition de partenaire

/valider
Bonjour, voici la proposition.
"""

DE_OUTLOOK = """Sehr geehrte Damen und Herren,

wir sind einverstanden.

Von: DAREIC <ce.dareic@ac-strasbourg.fr>
Gesendet: Montag, 2. März 2026 10:15
An: Schule <schule@example.de>
Betreff: AW: [APP-2026-0042] Vorschlag
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (FR_OUTLOOK, "Bonjour,\n\nOUI, nous acceptons ce partenariat.\n\nCordialement,\nMme Martin"),
        (DE_OUTLOOK, "Sehr geehrte Damen und Herren,\n\nwir sind einverstanden."),
        ("NON\n\n________________________________\nDe : DAREIC\nEnvoyé : lundi\nObjet : x\n", "NON"),
        ("OUI\n\n-----Message d'origine-----\nDe : DAREIC\n/valider\n", "OUI"),
        ("Yes.\n\n-----Original Message-----\nFrom: x\n", "Yes."),
        (
            "Ok\n\nFrom: DAREIC [mailto:ce.dareic@ac-strasbourg.fr]\nSent: Monday\nTo: a\nSubject: b\n\nold",
            "Ok",
        ),
        (
            "OUI merci\n\nLe lun. 2 mars 2026 à 10:15, DAREIC <ce.dareic@ac-strasbourg.fr> a\nécrit :\n> q\n",
            "OUI merci",
        ),
        ("Ja\n\nAm 02.03.2026 um 10:15 schrieb DAREIC <ce.dareic@ac-strasbourg.fr>:\n> Hallo\n", "Ja"),
        ("Yes\n\nOn Mon, Mar 2, 2026 at 10:15 AM DAREIC <d@x.fr> wrote:\n> old\n", "Yes"),
        ("Merci\n-- \nJean Dupont\nDirecteur", "Merci"),
        ("Merci\n\nEnvoyé de mon iPhone", "Merci"),
        ("Bien reçu\n> /valider\n> ancienne ligne", "Bien reçu"),
    ],
)
def test_quotes_and_signature_are_removed_when_replying(text: str, expected: str) -> None:
    assert visible_reply(text) == expected


def test_bottom_posted_reply_is_kept_when_the_quote_comes_first() -> None:
    text = "Le 2 mars 2026 à 10:15, DAREIC a écrit :\n> Acceptez-vous ?\n\nOUI\n"
    assert visible_reply(text) == "OUI"


def test_quoted_command_is_not_visible_when_it_sits_below_an_outlook_header() -> None:
    assert "/valider" not in visible_reply(FR_OUTLOOK)


def test_text_without_quotes_is_returned_stripped_when_nothing_is_quoted() -> None:
    assert visible_reply("\n  Bonjour\r\nà vous\n\n") == "Bonjour\nà vous"


def test_sentence_with_from_is_kept_when_no_outlook_block_follows() -> None:
    text = "From: the school's point of view, yes.\nWe agree."
    assert visible_reply(text) == text
