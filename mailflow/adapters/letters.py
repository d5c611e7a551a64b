"""The letters (PDF): the rector's notification of an appariement and the dossier summary for the rector.

``render_notification(context)`` and ``render_dossier(context)`` return the bytes of a one-page A4 PDF.
The words are in ``templates/letters/notification.j2`` and ``dossier.j2`` (Jinja2, autoescaped; see
their header for the small section format); this module lays them out (``letters_layout``) with French
typography (``letters_typo.typo_fr``). Same context, same bytes.

Context: the mail templates' context (``mailflow.services.mailcontext.build_context``). Keys read:

    case: ref, school_name, school_type, uai, head_name, teacher_name, teacher_email, city, postal_code,
          country_name, region, languages_taught, pupils_level, pupils_count, project_theme,
          mobility_type, physical, mobility_period, existing_partner, opened_on, form_version,
          address (optional: the school's street address, for the notification's address block),
          partner: None | {name, school_type, address, city, country_name, head_name, email,
                           guarantees_checked, remarks}
    academie: name, dareic_name, dareic_address, signatory_name, signatory_title,
              region (optional, default "Grand Est"), place (optional, default: the académie's town)
    today: date, ISO string or French date ("lundi 7 décembre 2026"); the letter writes "7 décembre 2026"
    steps (dossier, optional): list of {date, label}, oldest first

String values are reduced to one line (control characters removed) and escaped: a school named
``<b>X</b> & Cie`` is printed as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from itertools import groupby
from pathlib import Path
from typing import TypedDict

import jinja2
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from mailflow.adapters.letters_layout import LINE, Styles, build_pdf
from mailflow.adapters.letters_typo import clean_value, typo_markup
from mailflow.adapters.render import RenderError, date_fr, lcfirst, parse_date
from mailflow.domain.countries import country_code, get_country

__all__ = ["DEFAULT_TEMPLATES", "render_dossier", "render_notification", "render_sections"]

DEFAULT_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
_SECTION = re.compile(r"^<@([a-z_]+)>[ \t]*$", re.MULTILINE)
_BARE_AMP = re.compile(r"&(?!#\d+;|#x[0-9a-fA-F]+;|\w+;)")
_MAX_STEPS = 10


def _date_letter(value: object) -> str:
    """``7 décembre 2026`` (no day name), from a date, an ISO string or a French date; else as given."""
    day = parse_date(value)
    return date_fr(day, weekday=False) if day else clean_value(value)


def _in_country(name: object) -> str:
    """``en Allemagne``, ``au Danemark``, ``aux Pays-Bas``; an unknown country: ``(Atlantide)``."""
    text = clean_value(name)
    code = country_code(text)
    country = get_country(code) if code else None
    return country.in_fr if country else f"({text})"


def _clean(value: object) -> object:
    """Every string of the context on one line, without control characters (recursively)."""
    if isinstance(value, str):
        return clean_value(value)
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _environment(templates_dir: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=lambda v: "" if v is None else v,
    )
    env.filters.update(date_letter=_date_letter, in_country=_in_country, lcfirst=lcfirst)
    return env


def render_sections(
    template: str, context: Mapping[str, object], templates_dir: Path | None = None
) -> dict[str, str]:
    """The sections (``<@name>``) of ``letters/<template>.j2`` rendered for ``context``, as markup."""
    env = _environment(templates_dir or DEFAULT_TEMPLATES)
    try:
        text = env.get_template(f"letters/{template}.j2").render(_clean(dict(context)))
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"letter template {template!r}: {exc.name} is missing") from exc
    except jinja2.TemplateError as exc:
        raise RenderError(f"letter template {template!r}: {exc}") from exc
    parts = _SECTION.split(text)
    return {name: body.strip("\n") for name, body in zip(parts[1::2], parts[2::2], strict=True)}


# --- from sections to flowables -------------------------------------------------------------------


def _markup(text: str) -> str:
    return typo_markup(_BARE_AMP.sub("&amp;", text.strip()))


def _lines(text: str, style: object, gap: float = 2.2 * mm) -> list[Flowable]:
    """One paragraph per line; a blank line is a small gap."""
    out: list[Flowable] = []
    for line in text.split("\n"):
        if line.strip():
            out.append(Paragraph(_markup(line), style))
        elif out:
            out.append(Spacer(1, gap))
    return out


def _rows_table(rows: list[tuple[str, str]], st: Styles, width: float) -> Table:
    data = [
        [Paragraph(_markup(label), st.label), Paragraph(_markup(value), st.value)] for label, value in rows
    ]
    table = Table(data, colWidths=[52 * mm, width - 52 * mm], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, LINE),
                ("TOPPADDING", (0, 0), (-1, -1), 2.2 * st.scale),
                ("TOPPADDING", (0, 0), (0, -1), 3.2 * st.scale),  # the smaller label on the value's baseline
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3 * st.scale),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _kind(line: str) -> str:
    if line.startswith("## "):
        return "heading"
    if " :: " in line or line.endswith(" ::"):
        return "row"
    return "item" if line.startswith("- ") else "text"


def _body(text: str, st: Styles, width: float) -> list[Flowable]:
    """Paragraphs, ``## `` headings, ``Label :: value`` tables and ``- `` lists (see the templates)."""
    out: list[Flowable] = []
    for block in re.split(r"\n[ \t]*\n", text.strip()):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        for kind, group in groupby(lines, key=_kind):
            run = list(group)
            if kind == "heading":
                out.extend(Paragraph(_markup(line[3:]), st.section) for line in run)
            elif kind == "item":
                out.extend(Paragraph(_markup(line[2:]), st.item, bulletText="–") for line in run)
            elif kind == "text":
                out.append(Paragraph(_markup(" ".join(run)), st.body))
            else:
                cells = [
                    (label, value.strip()) for label, _, value in (line.partition(" ::") for line in run)
                ]
                rows = [(label, value) for label, value in cells if value]
                if rows:
                    out.append(_rows_table(rows, st, width))
    return out


def _grid(cells: list[list[object]], widths: Sequence[float], *, padding: float = 0) -> Table:
    table = Table(cells, colWidths=list(widths), hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), padding),
                ("RIGHTPADDING", (0, 0), (-1, -1), padding),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


_WIDTH = 168 * mm  # A4 width minus the margins of letters_layout.build_pdf
_LEFT = 88 * mm  # the left column (heading, service); the right one holds the date and the address


def render_notification(context: Mapping[str, object], templates_dir: Path | None = None) -> bytes:
    """The rector's notification of the appariement: one A4 page, PDF bytes (see the module docstring)."""
    s = render_sections("notification", context, templates_dir)

    def story(st: Styles) -> list[Flowable]:
        k = st.scale
        right = [*_lines(s["date"], st.date), Spacer(1, 12 * mm * k), *_lines(s["address"], st.address)]
        head = [
            *_lines(s["heading"], st.heading),
            Spacer(1, 9 * mm * k),
            *_lines(s["service"], st.service, 1.5 * mm),
        ]
        obj = [Paragraph(_object_line(line), st.object) for line in s["object"].split("\n") if line.strip()]
        signature = _grid([["", _lines(s["signature"], st.signature, 4 * mm)]], [_LEFT, _WIDTH - _LEFT])
        return [
            _grid([[head, right]], [_LEFT, _WIDTH - _LEFT]),
            Spacer(1, 12 * mm * k),
            *obj,
            Spacer(1, 8 * mm * k),
            *_body(s["body"], st, _WIDTH),
            Spacer(1, 5 * mm * k),
            KeepTogether([signature]),
        ]

    return build_pdf(story, **_meta(s, context))


def render_dossier(context: Mapping[str, object], templates_dir: Path | None = None) -> bytes:
    """The one-page dossier summary sent with the validation request (see the module docstring)."""
    steps = context.get("steps") or []
    if isinstance(steps, list | tuple) and len(steps) > _MAX_STEPS:  # keep the page: the latest steps
        first = {
            "date": "Auparavant",
            "label": f"{len(steps) - _MAX_STEPS + 1} autres étapes (historique complet dans le dossier)",
        }
        context = {**context, "steps": [first, *list(steps)[-(_MAX_STEPS - 1) :]]}
    s = render_sections("dossier", {"steps": [], **context}, templates_dir)

    def story(st: Styles) -> list[Flowable]:
        k = st.scale
        head = [
            *_lines(s["heading"], st.heading),
            Spacer(1, 5 * mm * k),
            *_lines(s["service"], st.service, 1.5 * mm),
        ]
        title = s["title"].split("\n")
        return [
            _grid([[head, _lines(s["date"], st.date)]], [_LEFT + 12 * mm, _WIDTH - _LEFT - 12 * mm]),
            Spacer(1, 7 * mm * k),
            Paragraph(_markup(title[0]), st.title),
            *[Paragraph(_markup(line), st.subtitle) for line in title[1:] if line.strip()],
            Spacer(1, 3 * mm * k),
            *_body(s["body"], st, _WIDTH),
        ]

    return build_pdf(story, **_meta(s, context))


def _object_line(line: str) -> str:
    """``Objet : texte`` with the label in bold (the label is what comes before the first " : ")."""
    label, sep, rest = line.strip().partition(" : ")
    if not sep:
        return _markup(line)
    return f"<b>{_markup(label)}\u00a0:</b> {_markup(rest)}"


class _Meta(TypedDict):
    title: str
    author: str
    subject: str
    footer: str


def _meta(s: Mapping[str, str], context: Mapping[str, object]) -> _Meta:
    academie = context.get("academie")
    author = clean_value(academie.get("name") if isinstance(academie, Mapping) else "")
    title = re.sub(r"<[^>]*>", "", s.get("meta", "")).strip()
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&#39;", "’"), ("&#34;", '"'), ("&amp;", "&")):
        title = title.replace(entity, char)
    footer = _markup(s.get("footer", ""))
    return {"title": title, "author": author, "subject": title, "footer": footer}


class PdfLetters:
    """Implements the LetterRenderer port over the functions above, with the project's letter templates."""

    def __init__(self, templates_dir: Path | None = None) -> None:
        self._dir = templates_dir

    def notification(self, context: Mapping[str, object]) -> bytes:
        return render_notification(context, self._dir)

    def dossier(self, context: Mapping[str, object]) -> bytes:
        return render_dossier(context, self._dir)
