"""visible_reply: the new text of a reply, without quotes, quote headers and signatures."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from mailflow.extract.mime import parse_message
from mailflow.extract.replies import visible_reply
from tests.unit.test_corpus_parse import _require_corpus

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
DATA = Path(__file__).resolve().parents[1] / "data" / "mail"


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


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("reply_fr_gmail.eml",
         "OUI, nous acceptons ce partenariat avec plaisir.\n\nBien cordialement,\nClaire Martin\nDirectrice, école Pasteur"),
        ("reply_fr_gmail_html_only.eml", "NON, finalement nous ne pourrons pas cette année."),
        ("reply_fr_apple_mail.eml", "Oui, c\u2019est parfait pour nous.\n\nFrançois"),
        ("reply_fr_iphone.eml", "Non merci, nous avons déjà un partenaire."),
        ("reply_fr_thunderbird.eml", "Bonjour,\n\nOUI pour ce partenaire, l'équipe est ravie.\n\nCordialement,\nJean Dupont"),
        ("reply_fr_outlook.eml",
         "Bonjour,\n\nNous acceptons la proposition : OUI.\n\nCordialement,\n\nSylvie Martin\nPrincipale adjointe"),
        ("reply_de_outlook.eml",
         "Guten Tag,\n\nja, wir sind mit der Partnerschaft einverstanden.\n\nMit freundlichen Grüßen\nJulia Becker"),
        ("reply_en_outlook.eml",
         "Dear colleagues,\n\nThe embassy supports this exchange. The school contact is confirmed.\n\n"
         "Best regards,\nDaniel Lee\nCultural Section"),
        ("reply_fr_zimbra.eml", "D'accord pour nous, OUI."),
        ("reply_fr_android_origine.eml", "Oui, c'est bon pour nous."),
        ("reply_fr_lotus_notes.eml", "Bonjour,\n\nNous donnons notre accord, OUI.\n\nBernard Petit"),
        ("reply_fr_lotus_wrote.eml", "Très bien, nous validons.\n\nAnne Weiss"),
    ],
)  # fmt: skip
def test_composed_reply_keeps_only_the_new_text_when_a_client_quoted_the_mail(
    name: str, expected: str
) -> None:
    text = visible_reply(parse_message((DATA / name).read_bytes()).text)
    assert text == expected
    assert "/valider" not in text and "Acceptez-vous" not in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("OUI\n\nLe lun. 3 nov. 2026 à 10:12, DAREIC Strasbourg <\nce.dareic@ac-strasbourg.fr> a écrit :\n\n> q\n", "OUI"),
        ("OUI\n\nLe lun. 3 nov. 2026 à 10:12, DAREIC Strasbourg\n<ce.dareic@ac-strasbourg.fr> a écrit :\n> q\n", "OUI"),
        ("Oui\n\nLe 3 nov. 2026 à 10:12, DAREIC a écrit :\n\n> q\n", "Oui"),
        ("Oui\n\nLe 03/11/2026 à 10:12, DAREIC a écrit :\n> q\n", "Oui"),
        ("Ja\n\nAm Mo., 3. Nov. 2026 um 10:12 Uhr schrieb DAREIC <d@x.fr>:\n> q\n", "Ja"),
        ("Yes\n\nOn Mon, Nov 3, 2026 at 10:12 AM DAREIC <\nd@x.fr> wrote:\n> q\n", "Yes"),
        ("OUI\n\n-------- Message d'origine --------\nDe : DAREIC\n/valider\n", "OUI"),
        ("OUI\n\n---- Mail original ----\nDe: DAREIC\nÀ: x\n/valider\n", "OUI"),
        ("OUI\n\n----- Original Message -----\nFrom: DAREIC\n/valider\n", "OUI"),
        ("OUI\n\n----- Transféré par Anne Weiss/CG67 le 03/11/2026 10:12 -----\n/valider\n", "OUI"),
        ("OUI\n\nDAREIC <d@x.fr> wrote on 03/11/2026 10:12:\n\n/valider\n", "OUI"),
        ("Ja\n\nVon: DAREIC\nGesendet: Montag, 2. März 2026 10:15\nAn: x\nBetreff: y\n/valider\n", "Ja"),
        ("Merci\n\nSent from my iPhone\n\n> q", "Merci"),
        ("Merci\n\nEnvoyé de mon iPad", "Merci"),
        ("Merci\n\nObtenir Outlook pour Android", "Merci"),
        ("OUI\n\nCordialement,\nJean Dupont\nDirecteur", "OUI\n\nCordialement,\nJean Dupont\nDirecteur"),
    ],
)  # fmt: skip
def test_reply_headers_of_every_client_end_the_reply_when_they_appear(text: str, expected: str) -> None:
    assert visible_reply(text) == expected


def test_lotus_notes_header_ends_the_reply_when_the_corpus_message_uses_it() -> None:
    _require_corpus()
    path = CORPUS / "reply" / "alaveteli__lotus-notes-quoting.eml"
    text = visible_reply(parse_message(path.read_bytes()).text)
    assert text == "Dear Requester,\n\nSome text.\n\nYours sincerely\n\n\nFOI Team"
