"""The letters (PDF): the rector's notification and the dossier summary, read back with pypdf.

The text is extracted from the PDF and checked as a reader would see it: names, French date, legal basis,
typography (œ, ’, « » with non-breaking spaces, non-breaking space before : ; ! ?), one page, same bytes
for the same input, hostile values printed as written.
"""

from __future__ import annotations

import copy
import io
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from mailflow.adapters import letters_layout
from mailflow.adapters.letters import render_dossier, render_notification, render_sections
from mailflow.adapters.letters_typo import NBSP, clean_value, typo_fr, typo_markup
from mailflow.adapters.render import RenderError
from mailflow.config import Settings
from mailflow.runtime.samples import sample_context
from mailflow.runtime.wiring import identity

TODAY = date(2026, 12, 7)
STEPS = [
    {"date": "2026-10-05", "label": "Demande reçue (formulaire version 1)"},
    {"date": date(2026, 10, 6), "label": "Demande transmise au Kultusministerium Baden-Württemberg"},
    {"date": "20 novembre 2026", "label": "Partenaire proposé : Goethe-Gymnasium Freiburg"},
    {"date": "2026-12-04", "label": "Accord de l'établissement"},
]


@pytest.fixture
def context() -> dict[str, Any]:
    """The notification's real context (services' builder on the demo case), plus the school's street."""
    ctx: dict[str, Any] = sample_context(identity(Settings()), "notification_school", TODAY)
    ctx["case"]["address"] = "25 place de Bordeaux"
    ctx["academie"]["signatory_name"] = "Jeanne Martin"
    ctx["academie"]["signatory_title"] = (
        "La déléguée académique aux relations européennes et internationales et à la coopération"
    )
    return ctx


def pdf_text(pdf: bytes) -> tuple[str, int]:
    """The text of the first page (non-breaking spaces kept) and the number of pages."""
    reader = PdfReader(io.BytesIO(pdf))
    return reader.pages[0].extract_text(), len(reader.pages)


def flat(text: str) -> str:
    """Text with every kind of space and line break as one ordinary space."""
    return re.sub(r"[\s\u00a0\u202f]+", " ", text).strip()


# --- the notification -------------------------------------------------------------------------------


def test_notification_says_what_the_rector_decided_when_rendered(context: dict[str, Any]) -> None:
    pdf = render_notification(context)
    assert pdf.startswith(b"%PDF-")
    raw, pages = pdf_text(pdf)
    text = flat(raw)
    assert pages == 1
    for expected in (
        "RÉPUBLIQUE FRANÇAISE",
        "Région académique Grand Est",
        "Académie de Strasbourg",
        "Dareic",
        "Strasbourg, le 7 décembre 2026",
        "N/Réf. : APP-2026-0001",
        "Le recteur de l’académie de Strasbourg",
        "Madame Claire Martin",
        "Proviseure",
        "Lycée Kléber",
        "25 place de Bordeaux",
        "Objet : notification de l’appariement entre le lycée Kléber et l’établissement "
        "Goethe-Gymnasium Freiburg (Freiburg im Breisgau, Allemagne)",
        "circulaires n° 2011-116 du 3 août 2011 et n° 2016-091 du 15 juin 2016",
        "J’ai l’honneur de vous informer que je valide l’appariement entre le lycée Kléber (Strasbourg) et "
        "l’établissement Goethe-Gymnasium Freiburg, à Freiburg im Breisgau (Allemagne).",
        "cadre officiel du partenariat",
        "Pour le recteur et par délégation",
        "Jeanne Martin",
        "La déléguée académique aux relations européennes et internationales et à la coopération",
        "mise en œuvre",
        "APP-2026-0001",
    ):
        assert expected in text, expected
    assert "lundi" not in text  # a letter's date has no day name


def test_notification_uses_french_typography_when_extracted(context: dict[str, Any]) -> None:
    raw, _ = pdf_text(render_notification(context))
    assert "œ" in raw and "oe" not in raw.replace("Goethe", "")
    assert "’" in raw and "'" not in raw
    assert '"' not in raw
    assert re.search(r"« [^»]+ »", flat(raw)), raw  # guillemets with their spaces
    assert "Objet : notification" in flat(raw) and "Réf. : circulaires" in flat(raw)
    # the PDF draws a non-breaking space with the space glyph: what shows is that no line is broken there
    lines = [line.strip() for line in raw.split("\n")]
    assert not [line for line in lines if re.match(r"^[:;!?»]", line) or line.endswith("«")], lines
    assert not [line for line in lines if re.search(r"(\bn°|\b\d{1,2}|\b1er|Mme|M\.)$", line)], lines
    assert not re.search(r"\S[:;!?](\s|$)", raw.replace("https:", "").replace("Courriel :", "")), (
        "glued : ; ! ?"
    )


def test_notification_markup_has_non_breaking_spaces_when_typography_is_applied(
    context: dict[str, Any],
) -> None:
    sections = render_sections("notification", context)
    assert f"Objet{NBSP}:" in typo_markup(sections["object"])
    body = typo_markup(sections["body"])
    assert f"«{NBSP}Le Rhin" in body and f"fleuve{NBSP}»" in body
    assert f"n°{NBSP}2011-116" in body and f"3{NBSP}août 2011" in body
    assert " :" not in body and " ;" not in body and "'" not in body


def test_notification_explains_the_convention_when_the_mobility_is_physical(context: dict[str, Any]) -> None:
    context["case"].update(mobility_type="virtuelle et physique", physical=True)
    text = flat(pdf_text(render_notification(context))[0])
    assert "signature d’une convention" in text
    assert "conseil d’administration (article R421-20 du code de l’éducation)" in text
    assert "quinze jours après sa transmission" in text and "R421-54" in text
    assert "mobilités virtuelles et physiques" in text


def test_notification_mentions_the_convention_as_conditional_when_the_mobility_is_virtual(
    context: dict[str, Any],
) -> None:
    context["case"].update(mobility_type="virtuelle", physical=False)
    text = flat(pdf_text(render_notification(context))[0])
    assert "Si des mobilités physiques d’élèves étaient envisagées ultérieurement" in text
    assert "organiser des mobilités virtuelles d’élèves" in text


@pytest.mark.parametrize(
    ("school_type", "school_name", "head", "function", "article"),
    [
        ("collège", "Collège Jean Monnet", "M. Luc Bernard", "Principal", "le collège Jean Monnet"),
        ("école", "École Pasteur", "Mme Anne Roth", "Directrice", "l’école Pasteur"),
        ("lycée professionnel", "Lycée Jean Rostand", "M. Paul Klein", "Proviseur", "le lycée Jean Rostand"),
        ("autre", "Cité scolaire Jean Mermoz", "Mme Lea Roth", "Cheffe d’établissement", "la cité scolaire"),
        (
            "autre",
            "Institution Sainte-Clotilde",
            "Paul Klein",
            "Chef d’établissement",
            "l’établissement Institution",
        ),
    ],
)
def test_notification_addresses_the_head_by_function_when_the_school_type_varies(
    context: dict[str, Any], school_type: str, school_name: str, head: str, function: str, article: str
) -> None:
    context["case"].update(school_type=school_type, school_name=school_name, head_name=head)
    text = flat(pdf_text(render_notification(context))[0])
    assert function in text
    assert f"entre {article}" in text


def test_notification_keeps_the_configured_delegation_line_when_the_name_carries_it(
    context: dict[str, Any],
) -> None:
    context["academie"]["signatory_name"] = "Pour le recteur et par délégation, la déléguée académique"
    text = flat(pdf_text(render_notification(context))[0])
    assert text.count("par délégation") == 1


def test_notification_renders_when_optional_keys_are_missing(context: dict[str, Any]) -> None:
    del context["case"]["address"]
    context["case"]["partner"] = None
    context["case"]["teacher_name"] = ""
    context["case"]["head_name"] = ""
    context["case"]["project_theme"] = ""
    context["today"] = date(2027, 3, 1)
    text = flat(pdf_text(render_notification(context))[0])
    assert "Strasbourg, le 1er mars 2027" in text
    assert "Madame, Monsieur le chef d’établissement" in text
    assert "None" not in text and "()" not in text


# --- the dossier summary --------------------------------------------------------------------------------


def test_dossier_summarises_the_request_and_the_steps_when_rendered(context: dict[str, Any]) -> None:
    context["steps"] = STEPS
    raw, pages = pdf_text(render_dossier(context))
    text = flat(raw)
    assert pages == 1
    for expected in (
        "Demande d’appariement – fiche de synthèse",
        "APP-2026-0001",
        "Strasbourg, le 7 décembre 2026",
        "Lycée Kléber",
        "0670080Y",
        "Mme Claire Martin",
        "M. Paul Weber (paul.weber@ac-strasbourg.fr)",
        "allemand, anglais, espagnol",
        "Seconde (section européenne allemand), 24 élèves",
        "Le Rhin, frontière et trait d’union : projet d’histoire et de sciences autour du fleuve",
        "Pays et région souhaités Allemagne, Bade-Wurtemberg (Freiburg)",
        "Partenaire déjà identifié non",
        "Goethe-Gymnasium Freiburg",
        "Gymnasium",
        "Lessingstraße 12, Freiburg im Breisgau, Allemagne",
        "Dr. Andrea Vogel",
        "Garanties vérifiées oui",
        "5 octobre 2026 Demande reçue (formulaire version 1)",
        "6 octobre 2026 Demande transmise au Kultusministerium Baden-Württemberg",
        "20 novembre 2026 Partenaire proposé : Goethe-Gymnasium Freiburg",
        "Validation (homologation) de l’appariement par le recteur",
    ):
        assert expected in text, expected
    assert "proposé : Goethe" in flat(raw)


def test_dossier_renders_without_steps_or_partner(context: dict[str, Any]) -> None:
    context.pop("steps", None)
    context["case"]["partner"] = None
    text = flat(pdf_text(render_dossier(context))[0])
    assert "Aucun établissement partenaire n’est encore enregistré" in text
    assert "Étapes de la procédure" not in text


def test_dossier_stays_on_one_page_when_values_are_long(context: dict[str, Any]) -> None:
    context["case"]["project_theme"] = "Un projet très ambitieux et détaillé. " * 60
    context["case"]["partner"]["remarks"] = "Remarque longue. " * 80
    context["steps"] = [{"date": date(2026, 10, 1 + i % 28), "label": f"Étape n° {i}"} for i in range(40)]
    text, pages = pdf_text(render_dossier(context))
    assert pages == 1
    text = flat(text)
    assert "[…]" in text and "autres étapes" in text and "Étape n° 39" in text
    assert "Validation (homologation)" in text


# --- both letters ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("render", [render_notification, render_dossier])
def test_letter_is_byte_identical_when_rendered_twice(context: dict[str, Any], render: Any) -> None:
    context["steps"] = STEPS
    assert render(copy.deepcopy(context)) == render(copy.deepcopy(context))


@pytest.mark.parametrize("render", [render_notification, render_dossier])
def test_letter_prints_hostile_values_as_literal_text(context: dict[str, Any], render: Any) -> None:
    context["case"]["school_name"] = "Lycée <b>Kléber</b> & Cie\x00\x07\r\n<@body> :: <font size=40>x</font>"
    context["case"]["partner"]["name"] = "</para><para>&amp; Goethe"
    context["steps"] = [{"date": "2026-10-05", "label": "<i>étape</i> & <br/>"}]
    text = flat(pdf_text(render(context))[0])
    assert "Lycée <b>Kléber</b> & Cie <@body> :: <font size=40>x</font>" in text
    assert "</para><para>&amp; Goethe" in text
    if render is render_dossier:
        assert "<i>étape</i> & <br/>" in text
    assert "\x00" not in text and "\x07" not in text


@pytest.mark.parametrize("render", [render_notification, render_dossier])
def test_letter_embeds_dejavu_when_the_fonts_are_installed(context: dict[str, Any], render: Any) -> None:
    if not (letters_layout.FONT_DIR / "DejaVuSerif.ttf").is_file():
        pytest.skip("fonts-dejavu-core is not installed")
    pdf = render(context)
    assert b"DejaVuSerif" in pdf and b"/FontFile2" in pdf
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata is not None and "APP-2026-0001" in (reader.metadata.title or "")


@pytest.mark.parametrize("render", [render_notification, render_dossier])
def test_letter_falls_back_to_standard_fonts_when_dejavu_is_missing(
    context: dict[str, Any], render: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(letters_layout, "FONT_DIR", tmp_path)
    pdf = render(context)
    assert b"DejaVu" not in pdf and b"Helvetica" in pdf
    raw, pages = pdf_text(pdf)
    assert pages == 1
    assert "’" in raw and "é" in raw and "–" in raw
    if render is render_notification:
        assert "œ" in raw and "« Le Rhin" in flat(raw)


def test_letter_raises_a_render_error_when_a_key_is_missing(context: dict[str, Any]) -> None:
    del context["academie"]
    with pytest.raises(RenderError, match="notification"):
        render_notification(context)
    with pytest.raises(RenderError, match="missing"):
        render_sections("no_such_letter", {})


def test_sections_keep_the_wording_in_the_templates(context: dict[str, Any]) -> None:
    sections = render_sections("notification", context)
    assert {"meta", "heading", "service", "date", "address", "object", "body", "signature", "footer"} <= set(
        sections
    )
    assert sections["date"] == "Strasbourg, le 7 décembre 2026"


# --- typography helpers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("l'école", "l’école"),
        ('le projet "Le Rhin"', f"le projet «{NBSP}Le Rhin{NBSP}»"),
        ("« x »", f"«{NBSP}x{NBSP}»"),
        ("Objet : x ; y ! z ?", f"Objet{NBSP}: x{NBSP}; y{NBSP}! z{NBSP}?"),
        ("Objet: x", f"Objet{NBSP}: x"),
        ("https://example.org/a?b=1 à 10:30", "https://example.org/a?b=1 à 10:30"),
        ("n° 2011-116", f"n°{NBSP}2011-116"),
        ("Mme Claire Martin et M. Paul Weber", f"Mme{NBSP}Claire Martin et M.{NBSP}Paul Weber"),
        ("le 1er mars 2027", f"le 1er{NBSP}mars 2027"),
        ("50 %", f"50{NBSP}%"),
        ("attendez...", "attendez…"),
        ("Strasbourg - Freiburg", "Strasbourg – Freiburg"),
        ("mise en œuvre", "mise en œuvre"),
    ],
)
def test_typo_fr_applies_french_rules_when_given_plain_text(text: str, expected: str) -> None:
    assert typo_fr(text) == expected
    assert typo_fr(expected) == expected  # idempotent


def test_typo_markup_leaves_tags_and_entities_alone_when_given_markup() -> None:
    markup = "<b>Objet :</b> l&#39;école &amp; &lt;b&gt; &#34;x&#34;"
    assert typo_markup(markup) == f"<b>Objet{NBSP}:</b> l’école &amp; &lt;b&gt; «{NBSP}x{NBSP}»"


def test_clean_value_keeps_one_line_when_given_control_characters() -> None:
    assert clean_value("a\x00b\r\nc\t\td\u2028e ") == "a b c d e"
    assert clean_value(None) == "" and clean_value(24) == "24"
