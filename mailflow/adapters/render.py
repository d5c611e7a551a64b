"""The Renderer port on Jinja2: ``mail/<name>.{subject,txt,html}.j2`` -> subject, text and HTML (French).

StrictUndefined everywhere (a missing context key is an error, never an empty string); autoescape for
``.html.j2`` only. The subject always comes out on one line; the text is normalised (LF line ends, no
trailing spaces, one final newline).

Mails to a counterpart abroad carry a translation after the French text (``mail/i18n/<lang>/``); the
filters ``translation_language``, ``date_in`` and ``country_in`` serve those parts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import suppress
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2

from mailflow.domain.calendar import FRENCH_DAYS, FRENCH_MONTHS
from mailflow.domain.countries import country_code, country_name_en
from mailflow.domain.errors import MailflowError
from mailflow.ports import RenderedMail

__all__ = [
    "TRANSLATIONS",
    "JinjaRenderer",
    "RenderError",
    "TemplateNotFoundError",
    "country_in",
    "date_fr",
    "date_in",
    "lcfirst",
    "parse_date",
    "translation_language",
]

_PARTS = ("subject", "txt", "html")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_]*$")

_DAYS, _MONTHS = FRENCH_DAYS, FRENCH_MONTHS

_FR_DATE = re.compile(
    rf"^(?:(?:{'|'.join(_DAYS)})\s+)?(1er|\d{{1,2}})\s+({'|'.join(_MONTHS)})\s+(\d{{4}})$", re.IGNORECASE
)
_MONTHS_DE = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)
_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

TRANSLATIONS = ("de", "en")
"""The languages a translation is written in; any other non-French language gets the English one."""


class RenderError(MailflowError):
    """A mail template could not be rendered (missing context key, template syntax error)."""


class TemplateNotFoundError(RenderError, LookupError):
    """The named mail template, or one of its three parts, does not exist."""


def _to_local_date(value: date | datetime | str) -> date | str:
    """The calendar date of ``value`` (Paris time for aware datetimes); unparsable strings as they are."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.fromisoformat(text) if ("T" in text or " " in text) else date.fromisoformat(text)
        except ValueError:
            return value  # already formatted (e.g. "lundi 7 décembre 2026"): leave it alone
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            with suppress(ZoneInfoNotFoundError):  # no tz database: keep the datetime's own date
                value = value.astimezone(ZoneInfo("Europe/Paris"))
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError(f"date_fr expects a date, a datetime or an ISO string, not {type(value).__name__}")


def date_fr(value: date | datetime | str, weekday: bool = True) -> str:
    """A date in French: ``lundi 7 décembre 2026``, ``mardi 1er décembre 2026`` (``weekday=False``: no day name).

    Accepts a date, a datetime (aware ones are shown in Paris time) or an ISO 8601 string; a string that
    is not ISO is returned unchanged, so the filter is harmless on an already formatted date.
    """
    day = _to_local_date(value)
    if isinstance(day, str):
        return day
    number = "1er" if day.day == 1 else str(day.day)
    text = f"{number} {_MONTHS[day.month - 1]} {day.year}"
    return f"{_DAYS[day.weekday()]} {text}" if weekday else text


def parse_date(value: object) -> date | None:
    """A date from a date, a datetime, an ISO string or a French date (``lundi 7 décembre 2026``)."""
    if isinstance(value, date | datetime):
        day = _to_local_date(value)
        return day if isinstance(day, date) else None
    if not isinstance(value, str):
        return None
    day = _to_local_date(value)
    if isinstance(day, date):
        return day
    found = _FR_DATE.match(" ".join(value.split()))
    if not found:
        return None
    number, month, year = found.groups()
    try:
        return date(int(year), _MONTHS.index(month.lower()) + 1, 1 if number == "1er" else int(number))
    except ValueError:
        return None


def date_in(value: object, language: str) -> object:
    """A date written for a translation: ``4. Januar 2027`` (de), ``Monday 4 January 2027`` (en).

    Accepts what ``date_fr`` accepts plus French dates as the context carries them; anything else (None,
    free text) is returned unchanged, so ``{% if %}`` tests in the template keep working.
    """
    day = parse_date(value)
    if day is None:
        return value
    if language == "de":
        return f"{day.day}. {_MONTHS_DE[day.month - 1]} {day.year}"
    if language == "en":
        return f"{_DAYS_EN[day.weekday()]} {day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    return date_fr(day)


def translation_language(recipient: object) -> str | None:
    """The language of the translation a mail to ``recipient`` carries: None (French), "de" or "en".

    ``recipient`` is the context's ``recipient`` mapping (its ``language`` may be absent: French) or a
    language code such as ``"de"``, ``"DE-at"`` or ``"it"`` (no translation of ours: English).
    """
    language = recipient.get("language") if isinstance(recipient, Mapping) else recipient
    code = str(language or "fr").strip().lower().replace("_", "-").split("-")[0]
    if code in ("", "fr"):
        return None
    return code if code in TRANSLATIONS else "en"


def country_in(name: object, language: str, names: Mapping[str, str] | None = None) -> str:
    """A country's French name (as the context carries it) in ``language``: ``names`` first, then the
    English name from the country table for "en"; unknown names are returned as given."""
    text = "" if name is None else str(name)
    if names and text in names:
        return names[text]
    if language == "en":
        code = country_code(text)
        return (country_name_en(code) if code else None) or text
    return text


def lcfirst(value: str) -> str:
    """``Académie de Strasbourg`` -> ``académie de Strasbourg`` (for use inside a sentence)."""
    return value[:1].lower() + value[1:]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _normalise_text(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    body = "\n".join(lines).strip("\n")
    body = re.sub(r"\n{3,}", "\n\n", body)
    return body + "\n"


class JinjaRenderer:
    """Renders ``<templates_dir>/mail/<name>.subject.j2``, ``.txt.j2`` and ``.html.j2``."""

    def __init__(self, templates_dir: Path) -> None:
        self.templates_dir = Path(templates_dir)
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(self.templates_dir)),
            undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(
                enabled_extensions=("html.j2",), default_for_string=False, default=False
            ),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self._env.filters["date_fr"] = date_fr
        self._env.filters["lcfirst"] = lcfirst
        self._env.filters["date_in"] = date_in
        self._env.filters["country_in"] = country_in
        self._env.filters["translation_language"] = translation_language

    def templates(self) -> list[str]:
        """The names of the mail templates that have all three parts, sorted."""
        folder = self.templates_dir / "mail"
        if not folder.is_dir():
            return []
        names = {p.name.removesuffix(".subject.j2") for p in folder.glob("*.subject.j2")}
        return sorted(
            name
            for name in names
            if _NAME.match(name) and all((folder / f"{name}.{part}.j2").is_file() for part in _PARTS)
        )

    def render(self, template: str, context: Mapping[str, object]) -> RenderedMail:
        """Subject (one line), text and HTML of ``template`` for ``context``.

        Raises TemplateNotFoundError when the template (or one of its parts) is missing, RenderError
        when rendering fails (a context key missing, a syntax error in the template).
        """
        if not _NAME.match(template or ""):
            raise TemplateNotFoundError(f"invalid mail template name {template!r}")
        parts: dict[str, str] = {}
        for part in _PARTS:
            path = f"mail/{template}.{part}.j2"
            try:
                tpl = self._env.get_template(path)
            except jinja2.TemplateNotFound as exc:
                raise TemplateNotFoundError(
                    f"mail template {template!r} is missing {exc.name} (looked in {self.templates_dir})"
                ) from exc
            except jinja2.TemplateSyntaxError as exc:
                raise RenderError(
                    f"mail template {template!r}: syntax error in {exc.name} line {exc.lineno}: {exc.message}"
                ) from exc
            try:
                parts[part] = tpl.render(dict(context))
            except jinja2.TemplateNotFound as exc:
                raise TemplateNotFoundError(
                    f"mail template {template!r} ({path}) needs {exc.name}, which is missing"
                ) from exc
            except jinja2.UndefinedError as exc:
                raise RenderError(f"mail template {template!r} ({path}): {exc.message}") from exc
            except Exception as exc:  # a filter or a test failed on a bad value: same answer for the caller
                raise RenderError(
                    f"mail template {template!r} ({path}): {type(exc).__name__}: {exc}"
                ) from exc
        return RenderedMail(
            subject=_one_line(parts["subject"]),
            text=_normalise_text(parts["txt"]),
            html=parts["html"].strip() + "\n",
        )
