"""UAI (ex-RNE) school identifiers: normalisation and the check letter (DOMAIN.md §4).

A UAI is 7 digits and a check letter, ``"ABCDEFGHJKLMNPRSTUVWXYZ"[int(digits) % 23]``; the first three
digits are the département (067 Bas-Rhin, 068 Haut-Rhin).
"""

from __future__ import annotations

import re

UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # A–Z without I, O, Q

_SHAPE = re.compile(r"\d{7}[A-Z]")
_SEPARATORS = re.compile(r"[\s.\-_/]+")
# A UAI inside other text (an address such as ce.0670080y@ac-strasbourg.fr, a subject line).
_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{7}[A-Za-z])(?![0-9A-Za-z])")


def normalise_uai(text: str) -> str:
    """Upper case, without spaces, dots or dashes; the result is not necessarily a valid UAI."""
    return _SEPARATORS.sub("", text).upper()


def check_letter(digits: str) -> str:
    """The check letter of seven digits."""
    if len(digits) != 7 or not digits.isascii() or not digits.isdigit():
        raise ValueError(f"a UAI has 7 digits, not {digits!r}")
    return UAI_LETTERS[int(digits) % 23]


def has_uai_shape(text: str) -> bool:
    """True for 7 digits followed by one letter (after normalisation), whatever the letter."""
    return _SHAPE.fullmatch(normalise_uai(text)) is not None


def is_valid_uai(text: str) -> bool:
    """True when ``text`` normalises to 7 digits followed by their check letter."""
    uai = normalise_uai(text)
    return _SHAPE.fullmatch(uai) is not None and check_letter(uai[:7]) == uai[7]


def parse_uai(text: str) -> str | None:
    """The normalised UAI, or None when ``text`` is not a valid UAI."""
    uai = normalise_uai(text)
    return uai if is_valid_uai(uai) else None


def expected_letter(text: str) -> str | None:
    """For a UAI-shaped value with a wrong letter, the letter it should have; otherwise None."""
    uai = normalise_uai(text)
    if _SHAPE.fullmatch(uai) is None:
        return None
    letter = check_letter(uai[:7])
    return None if letter == uai[7] else letter


def departement(uai: str) -> str:
    """The département part of a valid UAI ("067" for Bas-Rhin)."""
    return normalise_uai(uai)[:3]


def find_uai(text: str) -> str | None:
    """The first valid UAI written inside ``text`` (e.g. ``ce.0670080y@ac-strasbourg.fr``), normalised."""
    for match in _IN_TEXT.finditer(text):
        uai = parse_uai(match.group(1))
        if uai is not None:
            return uai
    return None
