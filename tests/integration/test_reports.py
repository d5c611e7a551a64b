"""Excel files read back with openpyxl (digest sheet, export, yearly report with charts), the digest's
queries on SQLite and PostgreSQL, and the `digest`, `export` and `report` commands end to end."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from pathlib import Path

import click
from click.testing import CliRunner
from openpyxl import load_workbook

from mailflow.adapters.reports import DigestWriter, export_workbook, year_report
from mailflow.config import PROJECT_ROOT
from mailflow.domain.case import Case, CaseEvent, InboundRecord, InboundStatus
from mailflow.domain.digest import DigestData, build_digest
from mailflow.domain.effects import Party
from mailflow.domain.forms import REQUEST_FORM
from mailflow.domain.ids import MailboxKey
from mailflow.domain.states import CaseState
from mailflow.runtime.digest_cli import digest, export, report

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = date(2026, 12, 7)
FORM = {"school_name": "Lycée Kléber", "uai": "0670080Y", "school_type": "collège", "signed_on": "2026-03-01",
        "languages_taught": ["allemand", "anglais"], "existing_partner": False, "pupils_count": 24}  # fmt: skip


def make_case(n: int, state: CaseState = CaseState.AT_EMBASSY, **changes: object) -> Case:
    values: dict[str, object] = {
        "ref": f"APP-2026-{n:04d}",
        "state": state,
        "opened_at": T0 + timedelta(days=30 * (n % 10)),
        "updated_at": T0 + timedelta(days=30 * (n % 10), hours=5),
        "school_address": f"ce.{n}@ac-strasbourg.fr",
        "school_name": f"Lycée {n}",
        "school_uai": "0670080Y",
        "target_country": ("DE", "IT", "ES")[n % 3],
        "form": FORM | {"school_type": ("collège", "lycée professionnel")[n % 2]},
        "waiting_for": Party.EMBASSY,
        "due_on": TODAY + timedelta(days=n - 3),
    }
    return Case.model_validate({"id": n} | values | changes)


def cases() -> list[Case]:
    return [make_case(n) for n in range(1, 7)] + [
        make_case(7, CaseState.CLOSED, opened_at=T0.replace(year=2025))
    ]


def view():
    data = DigestData(now=T0, today=TODAY, since=None, open_cases=cases())
    return build_digest(data, "ce.dareic@ac-strasbourg.fr", lambda ref, action: "mf1.x.y")


def test_digest_workbook_lists_open_cases_with_real_dates_and_late_ones_highlighted():
    wb = load_workbook(BytesIO(DigestWriter(PROJECT_ROOT / "templates").workbook(view())))
    ws = wb["Dossiers ouverts"]
    header = [c.value for c in ws[1]]
    assert header[:7] == ["Référence", "Établissement", "UAI", "Pays", "État", "En attente de", "Échéance"]
    assert ws.max_row == 7 and ws.freeze_panes == "B2" and ws.auto_filter.ref == "A1:K7"
    due = {ws.cell(r, 1).value: ws.cell(r, 7) for r in range(2, 8)}
    assert due["APP-2026-0001"].is_date and due["APP-2026-0001"].number_format == "dd/mm/yyyy"
    assert due["APP-2026-0001"].value.date() == TODAY - timedelta(days=2)
    assert due["APP-2026-0001"].fill.fgColor.rgb.endswith("F8D7DA")  # passed: highlighted
    assert not due["APP-2026-0005"].fill.fgColor.rgb.endswith("F8D7DA")  # still ahead
    assert ws.cell(2, 4).value == "Italie" and ws.cell(2, 6).value == "l'ambassade"


def test_export_has_one_row_per_case_with_every_form_field_and_dates_as_dates():
    wb = load_workbook(BytesIO(export_workbook(cases())))
    ws = wb["Dossiers"]
    header = [c.value for c in ws[1]]
    assert all(field.label in header for field in REQUEST_FORM.fields)
    assert ws.max_row == 8 and ws.freeze_panes == "B2" and ws.auto_filter.ref.startswith("A1:")
    row = {h: ws.cell(2, i + 1) for i, h in enumerate(header)}
    assert row["Référence"].value == "APP-2026-0001" and row["État"].value == "AT_EMBASSY"
    assert row["Ouvert le"].is_date and row["Date"].is_date and row["Date"].value.date() == date(2026, 3, 1)
    assert row["Mis à jour le"].number_format == "dd/mm/yyyy hh:mm"
    assert row["Langues vivantes enseignées"].value == "allemand, anglais"
    assert row["Partenaire déjà identifié ?"].value == "non" and row["Nombre d'élèves concernés"].value == 24


def test_export_keeps_hostile_and_french_text_as_text_when_the_form_came_from_outside():
    hostile = '=HYPERLINK("http://x")&<b>"\x01\x1b'
    form = FORM | {"school_name": hostile, "city": "Sélestat", "head_name": "@SUM(A1)", "phone": "+33 3 88"}
    case = make_case(1, school_name="Lycée « Cœur » d'Erstein", form=form, review_reason="-1 jour")
    ws = load_workbook(BytesIO(export_workbook([case])))["Dossiers"]
    row = {h.value: c for h, c in zip(ws[1], ws[2], strict=True)}
    assert row["Établissement"].value == "Lycée « Cœur » d'Erstein" and row["Commune"].value == "Sélestat"
    assert row["Nom de l'établissement"].value == '=HYPERLINK("http://x")&<b>"'  # control characters dropped
    assert row["Nom du chef d'établissement"].value == "@SUM(A1)" and row["Téléphone"].value == "+33 3 88"
    assert row["À traiter"].value == "-1 jour"
    assert all(cell.data_type in ("s", "n", "d") for cell in ws[2])  # never a formula


def test_export_is_a_valid_workbook_with_its_header_when_there_is_no_case():
    ws = load_workbook(BytesIO(export_workbook([])))["Dossiers"]
    assert ws.max_row == 1 and ws["A1"].value == "Référence" and ws.auto_filter.ref.startswith("A1:")
    assert ws.freeze_panes == "B2" and ws["A1"].font.b


def test_year_report_counts_by_country_state_type_and_month_with_native_charts():
    wb = load_workbook(BytesIO(year_report(cases(), 2026)))
    assert wb.sheetnames == ["Synthèse", "Par pays", "Par état", "Par type d'établissement", "Par mois"]
    assert wb["Synthèse"]["B2"].value == 6  # the 2025 request is not counted
    countries = {r[0].value: r[1].value for r in wb["Par pays"].iter_rows(min_row=2)}
    assert countries == {"Allemagne": 2, "Italie": 2, "Espagne": 2}
    months = [r[1].value for r in wb["Par mois"].iter_rows(min_row=2)]
    assert (
        len(months) == 12 and sum(months) == 6 and months[3] == 1
    )  # by opening month (April: APP-2026-0001)
    for name in ("Par pays", "Par état", "Par type d'établissement", "Par mois"):
        assert len(wb[name]._charts) == 1, name
    assert type(wb["Par état"]._charts[0]).__name__ == "PieChart"


def test_digest_queries_return_what_the_digest_needs_when_run_on_each_database(store):
    with store.transaction() as tx:
        old = tx.add_case(make_case(1, opened_at=T0 - timedelta(days=10)).model_copy(update={"id": None}))
        new = tx.add_case(make_case(2, opened_at=T0 + timedelta(hours=1)).model_copy(update={"id": None}))
        tx.add_case(
            make_case(3, CaseState.WITHDRAWN, opened_at=T0 - timedelta(days=5)).model_copy(
                update={"id": None}
            )
        )
        ids = [
            tx.add_inbound(InboundRecord(key=MailboxKey("INBOX", 7, uid), message_id=f"<m{uid}@x>",
                                         fetched_at=T0 + timedelta(minutes=uid), raw=b"Subject: x\r\n\r\nbody"))
            for uid in range(1, 6)
        ]  # fmt: skip
        for inbound_id, status in zip(
            ids, ["claimed", "claimed", "ignored", "unmatched", "new"], strict=True
        ):
            tx.update_inbound(inbound_id, status=InboundStatus(status), reason=f"r{inbound_id}")
        tx.add_event(CaseEvent(case_id=new.id, at=T0, kind="case_opened", actor="a", inbound_id=ids[0]))
        for _ in range(2):
            tx.add_event(CaseEvent(case_id=old.id, at=T0, kind="remind", actor="system"))
        tx.add_event(CaseEvent(case_id=old.id, at=T0 - timedelta(days=1), kind="embassy_replied", actor="e"))
    with store.transaction() as tx:
        assert [c.ref for c in tx.open_cases()] == [old.ref, new.ref]
        assert [c.ref for c in tx.cases_opened_since(T0)] == [new.ref]
        assert len(tx.cases_opened_since(None)) == 3
        assert [e.kind for e in tx.events_since(["embassy_replied", "case_opened"], T0)] == ["case_opened"]
        assert tx.event_counts("remind") == {old.id: 2}
        assert tx.inbound_counts_since(T0) == {"claimed": 2, "ignored": 1, "unmatched": 1, "new": 1}
        assert tx.inbound_counts_since(T0 + timedelta(minutes=3)) == {"ignored": 1, "unmatched": 1, "new": 1}
        assert tx.inbound_opening_cases_since(T0) == 1
        [stray] = tx.inbound_records(InboundStatus.UNMATCHED)
        assert stray.id == ids[3] and stray.raw is None and stray.reason == f"r{ids[3]}"
        assert (
            tx.inbound_records(InboundStatus.CLAIMED, since=T0 + timedelta(minutes=2), limit=5)[0].id
            == ids[1]
        )


def test_commands_write_the_preview_export_and_report_when_run_on_a_configuration(tmp_path: Path):
    config = tmp_path / "mailflow.toml"
    config.write_text("# embedded defaults, relative to this folder\n", encoding="utf-8")
    cli = click.Group(commands={"digest": digest, "export": export, "report": report})
    runner = CliRunner()
    for args in (
        ["digest", "--preview", str(tmp_path / "out" / "digest.html")],
        ["export", str(tmp_path / "all.xlsx")],
        ["report", "--year", "2026", str(tmp_path / "year.xlsx")],
    ):
        result = runner.invoke(cli, args, obj={"config": str(config)})
        assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "digest.html").read_text(encoding="utf-8")
    assert "Récapitulatif du" in html and "Rien n'attend la Dareic" in html and "Bilan" in html
    assert (tmp_path / "out" / "digest.xlsx").exists() and (tmp_path / "out" / "digest.txt").exists()
    assert load_workbook(tmp_path / "all.xlsx")["Dossiers"].max_row == 1  # the header only
    assert "Par pays" in load_workbook(tmp_path / "year.xlsx").sheetnames
    assert runner.invoke(cli, ["digest"], obj={"config": str(config)}).exit_code == 2  # nothing asked
    sent = runner.invoke(cli, ["digest", "--send"], obj={"config": str(config)})
    assert sent.exit_code == 0 and "digest queued" in sent.output and "sent 1" in sent.output, sent.output
    again = runner.invoke(cli, ["digest", "--send"], obj={"config": str(config)})
    assert again.exit_code == 0 and "not sent" in again.output and "already" in again.output
    [eml] = [p for p in (tmp_path / "var").rglob("*.eml") if "Sent" not in str(p)]
    assert b"Auto-Submitted: auto-generated" in eml.read_bytes()
