"""Files for people: the digest's mail (Jinja2, templates/digest/) and Excel workbooks.

- DigestWriter renders the digest's subject, text and HTML and writes its sheet of open cases;
- export_workbook(cases): every case, one row each, with every form field (`mailflow export`);
- year_report(cases, year): counts by country, state, school type and month, native charts (`mailflow report`).
The two one-sheet tables are streamed by xlsx_stream (fast on 10,000 cases); the report uses openpyxl.
Every sheet has a styled header, filters, frozen panes, and real dates (shown dd/mm/yyyy).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from openpyxl import Workbook
from openpyxl.chart import BarChart, PieChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from mailflow.adapters.render import RenderError, date_fr, lcfirst
from mailflow.adapters.xlsx_stream import Highlight, sheet_bytes
from mailflow.domain.case import Case
from mailflow.domain.countries import french_name
from mailflow.domain.digest import PARTY_LABELS, DigestView
from mailflow.domain.forms import PARTNER_SHEET, REQUEST_FORM
from mailflow.domain.states import STATE_LABELS, CaseState
from mailflow.ports import RenderedMail

__all__ = ["DigestWriter", "export_workbook", "year_report"]

PARIS = ZoneInfo("Europe/Paris")
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="000091")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")  # fmt: skip


class DigestWriter:
    """The digest's outputs: the mail (templates/digest/digest.{subject,txt,html}.j2) and its workbook."""

    def __init__(self, templates_dir: Path, timezone: ZoneInfo = PARIS) -> None:
        self.timezone = timezone
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates_dir)),
            undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters.update(date_fr=date_fr, lcfirst=lcfirst, ucfirst=_ucfirst, hour=self._hour)

    def _hour(self, value: datetime) -> str:
        return value.astimezone(self.timezone).strftime("%H:%M")

    def render(self, context: Mapping[str, object]) -> RenderedMail:
        parts: dict[str, str] = {}
        for part in ("subject", "txt", "html"):
            try:
                parts[part] = self._env.get_template(f"digest/digest.{part}.j2").render(dict(context))
            except jinja2.TemplateError as exc:
                raise RenderError(f"digest template ({part}): {exc}") from exc
        text = "\n".join(line.rstrip() for line in parts["txt"].strip().splitlines())
        return RenderedMail(" ".join(parts["subject"].split()), text + "\n", parts["html"].strip() + "\n")

    def workbook(self, view: DigestView) -> bytes:
        """The open cases of the digest: one row each, due dates passed in red."""
        headers = ["Référence", "Établissement", "UAI", "Pays", "État", "En attente de", "Échéance",
                   "Relances", "À traiter", "Ouvert le", "Mis à jour le"]  # fmt: skip
        reminders = {o.ref: o.reminders for o in view.overdue}
        rows = (
            [
                c.ref,
                c.school_name or c.school_address,
                c.school_uai,
                french_name(c.target_country) if c.target_country else None,
                STATE_LABELS[c.state],
                PARTY_LABELS[c.waiting_for] if c.waiting_for else None,
                Highlight(c.due_on) if c.due_on is not None and c.due_on < view.today else c.due_on,
                reminders.get(c.ref),
                c.review_reason,
                self._local(c.opened_at).date(),
                self._local(c.updated_at),
            ]
            for c in view.open_cases
        )
        widths = [16, 34, 11, 16, 34, 20, 12, 9, 50, 12, 16]
        return sheet_bytes("Dossiers ouverts", headers, rows, widths)

    def _local(self, value: datetime) -> datetime:
        return value.astimezone(self.timezone).replace(tzinfo=None)


def _ucfirst(value: str) -> str:
    return value[:1].upper() + value[1:]


def _table(ws: Worksheet, headers: list[str], rows: Iterable[Sequence[Any]], widths: Sequence[int]) -> None:
    """A header (bold, white on blue), the rows, filters, frozen first row, dates formatted."""
    ws.append(headers)
    for cell in ws[1]:
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for row in rows:
        ws.append(list(row))
    for column in ws.iter_cols(min_row=2):
        for cell in column:
            if isinstance(cell.value, datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(ws.max_row, 1)}"


def _save(wb: Workbook) -> bytes:
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ------------------------------------------------------------------------------------------- export


def _cell_value(value: object) -> object:
    """A form value as Excel wants it: ISO dates as dates, lists joined, booleans as oui/non."""
    if type(value) is str and not (len(value) == 10 and value[4] == "-" and value[7] == "-"):
        return value  # the common case, first: 440,000 calls on a 10,000-case export
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dict):
        return str(value)
    return value


def export_workbook(cases: Sequence[Case], timezone: ZoneInfo = PARIS) -> bytes:
    """Every case, one row each: reference, state, dates, routing, then every field of the form and partner."""
    fixed = ["Référence", "État", "Libellé de l'état", "Ouvert le", "Mis à jour le", "Établissement", "UAI",
             "Courriel de l'établissement", "Pays", "Région", "Ambassade / contact", "Type de mobilité",
             "En attente de", "Échéance", "À traiter", "Délibération du CA", "Version du formulaire"]  # fmt: skip
    form_fields, partner_fields = REQUEST_FORM.fields, PARTNER_SHEET.fields
    headers = (
        fixed + [f.label for f in form_fields] + [f"Partenaire retenu : {f.label}" for f in partner_fields]
    )

    def row(c: Case) -> list[object]:
        partner = c.partner or {}
        values: list[object] = [
            c.ref, c.state.value, STATE_LABELS[c.state], c.opened_at.astimezone(timezone).date(),
            c.updated_at.astimezone(timezone).replace(tzinfo=None), c.school_name, c.school_uai,
            c.school_address, french_name(c.target_country) if c.target_country else None, c.target_region,
            c.embassy_address, c.mobility_type, PARTY_LABELS[c.waiting_for] if c.waiting_for else None,
            c.due_on, c.review_reason, c.deliberation_on, c.form_version,
        ]  # fmt: skip
        values += [_cell_value(c.form.get(f.key)) for f in form_fields]
        return values + [_cell_value(partner.get(f.key)) for f in partner_fields]

    widths = [16, 22, 30, 12, 16, 30, 11, 28, 14, 18, 28, 14, 18, 12, 40, 12, 8]
    return sheet_bytes("Dossiers", headers, (row(c) for c in cases), widths)


# ------------------------------------------------------------------------------------------- report


def _counts(cases: Sequence[Case], timezone: ZoneInfo) -> dict[str, list[tuple[str, int]]]:
    country = Counter(french_name(c.target_country) if c.target_country else "non précisé" for c in cases)
    state = Counter(c.state for c in cases)
    school_type = Counter(str(c.form.get("school_type") or "non précisé") for c in cases)
    month = Counter(c.opened_at.astimezone(timezone).month for c in cases)
    return {
        "Par pays": country.most_common(),
        "Par état": [(STATE_LABELS[s], state[s]) for s in CaseState if state[s]],
        "Par type d'établissement": school_type.most_common(),
        "Par mois": [(MONTHS[m - 1], month[m]) for m in range(1, 13)],
    }


def year_report(cases: Sequence[Case], year: int, timezone: ZoneInfo = PARIS) -> bytes:
    """Requests opened in ``year``: a summary sheet, then one sheet per breakdown with its chart."""
    chosen = [c for c in cases if c.opened_at.astimezone(timezone).year == year]
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = "Synthèse"
    _table(summary, ["Indicateur", "Valeur"], [], [44, 12])
    summary.append([f"Demandes d'appariement reçues en {year}", len(chosen)])
    for state in CaseState:
        summary.append([STATE_LABELS[state], sum(1 for c in chosen if c.state is state)])
    summary.auto_filter.ref = f"A1:B{summary.max_row}"
    for title, rows in _counts(chosen, timezone).items():
        ws = wb.create_sheet(title[:31])
        label = title.removeprefix("Par ").capitalize()
        _table(ws, [label, "Demandes"], rows, [40, 12])
        _chart(ws, title, len(rows), pie=title == "Par état")
    return _save(wb)


def _chart(ws: Worksheet, title: str, count: int, *, pie: bool) -> None:
    """A native Excel chart of column B by column A, placed right of the table."""
    chart: BarChart | PieChart = PieChart() if pie else BarChart()
    chart.title = f"Demandes {title.lower()}"
    data = Reference(ws, min_col=2, min_row=1, max_row=max(count, 1) + 1)
    labels = Reference(ws, min_col=1, min_row=2, max_row=max(count, 1) + 1)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(labels)
    if isinstance(chart, BarChart):
        chart.type = "col"
        chart.y_axis.title = "Demandes"
        chart.legend = None
    chart.width, chart.height = 18, 9
    ws.add_chart(chart, "D2")
