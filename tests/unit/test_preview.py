"""`mailflow templates preview DIR`: every mail as a standalone HTML page, both letters, an index."""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from mailflow.adapters.render import JinjaRenderer
from mailflow.config import Settings
from mailflow.runtime.preview import write_preview
from mailflow.runtime.wiring import identity
from mailflow.services.deps import Identity

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
TODAY = date(2026, 12, 7)


@pytest.fixture(scope="module")
def ident() -> Identity:
    return identity(Settings())


@pytest.fixture(scope="module")
def preview(tmp_path_factory: pytest.TempPathFactory, ident: Identity) -> tuple[Path, list[Path]]:
    directory = tmp_path_factory.mktemp("preview") / "apercu"  # created by write_preview
    return directory, write_preview(directory, TEMPLATES, ident, TODAY)


def test_preview_writes_a_page_per_template_and_both_letters(preview: tuple[Path, list[Path]]) -> None:
    directory, written = preview
    names = JinjaRenderer(TEMPLATES).templates()
    assert names
    for name in names:
        assert (directory / f"{name}.html").is_file(), name
    for letter in ("lettre-notification.pdf", "lettre-dossier.pdf"):
        pdf = PdfReader(directory / letter)
        assert len(pdf.pages) == 1
    assert written[-1] == directory / "index.html"
    assert all(path.exists() and path.parent == directory for path in written)
    assert len(set(written)) == len(written)


def test_preview_writes_the_translated_variants_of_mails_to_counterparts(
    preview: tuple[Path, list[Path]],
) -> None:
    directory, _ = preview
    for name in ("embassy_request", "embassy_opinion_request", "another_partner_request", "reminder_embassy"):
        german = (directory / f"{name}.de.html").read_text(encoding="utf-8")
        english = (directory / f"{name}.en.html").read_text(encoding="utf-8")
        assert "DEUTSCHE FASSUNG" in german and "ENGLISH VERSION" in english
    assert not (directory / "ack_school.de.html").exists()  # schools are written to in French only


def test_index_links_every_file_written(preview: tuple[Path, list[Path]]) -> None:
    directory, written = preview
    index = (directory / "index.html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="([^"]+)"', index))
    assert links == {path.name for path in written if path.name != "index.html"}
    for name in JinjaRenderer(TEMPLATES).templates():
        assert f'href="{name}.html"' in index
    assert "en erreur" not in index


def test_mail_page_shows_headers_html_and_text(preview: tuple[Path, list[Path]], ident: Identity) -> None:
    directory, _ = preview
    page = (directory / "embassy_request.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'lang="fr"' in page
    assert "<th>De</th>" in page and html.escape(ident.dareic_address) in page
    assert "<th>À</th>" in page and "<th>Objet</th>" in page
    assert "[APP-2026-0001] Demande d&#x27;appariement" in page
    frame = re.search(r'<iframe sandbox="" title="Version HTML" srcdoc="([^"]*)"></iframe>', page)
    assert frame is not None
    assert html.unescape(frame.group(1)).lstrip().startswith("<!DOCTYPE html>")
    text = re.search(r"<pre>(.*)</pre>", page, re.S)
    assert text is not None and "Madame, Monsieur," in html.unescape(text.group(1))


def test_preview_escapes_everything_when_values_contain_markup(tmp_path: Path, ident: Identity) -> None:
    evil = '<script>alert("x")</script> & "Cie"'
    hostile = dataclasses.replace(ident, academie_name=evil, dareic_address="a@b.example")
    write_preview(tmp_path, TEMPLATES, hostile, TODAY)
    for path in tmp_path.glob("*.html"):
        assert "<script" not in path.read_text(encoding="utf-8"), path.name
    page = (tmp_path / "ack_school.html").read_text(encoding="utf-8")
    assert html.escape(evil) in page  # in the From line
    assert "&amp;lt;script&amp;gt;" in page  # escaped by the mail, then again for srcdoc


def test_preview_shows_the_error_when_a_template_is_broken(tmp_path: Path, ident: Identity) -> None:
    templates = tmp_path / "templates"
    (templates / "mail").mkdir(parents=True)
    for part in ("subject", "txt", "html"):
        (templates / "mail" / f"broken_school.{part}.j2").write_text("{{ no_such_key.x }}")
        (templates / "mail" / f"fine_school.{part}.j2").write_text(
            "[{{ case.ref }}] <b>{{ case.school_name }}</b>"
        )
    out = tmp_path / "out"
    write_preview(out, templates, ident, TODAY)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "en erreur" in index and "no_such_key" in index
    assert "Ce modèle ne peut pas être rendu" in (out / "broken_school.html").read_text(encoding="utf-8")
    assert "Lycée Kléber" in (out / "fine_school.html").read_text(encoding="utf-8")
