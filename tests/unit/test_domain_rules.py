"""Pure rules: references and signed ids, working days, short answers, commands, threading, routing."""

from __future__ import annotations

from datetime import date

import pytest

from mailflow.adapters.holidays import HolidaysCalendar
from mailflow.domain.answers import mentions_no_partner, read_opinion, read_yes_no
from mailflow.domain.calendar import add_working_days, french_date, working_days_between
from mailflow.domain.commands import Role, authenticated_by, is_allowed, parse_commands
from mailflow.domain.directory import Contact, Directory
from mailflow.domain.errors import InvalidReference
from mailflow.domain.ids import CaseRef, MessageIdSigner, find_refs
from mailflow.domain.policy import Policy
from mailflow.domain.routing import route_request
from mailflow.domain.states import EventKind
from mailflow.domain.threading import Candidate, decide_match


def test_case_ref_round_trips_when_formatted_and_parsed():
    ref = CaseRef("APP", 2026, 42)
    assert str(ref) == "APP-2026-0042"
    assert CaseRef.parse(" app-2026-0042 ") == ref


def test_case_ref_parse_raises_when_text_is_not_a_reference():
    with pytest.raises(InvalidReference):
        CaseRef.parse("APP-26-42")


def test_find_refs_keeps_our_prefix_only_when_subject_has_several():
    refs = find_refs("RE: TR: [APP-2026-0007] suite (voir XYZ-2026-0001 et APP-2026-0007)", "APP")
    assert refs == [CaseRef("APP", 2026, 7)]


def test_signed_message_id_verifies_when_untouched_and_fails_when_tampered():
    signer = MessageIdSigner(b"k", "ac-strasbourg.fr")
    mid = signer.make(CaseRef("APP", 2026, 3), "abc123")
    assert signer.verify(mid) == CaseRef("APP", 2026, 3)
    assert signer.verify(mid.replace("APP-2026-0003", "APP-2026-0004")) is None
    assert MessageIdSigner(b"other", "ac-strasbourg.fr").verify(mid) is None
    assert signer.verify("<random@ac-strasbourg.fr>") is None


def test_working_days_skip_alsace_holidays_when_counting_over_christmas():
    cal = HolidaysCalendar()
    hol = cal.holidays_between(date(2026, 1, 1), date(2027, 12, 31))
    assert date(2026, 12, 26) in hol and date(2026, 4, 3) in hol  # Saint-Étienne, Vendredi saint
    # Thursday 24 Dec 2026 + 2 working days: Fri 25 (Noël) and Sat 26 skipped -> Mon 28, Tue 29
    assert add_working_days(date(2026, 12, 24), 2, hol) == date(2026, 12, 29)
    assert working_days_between(date(2026, 12, 24), date(2026, 12, 29), hol) == 2


def test_french_date_writes_first_of_month_as_1er_when_formatting():
    assert french_date(date(2026, 12, 1)) == "1er décembre 2026"
    assert french_date(date(2026, 12, 7), weekday=True) == "lundi 7 décembre 2026"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Oui, nous acceptons ce partenariat avec plaisir.", True),
        ("OUI\n\nmerci", True),
        ("Bonjour, oui nous acceptons.", True),
        ("Non merci, le profil ne correspond pas.", False),
        ("Nous déclinons cette proposition.", False),
        ("Pouvez-vous nous en dire plus ?", None),
        ("", None),
    ],
)
def test_read_yes_no_reads_first_line_when_school_answers(text, expected):
    assert read_yes_no(text) is expected


def test_read_opinion_prefers_unfavourable_when_both_words_appear():
    assert read_opinion("Avis favorable.") is True
    assert read_opinion("Avis défavorable, l'établissement n'est pas favorable aux échanges") is False
    assert read_opinion("Nous vous répondrons bientôt") is None
    assert mentions_no_partner("Malheureusement aucun partenaire n'a pu être identifié.")


def test_parse_commands_stops_at_first_ordinary_line_when_reply_has_text():
    cmds = parse_commands("\n/valider\n/note vu avec M. X\nBon pour validation.\n/clore")
    assert [(c.name, c.args) for c in cmds] == [("valider", ""), ("note", "vu avec M. X")]


def test_commands_need_role_and_authentication_when_checked():
    valider = parse_commands("/valider")[0]
    assert is_allowed(valider, Role.RECTOR, authenticated=True)
    assert not is_allowed(valider, Role.RECTOR, authenticated=False)
    assert not is_allowed(valider, Role.SCHOOL, authenticated=True)
    assert not is_allowed(parse_commands("/inconnue")[0], Role.STAFF, authenticated=True)


def test_authentication_counts_only_trusted_server_when_headers_disagree():
    trusted = "mx.ac-strasbourg.fr"
    ok = [f"{trusted}; dkim=pass header.d=ac-strasbourg.fr"]
    assert authenticated_by(ok, trusted, "cabinet@ac-strasbourg.fr")
    assert not authenticated_by(
        ["evil.example; dkim=pass header.d=ac-strasbourg.fr"], trusted, "cabinet@ac-strasbourg.fr"
    )
    assert not authenticated_by([f"{trusted}; dkim=fail"], trusted, "cabinet@ac-strasbourg.fr")
    assert not authenticated_by(
        [f"{trusted}; dkim=pass header.d=evil.example"], trusted, "cabinet@ac-strasbourg.fr"
    )
    assert authenticated_by(
        [f"{trusted}; dkim=none; dmarc=pass header.from=ac-strasbourg.fr"],
        trusted,
        "cabinet@ac-strasbourg.fr",
    )
    assert not authenticated_by([f"{trusted}; dkim=none; dmarc=pass"], trusted, "cabinet@ac-strasbourg.fr")


def test_threading_attaches_only_confident_and_unambiguous_when_scored():
    signed = Candidate(1, signed_id=True)
    stranger_ref = Candidate(2, subject_ref=True)
    assert decide_match([signed, stranger_ref]).case_id == 1
    assert decide_match([stranger_ref]).case_id is None  # a reference typed by a stranger is not enough
    party_ref = Candidate(3, subject_ref=True, sender_is_party=True)
    assert decide_match([party_ref]).case_id == 3
    tie = decide_match([Candidate(4, known_id=True), Candidate(5, known_id=True)])
    assert tie.case_id is None and len(tie.candidates) == 2


def test_directory_routes_to_land_when_region_matches_and_to_embassy_otherwise():
    d = Directory(
        contacts=(
            Contact(country="DE", address="scac@de.example"),
            Contact(country="DE", address="bw@de.example", regions=("Bade-Wurtemberg", "Freiburg")),
        )
    )
    assert d.route("DE", "bade-wurtemberg (Fribourg)").address == "bw@de.example"
    assert d.route("DE", "Berlin").address == "scac@de.example"
    assert d.route("DE").address == "scac@de.example"
    assert d.route("IT") is None


def test_route_request_follows_policy_when_partner_known_or_not():
    p = Policy()
    assert route_request({"existing_partner": False}, p, True) == (EventKind.FORWARD_TO_EMBASSY, "")
    assert route_request({"existing_partner": True}, p, True)[0] is EventKind.ASK_EMBASSY_OPINION
    assert (
        route_request({"existing_partner": True}, Policy(ask_embassy_opinion=False), False)[0]
        is EventKind.ASK_RECTOR
    )
    event, reason = route_request({"existing_partner": False}, p, False)
    assert event is EventKind.NEEDS_REVIEW and "contact" in reason
    assert route_request({}, Policy(auto_forward=False), True)[0] is EventKind.NEEDS_REVIEW


def test_is_ours_recognises_our_ids_without_case_when_signed():
    signer = MessageIdSigner(b"k", "ac-strasbourg.fr")
    digest_id = signer.make(None, "digest1")
    assert signer.is_ours(digest_id) and signer.verify(digest_id) is None
    assert not signer.is_ours(digest_id.replace("digest1", "digest2"))
    assert not signer.is_ours("<abc@ac-strasbourg.fr>")
