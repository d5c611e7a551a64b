"""UAI normalisation and check letter (DOMAIN.md §4)."""

from __future__ import annotations

import pytest

from mailflow.domain.uai import (
    check_letter,
    departement,
    expected_letter,
    find_uai,
    is_valid_uai,
    normalise_uai,
    parse_uai,
)

VALID = ["0670080Y", "0672134F", "0671236E", "0670384D", "0680066C", "0680034T"]


@pytest.mark.parametrize("uai", VALID)
def test_uai_is_accepted_when_letter_matches_digits(uai: str) -> None:
    assert is_valid_uai(uai)
    assert parse_uai(uai) == uai
    assert expected_letter(uai) is None


def test_uai_is_rejected_when_check_letter_is_wrong() -> None:
    assert not is_valid_uai("0740003A")
    assert parse_uai("0740003A") is None
    assert expected_letter("0740003A") == "B"
    assert parse_uai("0740003B") == "0740003B"


@pytest.mark.parametrize("written", ["0670080y", " 0670080 Y ", "067 0080 y", "0670080-Y", "0670080\u00a0Y"])
def test_uai_is_normalised_when_written_with_lower_case_or_spaces(written: str) -> None:
    assert parse_uai(written) == "0670080Y"


@pytest.mark.parametrize("text", ["", "0670080", "670080Y", "06700800Y", "0670080YY", "ABCDEFGH", "0670080É"])
def test_uai_is_rejected_when_shape_is_wrong(text: str) -> None:
    assert parse_uai(text) is None
    assert expected_letter(text) is None


def test_check_letter_skips_i_o_q_when_computed() -> None:
    letters = {check_letter(f"{n:07d}") for n in range(23)}
    assert letters.isdisjoint({"I", "O", "Q"})
    assert len(letters) == 23


def test_check_letter_raises_when_not_seven_digits() -> None:
    with pytest.raises(ValueError):
        check_letter("12345")


def test_departement_is_first_three_digits_when_uai_valid() -> None:
    assert departement("0680066c") == "068"
    assert normalise_uai(" 0680066c ") == "0680066C"


def test_find_uai_returns_uai_when_inside_a_functional_address() -> None:
    assert find_uai("ce.0670080y@ac-strasbourg.fr") == "0670080Y"
    assert find_uai("ce.0740003a@ac-strasbourg.fr") is None
    assert find_uai("no identifier here 12345678") is None
