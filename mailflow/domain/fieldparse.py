"""Field value parsers: one raw cell value -> the normalised value of its FieldKind, or a French reason.

Pure: stdlib and pydantic only (e-mail syntax through pydantic's email-validator binding).
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, timedelta

from pydantic.networks import validate_email

from mailflow.domain.countries import country_code, fold
from mailflow.domain.formschema import FieldKind, FieldSpec, FieldValue
from mailflow.domain.uai import expected_letter, parse_uai


class Reject(Exception):
    """A value that cannot be accepted: the problem code and the French reason after the echo."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(code)
        self.code = code
        self.reason = reason


INVALID_CODE = {
    FieldKind.UAI: "invalid_uai",
    FieldKind.EMAIL: "invalid_email",
    FieldKind.PHONE: "invalid_phone",
    FieldKind.POSTAL_CODE: "invalid_postal_code",
    FieldKind.INTEGER: "invalid_integer",
    FieldKind.DATE: "invalid_date",
    FieldKind.CHOICE: "invalid_choice",
    FieldKind.COUNTRY: "unknown_country",
    FieldKind.YESNO: "invalid_yesno",
}
_WS = re.compile(r"[^\S\n]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_ECHO_MAX = 60
_PLACEHOLDER = " \t\r\n\u00a0\u202f-–—_/\\.,;:…*?"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _clean_text(value: str) -> str:
    """Trimmed text: control characters removed, runs of spaces collapsed, lines kept."""
    text = _CONTROL.sub(" ", value.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [_WS.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(lines).strip("\n ")


def _as_text(value: object) -> str:
    """Any cell value as the text a person would read in the cell."""
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, list | tuple):
        return ", ".join(t for t in (_as_text(v) for v in value) if t)
    return _clean_text(str(value))


def is_empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, list | tuple):
        return all(is_empty(v) for v in value)
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str):
        # Control characters are dropped before judging (as the text parser drops them), so that a value
        # and its normalised form are judged alike: ":\x08" is as empty as ":".
        visible = "".join(ch for ch in value if ch.isprintable() or ch in "\t\r\n")
        return not visible.strip(_PLACEHOLDER)  # "", "  ", "-", "/", "…" (but "✓" is an answer)
    return False


def echo(value: object) -> str:
    text = " ".join(_as_text(value).split())
    return text if len(text) <= _ECHO_MAX else text[: _ECHO_MAX - 1] + "…"


def _quoted(items: tuple[str, ...]) -> str:
    return ", ".join(f"« {item} »" for item in items)


def _parse_uai(value: object) -> str:
    text = _as_text(value)
    uai = parse_uai(text)
    if uai is not None:
        return uai
    letter = expected_letter(text)
    if letter is not None:
        raise Reject(
            "invalid_uai", f"n'est pas un code UAI valide (la lettre de contrôle devrait être {letter})"
        )
    raise Reject("invalid_uai", "n'est pas un code UAI valide (7 chiffres suivis d'une lettre, ex. 0670080Y)")


def _parse_email(value: object) -> str:
    text = _as_text(value)
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :]
    try:
        _, normalised = validate_email(text.strip())
    except ValueError as exc:
        raise Reject(
            "invalid_email", "n'est pas une adresse électronique valide (ex. prenom.nom@ac-strasbourg.fr)"
        ) from exc
    return normalised.lower()


_PHONE_REASON = "n'est pas un numéro de téléphone français valide (10 chiffres, ex. 03 88 12 34 56)"


def _parse_phone(value: object) -> str:
    if _is_number(value):
        text = _as_text(value)
        digits = text if text.isdigit() else ""
    else:
        text = _as_text(value).replace("(0)", "")
        digits = re.sub(r"[^\d+]", "", text)
    if digits.startswith("+33"):
        digits = "0" + digits[3:].removeprefix("0")
    elif digits.startswith("0033"):
        digits = "0" + digits[4:].removeprefix("0")
    elif digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    elif len(digits) == 9 and digits.isdigit() and digits[0] != "0":
        digits = "0" + digits  # a spreadsheet dropped the leading zero
    if not re.fullmatch(r"0[1-9]\d{8}", digits):
        raise Reject("invalid_phone", _PHONE_REASON)
    return " ".join(digits[i : i + 2] for i in range(0, 10, 2))


def _parse_postal_code(value: object) -> str:
    if _is_number(value):
        text = _as_text(value)
        if text.isdigit() and len(text) == 4:
            text = "0" + text  # 01000 stored as a number
    else:
        text = re.sub(r"\s+", "", _as_text(value)).upper().removeprefix("F-").removeprefix("F")
    prefix = text[:2]
    if not (re.fullmatch(r"\d{5}", text) and ("01" <= prefix <= "95" or prefix in ("97", "98"))):
        raise Reject("invalid_postal_code", "n'est pas un code postal valide (5 chiffres, ex. 67000)")
    return text


def _bounds(spec: FieldSpec) -> str:
    if spec.min_value is not None and spec.max_value is not None:
        return f"un nombre entier entre {spec.min_value} et {spec.max_value} est attendu"
    if spec.min_value is not None:
        return f"un nombre entier d'au moins {spec.min_value} est attendu"
    if spec.max_value is not None:
        return f"un nombre entier d'au plus {spec.max_value} est attendu"
    return "un nombre entier est attendu, ex. 24"


_INTEGER_TEXT = re.compile(r"[^\d\-]*?(-?)\s*(\d+)(?:[.,]0+)?(?![\d.,]*\d)\D*")


def _parse_integer(spec: FieldSpec, value: object) -> int:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        match = _INTEGER_TEXT.fullmatch(_as_text(value))
        if match and len(match.group(2)) <= 9:
            number = int(match.group(1) + match.group(2))
    if number is None:
        raise Reject("invalid_integer", f"n'est pas un nombre entier ({_bounds(spec)})")
    if (spec.min_value is not None and number < spec.min_value) or (
        spec.max_value is not None and number > spec.max_value
    ):
        raise Reject("out_of_range", f"est hors limites ({_bounds(spec)})")
    return number


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("janvier", "janv", "jan", "january"),
            ("fevrier", "fevr", "fev", "february", "feb"),
            ("mars", "mar", "march"),
            ("avril", "avr", "april", "apr"),
            ("mai", "may"),
            ("juin", "june", "jun"),
            ("juillet", "juil", "july", "jul"),
            ("aout", "august", "aug"),
            ("septembre", "sept", "sep", "september"),
            ("octobre", "oct", "october"),
            ("novembre", "nov", "november"),
            ("decembre", "dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_WEEKDAYS = r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|le)\s+"
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_YMD_DATE = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})")
_DMY_DATE = re.compile(r"(\d{1,2})\s*([/.\-])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})")
_TEXT_DATE = re.compile(r"(\d{1,2})(?:er|e)?\s+([a-z]+)\.?\s+(\d{4})")
_EXCEL_EPOCH = date(1899, 12, 30)
_DATE_REASON = "n'est pas une date valide (format attendu : jj/mm/aaaa, ex. 12/11/2026)"


def _parse_date(value: object) -> date:
    try:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if _is_number(value) and isinstance(value, int | float) and 20000 <= value <= 80000:
            return _EXCEL_EPOCH + timedelta(days=int(value))  # an Excel serial number
        if isinstance(value, str):
            text = value.strip().lower()
            if match := _ISO_DATE.fullmatch(text):
                return date(int(match[1]), int(match[2]), int(match[3]))
            if match := _YMD_DATE.fullmatch(text):
                return date(int(match[1]), int(match[2]), int(match[3]))
            if match := _DMY_DATE.fullmatch(text):
                year = int(match[4]) + (2000 if len(match[4]) == 2 else 0)
                return date(year, int(match[3]), int(match[1]))
            words = re.sub(r"^(?:" + _WEEKDAYS + r")+", "", " ".join(_plain(text).split()) + " ").strip()
            if (match := _TEXT_DATE.fullmatch(words)) and match[2] in _MONTHS:
                return date(int(match[3]), _MONTHS[match[2]], int(match[1]))
    except (ValueError, OverflowError) as exc:
        raise Reject("invalid_date", _DATE_REASON) from exc
    raise Reject("invalid_date", _DATE_REASON)


def _plain(text: str) -> str:
    """Lower case without accents, punctuation kept (dates need their dots and slashes)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn").casefold()


def _parse_choice(spec: FieldSpec, value: object) -> str:
    key = fold(_as_text(value))
    for choice in spec.choices:
        if fold(choice) == key:
            return choice
    for alias, choice in spec.aliases:
        if fold(alias) == key:
            return choice
    raise Reject("invalid_choice", f"ne fait pas partie des valeurs acceptées : {_quoted(spec.choices)}")


_YES = frozenset({"oui", "yes", "y", "o", "x", "true", "vrai", "1", "ja", "si", "✓", "✔", "☑"})
_NO = frozenset({"non", "no", "n", "false", "faux", "0", "nein"})


def _parse_yesno(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if _is_number(value) and value in (0, 1):
        return value == 1
    if isinstance(value, str):
        text = value.strip().casefold()
        key = fold(text)
        first = key.split(" ", 1)[0] if key else ""
        if text in _YES or key in _YES or first in ("oui", "yes"):
            return True
        if key in _NO or first in ("non", "no"):
            return False
    raise Reject("invalid_yesno", "n'est pas une réponse valide (« oui » ou « non » attendu)")


_LIST_SPLIT = re.compile(r"\s*(?:[,;/\n+&]|\s(?:et|and|und)\s)\s*", re.IGNORECASE)


def _parse_list(value: object) -> tuple[str, ...]:
    parts: list[str] = []
    if isinstance(value, list | tuple):
        parts = [_as_text(v) for v in value]
    else:
        parts = _LIST_SPLIT.split(_as_text(value))
    seen: set[str] = set()
    items: list[str] = []
    for part in parts:
        item = part.strip(" \t-•*·.").strip()
        if item and any(ch.isalnum() for ch in item) and fold(item) not in seen:
            seen.add(fold(item))
            items.append(item)
    return tuple(items)


def _parse_country(value: object) -> str:
    code = country_code(_as_text(value)) if isinstance(value, str) else None
    if code is None:
        raise Reject(
            "unknown_country",
            "n'est pas un pays reconnu (indiquez le nom du pays en toutes lettres, ex. Allemagne, "
            "ou son code ISO, ex. DE)",
        )
    return code


def parse_value(spec: FieldSpec, value: object) -> FieldValue:
    """One non-empty raw value, normalised for its field; raises ValueError with a French reason."""
    try:
        return parse(spec, value)
    except Reject as reject:
        raise ValueError(reject.reason) from reject


def parse(spec: FieldSpec, value: object) -> FieldValue:
    kind = spec.kind
    if kind is FieldKind.UAI:
        return _parse_uai(value)
    if kind is FieldKind.EMAIL:
        return _parse_email(value)
    if kind is FieldKind.PHONE:
        return _parse_phone(value)
    if kind is FieldKind.POSTAL_CODE:
        return _parse_postal_code(value)
    if kind is FieldKind.INTEGER:
        return _parse_integer(spec, value)
    if kind is FieldKind.DATE:
        return _parse_date(value)
    if kind is FieldKind.CHOICE:
        return _parse_choice(spec, value)
    if kind is FieldKind.COUNTRY:
        return _parse_country(value)
    if kind is FieldKind.YESNO:
        return _parse_yesno(value)
    if kind is FieldKind.LIST:
        return _parse_list(value)
    return _as_text(value)
