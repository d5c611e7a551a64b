"""Out-of-office notices: the return date and the substitute address, in French, English and German."""

from __future__ import annotations

import shlex
from datetime import date
from pathlib import Path

import pytest

from mailflow.domain.classify import MailKind, classify
from mailflow.domain.ooo import return_date, substitute_address
from mailflow.extract.mime import parse_message
from tests.unit.test_corpus_parse import _require_corpus

DATA = Path(__file__).resolve().parents[1] / "data" / "mail"
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
REF = date(2026, 11, 20)  # a Friday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # French
        ("Je suis absent, de retour le 12/09.", date(2027, 9, 12)),
        ("Je suis absent jusqu'au lundi 3 mars.", date(2027, 3, 3)),
        ("Je serai absente du 2 au 13 décembre inclus.", date(2026, 12, 13)),
        ("Retour prévu le 5 janvier.", date(2027, 1, 5)),
        ("Je suis absente jusqu’au 3 janv. 2027 inclus.", date(2027, 1, 3)),
        ("Je serai de retour au bureau le mardi 1er décembre 2026.", date(2026, 12, 1)),
        ("Absent du 23/12/2026 au 04/01/2027.", date(2027, 1, 4)),
        ("Je serai à nouveau disponible le 30 novembre.", date(2026, 11, 30)),
        ("Je suis en congé jusqu'à vendredi.", date(2026, 11, 27)),
        # English
        ("I am back on 12 September.", date(2027, 9, 12)),
        ("I am out of the office until March 3rd.", date(2027, 3, 3)),
        ("I am travelling, returning Monday 14 December.", date(2026, 12, 14)),
        ("Out of the office till the 12th of February.", date(2027, 2, 12)),
        ("I will be traveling for work on December 10-31.", date(2026, 12, 31)),
        ("Away until 2026-12-02, limited access to email.", date(2026, 12, 2)),
        ("I'm off today, back tomorrow.", date(2026, 11, 21)),
        # German
        ("Ich bin bis einschließlich 14.03. nicht im Hause.", date(2027, 3, 14)),
        ("Ab dem 5. Januar bin ich wieder erreichbar.", date(2027, 1, 5)),
        ("Ich bin bis zum 12. Dezember abwesend.", date(2026, 12, 12)),
        ("Ich bin vom 2.12. bis 13.12. nicht im Büro.", date(2026, 12, 13)),
        ("Am 7. Dezember bin ich wieder im Büro.", date(2026, 12, 7)),
    ],
)
def test_return_date_is_read_when_the_notice_states_it(text: str, expected: date) -> None:
    assert return_date([text], REF) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Je serai absente à partir du 2 décembre, jusqu'à mon retour.",
        "I will be out of the office starting dd/mm/yyyy and will not return until dd/mm/yyyy.",
        "Ich bin bis 10.30 Uhr in einer Sitzung.",
        "I am away until 05/07/2010 and cannot read your message.",  # long past: a stale template
        "Merci pour votre message du 12/11, je le traiterai rapidement.",
        "Thank you for your email of 3 March.",
    ],
)
def test_no_return_date_is_given_when_none_is_stated(text: str) -> None:
    assert return_date([text], REF) is None


def test_yearless_date_is_the_same_day_when_it_is_the_reference_day() -> None:
    assert return_date(["de retour le 20/11"], REF) == REF


def test_day_first_is_kept_when_both_readings_are_valid() -> None:
    assert return_date(["back on 03/04/2027"], REF) == date(2027, 4, 3)


def test_month_first_is_used_when_it_is_the_only_valid_reading() -> None:
    assert return_date(["back on 12/25/2026"], REF) == date(2026, 12, 25)


def test_dates_without_a_year_need_a_reference_when_no_year_is_written() -> None:
    assert return_date(["de retour le 12/09"], None) is None
    assert return_date(["de retour le 12/09/2027"], None) == date(2027, 9, 12)


def test_subject_date_wins_when_it_comes_first() -> None:
    assert return_date(["Away until May 5", "back on 12 June"], date(2026, 4, 29)) == date(2026, 5, 5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("En cas d'urgence, contactez marie.dupont@ac-nancy-metz.fr ou le secrétariat.", "marie.dupont@ac-nancy-metz.fr"),
        ("Pour toute urgence, merci d'écrire à\nsecretariat@college.example.fr.", "secretariat@college.example.fr"),
        ("For urgent matters, please contact Jane Doe at jane.doe@embassy.example.org.", "jane.doe@embassy.example.org"),
        ("In dringenden Fällen wenden Sie sich bitte an Frau Müller (anna.mueller@schule.example.de).",
         "anna.mueller@schule.example.de"),
        ("Thank you. I will answer when I return.\n\nJohn Smith\njohn@example.org", None),
        ("Please contact me on my mobile.\nme@example.org", None),
        ("En cas d'urgence : noreply@example.fr", None),
    ],
)  # fmt: skip
def test_substitute_address_is_found_when_a_notice_offers_one(text: str, expected: str | None) -> None:
    assert substitute_address(text, exclude=["me@example.org"]) == expected


@pytest.mark.parametrize(
    ("name", "until", "substitute"),
    [
        ("ooo_fr_exchange.eml", date(2026, 12, 13), "marie.dupont@ac-nancy-metz.fr"),
        ("ooo_fr_sieve_jusquau.eml", date(2025, 3, 3), "secretariat.dareic@ac-strasbourg.fr"),
        ("ooo_fr_owa_html.eml", date(2027, 1, 5), None),
        ("ooo_fr_gmail_de_retour.eml", date(2026, 9, 12), None),
        ("ooo_en_exchange_until.eml", date(2026, 3, 3), "jane.doe@embassy.example.org"),
        ("ooo_en_back_on.eml", date(2026, 9, 12), None),
        ("ooo_en_returning.eml", date(2026, 12, 14), "secretary@gymnazium.example.cz"),
        ("ooo_de_bis_einschliesslich.eml", date(2026, 3, 14), "anna.mueller@goethe-gymnasium.example.de"),
        ("ooo_de_ab_dem.eml", date(2027, 1, 5), None),
        ("ooo_de_bis_zum.eml", date(2026, 12, 12), None),
    ],
)
def test_composed_out_of_office_gives_date_and_substitute_when_classified(
    name: str, until: date, substitute: str | None
) -> None:
    result = classify(parse_message((DATA / name).read_bytes()))
    assert result.kind is MailKind.AUTOREPLY
    assert result.ooo_until == until
    assert result.ooo_substitute == substitute


def test_received_day_dates_the_notice_when_it_has_no_date_header() -> None:
    raw = b"From: a@example.org\nSubject: Out of Office\nAuto-Submitted: auto-replied\n\nBack on 12 September.\n"
    assert classify(parse_message(raw)).ooo_until is None
    assert classify(parse_message(raw), received=date(2026, 9, 1)).ooo_until == date(2026, 9, 12)


def test_human_mail_has_no_return_date_when_it_mentions_one() -> None:
    raw = b"From: a@example.org\nDate: Mon, 2 Mar 2026 10:00:00 +0100\nSubject: Re: visite\n\nJe suis de retour le 12/03.\n"
    result = classify(parse_message(raw))
    assert result.kind is MailKind.HUMAN
    assert result.ooo_until is None


# The corpus has no French notice; these are its English ones where a date or an address is visible.
CORPUS_OOO = {
    "autoreply/sisimai__bsd_rfc3834-01.eml": (date(2005, 5, 5), None),
    "autoreply/sisimai__bsd_rfc3834-04.eml": (date(2013, 7, 31), "neko@example.org"),
    "autoreply/bounceparser__aol-vacation.eml": (date(2010, 7, 5), None),
    "autoreply/alaveteli__track-response-abcmail-oof.eml": (
        date(2012, 1, 3),
        "colleague.name@example.gov.uk",
    ),
    "autoreply/alaveteli__track-response-messageclass-oof.eml": (date(2012, 1, 20), "news@example.co.uk"),
    "autoreply/alaveteli__track-response-messagelabs-oof-1.eml": (None, "paul.the.pony@parliament.uk"),
    "autoreply/alaveteli__track-response-outlook-oof.eml": (None, None),  # a template: "[day, date]"
    "autoreply/alaveteli__track-response-lotus-oof-1.eml": (None, None),  # "dd/mm/yyyy"
}


@pytest.mark.parametrize(("name", "expected"), sorted(CORPUS_OOO.items()))
def test_corpus_out_of_office_gives_the_visible_date_when_classified(
    name: str, expected: tuple[date | None, str | None]
) -> None:
    _require_corpus()
    result = classify(parse_message((CORPUS / name).read_bytes()))
    assert result.kind is MailKind.AUTOREPLY
    assert (result.ooo_until, result.ooo_substitute) == expected


def test_corpus_notices_never_give_a_date_before_the_message_when_classified() -> None:
    _require_corpus()
    manifest = CORPUS / "MANIFEST.tsv"
    for line in manifest.read_text("utf-8").splitlines()[1:]:
        cols = line.split("\t")
        if "autoreply=yes" not in shlex.split(cols[5]):
            continue
        msg = parse_message((CORPUS / cols[0]).read_bytes())
        until = classify(msg).ooo_until
        assert until is None or msg.date is None or until >= msg.date.date(), cols[0]
