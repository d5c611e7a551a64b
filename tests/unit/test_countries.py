"""Country names and codes -> ISO 3166 alpha-2."""

from __future__ import annotations

import pytest

from mailflow.domain.countries import (
    COUNTRIES,
    country_code,
    country_name_en,
    country_name_fr,
    french_name,
    get_country,
)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Allemagne", "DE"),
        ("allemagne (Bade-Wurtemberg)", "DE"),
        ("Deutschland", "DE"),
        ("Germany", "DE"),
        ("DE", "DE"),
        ("deu", "DE"),
        ("Royaume-Uni", "GB"),
        ("royaume uni", "GB"),
        ("España", "ES"),
        ("espana", "ES"),
        ("Italie", "IT"),
        ("ITALIE ", "IT"),
        ("la Suisse", "CH"),
        ("l'Allemagne", "DE"),
        ("Allemagne, Bade-Wurtemberg", "DE"),
        ("Allemagne – Sarre", "DE"),
        ("Etats-Unis", "US"),
        ("USA", "US"),
        ("UK", "GB"),
        ("Angleterre", "GB"),
        ("the Netherlands", "NL"),
        ("Pays Bas", "NL"),
        ("Côte d’Ivoire", "CI"),
        ("cote d'ivoire", "CI"),
        ("Korea, Republic of", "KR"),
        ("대한민국", "KR"),
        ("Türkiye", "TR"),
        ("Česko", "CZ"),
        ("Maroc", "MA"),
        ("Sénégal", "SN"),
        ("Canada", "CA"),
    ],
)
def test_country_code_is_found_when_name_or_code_written_freely(text: str, code: str) -> None:
    assert country_code(text) == code


@pytest.mark.parametrize("text", ["", "   ", "Atlantide", "Europe", "Corée", "XX", "Bade-Wurtemberg"])
def test_country_code_is_none_when_unknown_or_ambiguous(text: str) -> None:
    assert country_code(text) is None


def test_table_covers_europe_and_partners_when_loaded() -> None:
    codes = {c.code for c in COUNTRIES}
    assert len(COUNTRIES) >= 80
    assert len(codes) == len(COUNTRIES)
    assert {
        "DE",
        "AT",
        "CH",
        "PL",
        "UA",
        "GB",
        "US",
        "JP",
        "CN",
        "KR",
        "IN",
        "AU",
        "BR",
        "MX",
        "AR",
        "CL",
    } <= codes
    assert {"MA", "DZ", "TN", "SN", "CI", "CM", "EG", "IL", "LB", "TR", "ZA", "CA"} <= codes
    assert all(len(c.code) == 2 and len(c.alpha3) == 3 for c in COUNTRIES)


def test_every_name_maps_back_to_its_country_when_looked_up() -> None:
    for country in COUNTRIES:
        for name in (
            country.code,
            country.alpha3,
            country.name_fr,
            country.name_en,
            *country.native,
            *country.aliases,
        ):
            assert country_code(name) == country.code, name


def test_french_name_is_given_when_code_known() -> None:
    assert country_name_fr("DE") == "Allemagne"
    assert country_name_fr("de") == "Allemagne"
    assert country_name_en("GB") == "United Kingdom"
    assert country_name_fr("ZZ") is None
    assert french_name("ES") == "Espagne"
    assert french_name("ZZ") == "ZZ"


@pytest.mark.parametrize(
    ("code", "phrase"), [("DE", "en Allemagne"), ("MA", "au Maroc"), ("US", "aux États-Unis")]
)
def test_french_preposition_is_given_when_country_known(code: str, phrase: str) -> None:
    country = get_country(code)
    assert country is not None
    assert country.in_fr == phrase
