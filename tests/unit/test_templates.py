"""The outgoing mail templates and the Jinja2 renderer: golden files, escaping, one-line subjects.

Context contract (what the caller passes to ``Renderer.render``; every key is always present, values may
be None where noted):

    case: {ref, state (code, e.g. "AT_EMBASSY"), state_label, school_name, uai, school_type, city,
           postal_code, head_name, teacher_name, teacher_email, country_name (French), region (str|None),
           mobility_type ("virtuelle" | "physique" | "virtuelle et physique"), physical (bool),
           mobility_period (str|None), project_theme, pupils_level, pupils_count (int|None),
           languages_taught (str), existing_partner (bool), form_version (int), opened_on (French date),
           due_on (str|None),
           partner: None | {name, school_type, address, city, country_name, head_name, email, languages,
                            guarantees_checked (bool|None), remarks}}
    academie: {name, dareic_name, dareic_address (an email address), signatory_name, signatory_title}
    recipient: {party ("school" | "embassy" | "rector" | "staff"), address, language ("fr" | "de" | "en"),
                service (optional: the counterpart's service, e.g. "Kultusministerium Baden-Württemberg")}
    today: str (French date)
    next_step: "embassy" | "review" | "opinion" | "rector" | None
    problems: list of {label, message}   (empty except for incomplete_school)
    reason: str | None
    reminder: None | {sequence: int, first_sent_on: str | None}
    deliberation_on: str | None ; authorised_from: str | None
    attachments: list of the file names attached to this mail (may be empty)

Optional: ``form_url`` (str|None) is used by incomplete_school when present; it may be left out.

Mails to a counterpart (embassy_request, embassy_opinion_request, another_partner_request, reminder_embassy)
add a translation after the French text when ``recipient.language`` is not French: German for "de",
English for any other language (golden files ``<name>.de.*`` and ``<name>.en.*``).

``UPDATE_GOLDEN=1 pytest tests/unit/test_templates.py`` rewrites tests/data/golden/ (and context.json).
"""

from __future__ import annotations

import copy
import json
import os
import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from mailflow.adapters.render import JinjaRenderer, RenderError, TemplateNotFoundError, date_fr
from mailflow.ports import RenderedMail, Renderer

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = ROOT / "templates"
GOLDEN_DIR = ROOT / "tests" / "data" / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

TEMPLATE_NAMES = [
    "ack_school",
    "incomplete_school",
    "embassy_request",
    "embassy_opinion_request",
    "another_partner_request",
    "partner_proposal_school",
    "acceptance_ack_school",
    "rector_request",
    "notification_school",
    "refusal_school",
    "no_partner_school",
    "convention_request_school",
    "mobility_authorised_school",
    "reminder_school",
    "reminder_embassy",
    "reminder_rector",
    "withdrawal_ack_school",
    "withdrawal_notice_embassy",
]

# Templates outside this file's contract (staff mails with their own context), allowed in the folder.
OTHER_TEMPLATES = frozenset({"command_reply_staff"})

COUNTERPART_TEMPLATES = [
    "embassy_request",
    "embassy_opinion_request",
    "another_partner_request",
    "reminder_embassy",
    "withdrawal_notice_embassy",
]

PARTNER: dict[str, Any] = {
    "name": "Goethe-Gymnasium",
    "school_type": "Gymnasium (enseignement secondaire général)",
    "address": "Bertoldstraße 12",
    "city": "Freiburg im Breisgau",
    "country_name": "Allemagne",
    "head_name": "Dr. Katrin Hoffmann",
    "email": "sekretariat@goethe-gymnasium-freiburg.example",
    "languages": "français, anglais, latin",
    "guarantees_checked": True,
    "remarks": "Établissement déjà engagé dans des échanges avec la France (programme Brigitte Sauzay).",
}

SAMPLE_CONTEXT: dict[str, Any] = {
    "case": {
        "ref": "APP-2026-0001",
        "state": "AWAITING_SCHOOL",
        "state_label": "En attente de l'accord de l'établissement",
        "school_name": "Lycée Kléber",
        "uai": "0670080Y",
        "school_type": "lycée général et technologique",
        "city": "Strasbourg",
        "postal_code": "67000",
        "head_name": "Mme Claire Muller",
        "teacher_name": "M. Julien Weber",
        "teacher_email": "julien.weber@ac-strasbourg.fr",
        "country_name": "Allemagne",
        "region": "Bade-Wurtemberg",
        "mobility_type": "virtuelle et physique",
        "physical": True,
        "mobility_period": "du 15 au 22 mars 2027",
        "project_theme": "Le Rhin, frontière et trait d'union : histoire, environnement et citoyenneté européenne",
        "pupils_level": "seconde (section européenne allemand)",
        "pupils_count": 24,
        "languages_taught": "allemand, anglais, espagnol",
        "existing_partner": False,
        "form_version": 1,
        "opened_on": "lundi 7 décembre 2026",
        "counterpart": "le service de coopération et d'action culturelle de l'ambassade de France",
        "due_on": "lundi 4 janvier 2027",
        "partner": PARTNER,
    },
    "academie": {
        "name": "Académie de Strasbourg",
        "dareic_name": "Délégation académique aux relations européennes et internationales et à la coopération",
        "dareic_address": "ce.dareic@ac-strasbourg.fr",
        "signatory_name": "Jean Dupont",
        "signatory_title": "Délégué académique aux relations européennes et internationales et à la coopération",
    },
    "recipient": {"party": "school", "address": "ce.0670080Y@ac-strasbourg.fr", "language": "fr"},
    "today": "lundi 7 décembre 2026",
    "next_step": None,
    "problems": [],
    "reason": None,
    "reminder": None,
    "deliberation_on": None,
    "authorised_from": None,
    "attachments": [],
}

EMBASSY = {"party": "embassy", "address": "scac.berlin@diplomatie.gouv.fr", "language": "fr"}
LAND_DE = {
    "party": "embassy",
    "address": "partnerschaften@km-bw.example",
    "language": "de",
    "service": "Kultusministerium Baden-Württemberg",
}
EMBASSY_EN = {
    "party": "embassy",
    "address": "cooperation@ambafrance-ie.example",
    "language": "en",
    "service": "Service de coopération et d'action culturelle – Ambassade de France en Irlande",
}
PARTNER_IE: dict[str, Any] = {
    "name": "St. Patrick's College",
    "school_type": "Secondary school",
    "address": "Drumcondra Road Upper",
    "city": "Dublin",
    "country_name": "Irlande",
    "head_name": "Ms Siobhán Murphy",
    "email": "office@stpatricks-dublin.example",
    "languages": "français, allemand, irlandais",
    "guarantees_checked": None,
    "remarks": "",
}
RECTOR = {"party": "rector", "address": "cabinet@ac-strasbourg.fr", "language": "fr"}
FORM = "formulaire-appariement-0670080Y.xlsx"
SHEET = "fiche-partenaire-APP-2026-0001.xlsx"
PROBLEMS = [
    {"label": "Nombre d'élèves concernés", "message": "ce champ est obligatoire et n'est pas renseigné."},
    {"label": "Période envisagée", "message": "elle doit être indiquée pour une mobilité physique."},
    {
        "label": "Courriel du professeur référent",
        "message": "« julien.weber@ac-strasbourg » n'est pas une adresse valide.",
    },
]

# What changes from the sample for each template: (case overrides, top-level overrides).
SCENARIOS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "ack_school": ({"state": "AT_EMBASSY", "partner": None}, {"next_step": "embassy"}),
    "incomplete_school": (
        {
            "state": "INCOMPLETE",
            "partner": None,
            "pupils_count": None,
            "mobility_period": None,
            "due_on": "jeudi 17 décembre 2026",
        },
        {"problems": PROBLEMS},
    ),
    "embassy_request": (
        {"state": "AT_EMBASSY", "partner": None},
        {"recipient": EMBASSY, "attachments": [FORM, SHEET]},
    ),
    "embassy_opinion_request": (
        {
            "state": "EMBASSY_OPINION",
            "existing_partner": True,
            "partner": {**PARTNER, "guarantees_checked": None},
        },
        {"recipient": EMBASSY, "attachments": [FORM]},
    ),
    "another_partner_request": (
        {"state": "AT_EMBASSY", "partner": PARTNER},
        {"recipient": EMBASSY, "attachments": [SHEET]},
    ),
    "partner_proposal_school": ({"state": "AWAITING_SCHOOL", "partner": PARTNER}, {}),
    "acceptance_ack_school": ({"state": "AWAITING_RECTOR", "partner": PARTNER}, {}),
    "rector_request": (
        {"state": "AWAITING_RECTOR", "partner": PARTNER},
        {"recipient": RECTOR, "attachments": [FORM]},
    ),
    "notification_school": ({"state": "VALIDATED", "partner": PARTNER, "due_on": None}, {}),
    "refusal_school": (
        {"state": "REFUSED", "partner": PARTNER, "due_on": None},
        {"reason": "Le projet pédagogique doit être précisé (objectifs, modalités d'évaluation)."},
    ),
    "no_partner_school": ({"state": "NO_PARTNER_FOUND", "partner": None, "due_on": None}, {}),
    "convention_request_school": (
        {"state": "CONVENTION", "partner": PARTNER, "due_on": "lundi 1er février 2027"},
        {},
    ),
    "mobility_authorised_school": (
        {"state": "MOBILITY_AUTHORISED", "partner": PARTNER, "due_on": None},
        {"deliberation_on": "jeudi 4 février 2027", "authorised_from": "vendredi 19 février 2027"},
    ),
    "reminder_school": (
        {"state": "AWAITING_SCHOOL", "partner": PARTNER},
        {
            "reminder": {"sequence": 1, "first_sent_on": "lundi 7 décembre 2026"},
            "today": "lundi 21 décembre 2026",
        },
    ),
    "reminder_embassy": (
        {"state": "AT_EMBASSY", "partner": None},
        {"recipient": EMBASSY, "reminder": {"sequence": 2, "first_sent_on": "lundi 7 décembre 2026"}},
    ),
    "reminder_rector": (
        {"state": "AWAITING_RECTOR", "partner": PARTNER},
        {"recipient": RECTOR, "reminder": {"sequence": 1, "first_sent_on": "lundi 11 janvier 2027"}},
    ),
    "withdrawal_ack_school": ({"state": "WITHDRAWN", "partner": None, "due_on": None}, {}),
    "withdrawal_notice_embassy": (
        {"state": "WITHDRAWN", "partner": None, "due_on": None},
        {"recipient": EMBASSY},
    ),
}


def context_for(name: str, **case_changes: Any) -> dict[str, Any]:
    """The sample context adapted to template ``name`` (plus extra ``case`` changes)."""
    ctx = copy.deepcopy(SAMPLE_CONTEXT)
    case_over, top_over = SCENARIOS[name]
    ctx["case"].update(copy.deepcopy(case_over))
    ctx["case"].update(case_changes)
    ctx.update(copy.deepcopy(top_over))
    return ctx


def context_in(name: str, language: str, **case_changes: Any) -> dict[str, Any]:
    """The counterpart scenario of ``name`` for a recipient writing ``language`` ("de": a Land's
    ministry for Baden-Württemberg; anything else: the French embassy in Ireland)."""
    if language == "de":
        ctx = context_for(name, **case_changes)
        ctx["recipient"] = {**LAND_DE}
        return ctx
    irish: dict[str, Any] = {"country_name": "Irlande", "region": "Dublin"}
    if context_for(name)["case"]["partner"]:
        irish["partner"] = copy.deepcopy(PARTNER_IE)
    ctx = context_for(name, **{**irish, **case_changes})
    ctx["recipient"] = {**EMBASSY_EN, "language": language}
    return ctx


def sparse(ctx: dict[str, Any]) -> dict[str, Any]:
    """The same context with every nullable value set to None (and no attachments)."""
    ctx = copy.deepcopy(ctx)
    for key in ("region", "mobility_period", "pupils_count", "due_on"):
        ctx["case"][key] = None
    if ctx["case"]["partner"]:
        for key in (
            "school_type",
            "address",
            "head_name",
            "email",
            "languages",
            "guarantees_checked",
            "remarks",
        ):
            ctx["case"]["partner"][key] = None
    if ctx["reminder"]:
        ctx["reminder"]["first_sent_on"] = None
    ctx["reason"] = None
    ctx["deliberation_on"] = None
    ctx["authorised_from"] = None
    ctx["attachments"] = []
    return ctx


def blanks(ctx: dict[str, Any]) -> dict[str, Any]:
    """The context the services build from a sparse form: unknown text fields are "" (not None)."""
    ctx = sparse(ctx)
    for key in (
        "uai",
        "school_type",
        "city",
        "postal_code",
        "head_name",
        "teacher_name",
        "teacher_email",
        "country_name",
        "project_theme",
        "pupils_level",
        "languages_taught",
    ):
        ctx["case"][key] = ""
    if ctx["case"]["partner"]:
        ctx["case"]["partner"] = {
            **{k: "" for k in PARTNER},
            "name": "Goethe-Gymnasium",
            "guarantees_checked": None,
        }
    return ctx


@pytest.fixture(scope="module")
def renderer() -> JinjaRenderer:
    return JinjaRenderer(TEMPLATES_DIR)


@pytest.fixture
def sample_context() -> dict[str, Any]:
    return copy.deepcopy(SAMPLE_CONTEXT)


def _variants() -> list[tuple[str, dict[str, Any]]]:
    """Every branch worth rendering: per template, its scenario, the sparse scenario, and the state branches."""
    out: list[tuple[str, dict[str, Any]]] = []
    for name in TEMPLATE_NAMES:
        out.append((f"{name}", context_for(name)))
        out.append((f"{name}-sparse", sparse(context_for(name))))
        out.append((f"{name}-blanks", blanks(context_for(name))))
    for step in ("embassy", "review", "opinion", "rector", None):
        for partner in (None, PARTNER):
            ctx = context_for("ack_school", partner=partner, form_version=2)
            ctx["next_step"] = step
            out.append((f"ack_school-{step}-{bool(partner)}", ctx))
    for state in ("INCOMPLETE", "AWAITING_SCHOOL", "CONVENTION", "AT_EMBASSY"):
        for partner in (None, PARTNER):
            out.append(
                (
                    f"reminder_school-{state}-{bool(partner)}",
                    context_for("reminder_school", state=state, partner=partner),
                )
            )
    for state in ("AT_EMBASSY", "EMBASSY_OPINION", "PARTNER_PROPOSED"):
        for partner in (None, PARTNER):
            out.append(
                (
                    f"reminder_embassy-{state}-{bool(partner)}",
                    context_for("reminder_embassy", state=state, partner=partner),
                )
            )
    for name in (
        "incomplete_school",
        "refusal_school",
        "notification_school",
        "rector_request",
        "embassy_opinion_request",
    ):
        out.append(
            (
                f"{name}-nopartner-empty",
                {
                    **context_for(name, partner=None, physical=False, existing_partner=True),
                    "problems": [],
                    "reason": "",
                },
            )
        )
    for name in COUNTERPART_TEMPLATES:
        for language in ("de", "en", "it"):
            out.append((f"{name}-{language}", context_in(name, language)))
            out.append((f"{name}-{language}-sparse", sparse(context_in(name, language))))
            out.append((f"{name}-{language}-blanks", blanks(context_in(name, language))))
            out.append((f"{name}-{language}-nopartner", context_in(name, language, partner=None)))
    for state in ("AT_EMBASSY", "EMBASSY_OPINION", "PARTNER_PROPOSED"):
        for language in ("de", "en"):
            out.append(
                (
                    f"reminder_embassy-{language}-{state}",
                    context_in("reminder_embassy", language, state=state),
                )
            )
    out.append(
        (
            "incomplete_school-form_url",
            {**context_for("incomplete_school"), "form_url": "https://www.ac-strasbourg.fr/appariement"},
        )
    )
    out.append(
        (
            "rector_request-unchecked",
            context_for(
                "rector_request", existing_partner=True, partner={**PARTNER, "guarantees_checked": False}
            ),
        )
    )
    return out


VARIANTS = _variants()


def _template_of(variant: str) -> str:
    return variant.split("-")[0]


def _golden(name: str, mail: RenderedMail) -> tuple[str, str]:
    return f"{mail.subject}\n\n{mail.text}", mail.html


# --- golden files ---------------------------------------------------------------------------------


def test_context_json_matches_the_sample_when_golden_files_are_current(
    sample_context: dict[str, Any],
) -> None:
    path = GOLDEN_DIR / "context.json"
    expected = json.dumps(sample_context, ensure_ascii=False, indent=2) + "\n"
    if UPDATE:
        GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(expected, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == expected


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_template_renders_its_golden_file_when_given_the_sample_context(
    renderer: JinjaRenderer, name: str
) -> None:
    mail = renderer.render(name, context_for(name))
    text, html = _golden(name, mail)
    txt_path, html_path = GOLDEN_DIR / f"{name}.txt", GOLDEN_DIR / f"{name}.html"
    if UPDATE:
        GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
        txt_path.write_text(text, encoding="utf-8")
        html_path.write_text(html, encoding="utf-8")
    assert txt_path.exists(), f"no golden file for {name}: run with UPDATE_GOLDEN=1"
    assert text == txt_path.read_text(encoding="utf-8")
    assert html == html_path.read_text(encoding="utf-8")


# --- the set of templates ---------------------------------------------------------------------------


def test_every_template_has_its_three_parts_when_listed(renderer: JinjaRenderer) -> None:
    for name in TEMPLATE_NAMES:
        for part in ("subject", "txt", "html"):
            assert (TEMPLATES_DIR / "mail" / f"{name}.{part}.j2").is_file(), f"{name}.{part}.j2 missing"
    listed = set(renderer.templates())
    assert set(TEMPLATE_NAMES) <= listed
    assert listed - set(TEMPLATE_NAMES) <= OTHER_TEMPLATES, "a new template: add it to TEMPLATE_NAMES"


def test_every_template_named_in_the_transition_table_exists(renderer: JinjaRenderer) -> None:
    from mailflow.domain.effects import SendEmail
    from mailflow.domain.states import TRANSITIONS

    used = {e.template for row in TRANSITIONS for e in row.effects if isinstance(e, SendEmail)}
    assert used <= set(renderer.templates())


def test_renderer_satisfies_the_renderer_port(renderer: JinjaRenderer) -> None:
    port: Renderer = renderer
    assert isinstance(port.render("ack_school", context_for("ack_school")), RenderedMail)


# --- what every rendered mail must look like -------------------------------------------------------------


@pytest.mark.parametrize(("variant", "ctx"), VARIANTS, ids=[v for v, _ in VARIANTS])
def test_rendered_mail_is_clean_when_rendering_any_branch(
    renderer: JinjaRenderer, variant: str, ctx: dict[str, Any]
) -> None:
    mail = renderer.render(_template_of(variant), ctx)
    ref = ctx["case"]["ref"]
    assert re.search(r"\[APP-\d{4}-\d{4}\]", mail.subject)
    assert f"[{ref}]" in mail.subject
    assert "\n" not in mail.subject and "\r" not in mail.subject and mail.subject == mail.subject.strip()
    for body in (mail.text, mail.html):
        assert ref in body
        assert "None" not in body
        assert "{{" not in body and "{%" not in body and "}}" not in body
        assert ctx["case"]["school_name"] in body
    assert mail.text.endswith("\n") and not mail.text.endswith("\n\n")
    assert all(line == line.rstrip() for line in mail.text.split("\n"))
    assert "\n\n\n" not in mail.text
    assert mail.html.lstrip().startswith("<!DOCTYPE html>")
    assert mail.html.rstrip().endswith("</html>")


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_no_empty_punctuation_when_text_fields_are_blank(renderer: JinjaRenderer, name: str) -> None:
    mail = renderer.render(name, blanks(context_for(name)))
    for body in (mail.subject, mail.text):
        for bad in ("()", "( ", " )", " ,", ",,", ": .", " .", "  "):
            assert bad not in body, (name, bad, body)
        assert not re.search(r"^- [^:\n]+ :[ \t]*$", body, re.M), (name, body)


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_body_says_what_is_expected_of_the_reader(renderer: JinjaRenderer, name: str) -> None:
    mail = renderer.render(name, context_for(name))
    assert re.search(r"Ce que nous (attendons de vous|vous demandons)|Suite à donner", mail.text), name
    assert "Madame, Monsieur" in mail.text


class _TagBalance(HTMLParser):
    VOID = frozenset({"br", "meta", "img", "hr", "link", "input"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p" and "p" in self.stack[-1:]:
            self.errors.append("<p> inside <p>")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


@pytest.mark.parametrize(("variant", "ctx"), VARIANTS, ids=[v for v, _ in VARIANTS])
def test_html_is_well_formed_when_rendering_any_branch(
    renderer: JinjaRenderer, variant: str, ctx: dict[str, Any]
) -> None:
    mail = renderer.render(_template_of(variant), ctx)
    parser = _TagBalance()
    parser.feed(mail.html)
    parser.close()
    assert parser.errors == [] and parser.stack == [], (parser.errors, parser.stack)
    assert 'lang="fr"' in mail.html and "max-width:640px" in mail.html


# --- escaping and header safety ---------------------------------------------------------------------------

EVIL = "<script>alert(1)</script> & Cie"
EVIL_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Cie"


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_html_escapes_form_values_when_they_contain_markup(renderer: JinjaRenderer, name: str) -> None:
    ctx = context_for(
        name,
        school_name=EVIL,
        city=EVIL,
        project_theme=EVIL,
        partner={**PARTNER, "name": EVIL, "remarks": EVIL},
    )
    ctx["problems"] = [{"label": EVIL, "message": EVIL}]
    ctx["reason"] = EVIL
    ctx["attachments"] = [EVIL]
    mail = renderer.render(name, ctx)
    assert EVIL_ESCAPED in mail.html
    assert "<script" not in mail.html
    assert EVIL in mail.text  # the text part is not HTML: shown as written


def test_subject_stays_on_one_line_when_context_values_contain_line_breaks(renderer: JinjaRenderer) -> None:
    for name in TEMPLATE_NAMES:
        ctx = context_for(
            name,
            ref="APP-2026-0001\r\nBcc: x@example.org",
            school_name="Lycée\r\nKléber\n",
            city="Stras\rbourg",
        )
        ctx["case"]["partner"] = {**PARTNER, "name": "Goethe-\nGymnasium"}
        ctx["case"]["country_name"] = "Alle\r\nmagne"
        mail = renderer.render(name, ctx)
        assert "\r" not in mail.subject and "\n" not in mail.subject, name
        assert mail.subject.startswith("[APP-2026-0001 Bcc: x@example.org]")


def test_text_lines_end_with_lf_when_context_values_contain_crlf(renderer: JinjaRenderer) -> None:
    ctx = context_for("rector_request", project_theme="Ligne un  \r\nLigne deux\r")
    mail = renderer.render("rector_request", ctx)
    assert "\r" not in mail.text
    assert "Ligne un\n" in mail.text


# --- errors ------------------------------------------------------------------------------------------------


def test_render_raises_when_a_context_key_is_missing(renderer: JinjaRenderer) -> None:
    for name in TEMPLATE_NAMES:
        ctx = context_for(name)
        del ctx["academie"]
        with pytest.raises(RenderError, match=name):
            renderer.render(name, ctx)
    ctx = context_for("embassy_request")
    del ctx["case"]["project_theme"]
    with pytest.raises(RenderError, match="project_theme"):
        renderer.render("embassy_request", ctx)


def test_render_raises_a_clear_error_when_the_template_is_missing(
    renderer: JinjaRenderer, tmp_path: Path
) -> None:
    with pytest.raises(TemplateNotFoundError, match="no_such_template"):
        renderer.render("no_such_template", context_for("ack_school"))
    with pytest.raises(TemplateNotFoundError):
        renderer.render("../secrets", context_for("ack_school"))
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "half.subject.j2").write_text("[{{ case.ref }}] x")
    (tmp_path / "mail" / "half.txt.j2").write_text("x")
    partial = JinjaRenderer(tmp_path)
    assert partial.templates() == []
    with pytest.raises(TemplateNotFoundError, match=r"half.*half\.html\.j2"):
        partial.render("half", context_for("ack_school"))


def test_templates_lists_nothing_when_the_folder_is_empty(tmp_path: Path) -> None:
    assert JinjaRenderer(tmp_path).templates() == []


def test_partials_are_not_listed_as_templates(renderer: JinjaRenderer) -> None:
    assert not [name for name in renderer.templates() if name.startswith("_")]


def test_subject_and_text_are_normalised_when_the_template_is_untidy(tmp_path: Path) -> None:
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "t.subject.j2").write_text("\n  [{{ ref }}]   a\tb  \n\n")
    (tmp_path / "mail" / "t.txt.j2").write_text("\n\nBonjour   \r\n\n\n\n{{ ref }}  \n\n\n")
    (tmp_path / "mail" / "t.html.j2").write_text("<p>{{ ref }}</p>")
    mail = JinjaRenderer(tmp_path).render("t", {"ref": "APP-2026-0002"})
    assert mail.subject == "[APP-2026-0002] a b"
    assert mail.text == "Bonjour\n\nAPP-2026-0002\n"
    assert mail.html == "<p>APP-2026-0002</p>\n"


def test_autoescape_applies_to_html_only(tmp_path: Path) -> None:
    (tmp_path / "mail").mkdir()
    for part in ("subject", "txt", "html"):
        (tmp_path / "mail" / f"t.{part}.j2").write_text("{{ v }}")
    mail = JinjaRenderer(tmp_path).render("t", {"v": "a & <b>"})
    assert mail.subject == "a & <b>"
    assert mail.text == "a & <b>\n"
    assert mail.html == "a &amp; &lt;b&gt;\n"


# --- the French date filter ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2026, 12, 7), "lundi 7 décembre 2026"),
        (date(2026, 12, 1), "mardi 1er décembre 2026"),
        (date(2027, 8, 15), "dimanche 15 août 2027"),
        (date(2027, 2, 4), "jeudi 4 février 2027"),
        (datetime(2026, 12, 7, 9, 30), "lundi 7 décembre 2026"),
        (datetime(2026, 12, 6, 23, 30, tzinfo=UTC), "lundi 7 décembre 2026"),  # Paris time
        ("2026-12-07", "lundi 7 décembre 2026"),
        ("2026-12-07T10:00:00", "lundi 7 décembre 2026"),
        ("lundi 7 décembre 2026", "lundi 7 décembre 2026"),  # already formatted: unchanged
    ],
)
def test_date_fr_formats_in_french_when_given_a_date(value: object, expected: str) -> None:
    assert date_fr(value) == expected  # type: ignore[arg-type]


def test_date_fr_covers_every_day_and_month_without_locale() -> None:
    start = date(2027, 1, 1)
    seen = {date_fr(start + timedelta(days=i)).split()[0] for i in range(7)}
    assert seen == {"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"}
    months = {date_fr(date(2027, m, 2), weekday=False).split()[1] for m in range(1, 13)}
    assert len(months) == 12 and "août" in months and "décembre" in months
    assert date_fr(date(2027, 1, 2), weekday=False) == "2 janvier 2027"


def test_date_fr_raises_when_given_something_else() -> None:
    with pytest.raises(TypeError):
        date_fr(None)  # type: ignore[arg-type]


def test_render_raises_render_error_when_a_filter_fails(tmp_path: Path) -> None:
    (tmp_path / "mail").mkdir()
    for part in ("subject", "txt", "html"):
        (tmp_path / "mail" / f"t.{part}.j2").write_text("{{ d|date_fr }}")
    with pytest.raises(RenderError, match="date_fr"):
        JinjaRenderer(tmp_path).render("t", {"d": None})


def test_render_raises_render_error_when_a_template_has_a_syntax_error(tmp_path: Path) -> None:
    (tmp_path / "mail").mkdir()
    for part in ("subject", "txt", "html"):
        (tmp_path / "mail" / f"t.{part}.j2").write_text("{% if %}")
    with pytest.raises(RenderError, match="syntax error"):
        JinjaRenderer(tmp_path).render("t", {})


def test_every_template_renders_the_shared_context_json(renderer: JinjaRenderer) -> None:
    ctx = json.loads((GOLDEN_DIR / "context.json").read_text(encoding="utf-8"))
    for name in TEMPLATE_NAMES:
        mail = renderer.render(name, ctx)
        assert f"[{ctx['case']['ref']}]" in mail.subject


def test_date_fr_is_available_as_a_filter(tmp_path: Path) -> None:
    (tmp_path / "mail").mkdir()
    for part in ("subject", "txt", "html"):
        (tmp_path / "mail" / f"t.{part}.j2").write_text("{{ d|date_fr }} / {{ d|date_fr(weekday=False) }}")
    mail = JinjaRenderer(tmp_path).render("t", {"d": date(2026, 12, 7)})
    assert mail.subject == "lundi 7 décembre 2026 / 7 décembre 2026"


# --- mails to a counterpart abroad: French first, then a translation -------------------------------------

TRANSLATION_HEADINGS = {"de": "DEUTSCHE FASSUNG", "en": "ENGLISH VERSION"}
SALUTATIONS = {"de": "Sehr geehrte Damen und Herren,", "en": "Dear Sir or Madam,"}


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("name", COUNTERPART_TEMPLATES)
def test_counterpart_mail_renders_its_golden_file_when_the_recipient_writes_another_language(
    renderer: JinjaRenderer, name: str, language: str
) -> None:
    mail = renderer.render(name, context_in(name, language))
    text, html = _golden(name, mail)
    txt_path, html_path = GOLDEN_DIR / f"{name}.{language}.txt", GOLDEN_DIR / f"{name}.{language}.html"
    if UPDATE:
        txt_path.write_text(text, encoding="utf-8")
        html_path.write_text(html, encoding="utf-8")
    assert txt_path.exists(), f"no golden file for {name} ({language}): run with UPDATE_GOLDEN=1"
    assert text == txt_path.read_text(encoding="utf-8")
    assert html == html_path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("language", "expected"), [("de", "de"), ("en", "en"), ("it", "en"), ("es-ES", "en")]
)
@pytest.mark.parametrize("name", COUNTERPART_TEMPLATES)
def test_translation_follows_the_french_text_when_the_recipient_writes_another_language(
    renderer: JinjaRenderer, name: str, language: str, expected: str
) -> None:
    ctx = context_in(name, language)
    mail = renderer.render(name, ctx)
    french = renderer.render(name, {**ctx, "recipient": {**ctx["recipient"], "language": "fr"}})
    assert mail.subject == french.subject  # subjects stay French
    for body in (mail.text, mail.html):
        heading = body.index(TRANSLATION_HEADINGS[expected])
        assert body.index("Madame, Monsieur,") < body.index("considération distinguée") < heading
        assert heading < body.index(SALUTATIONS[expected])
        assert body.count(ctx["case"]["ref"]) >= 3
    other = "en" if expected == "de" else "de"
    assert TRANSLATION_HEADINGS[other] not in mail.text and SALUTATIONS[other] not in mail.text
    # the French text is authoritative and says so in the reader's language
    assert (
        "Verbindlich ist allein der französische Text"
        if expected == "de"
        else "Only the French text is authoritative"
    ) in mail.text
    # the French part is exactly the French mail, and the footer stays last
    assert mail.text.startswith(
        french.text.split("\n------------------------------------------------------------\n")[0]
    )
    assert mail.text.rstrip().endswith(french.text.rstrip().rsplit("\n", 1)[-1])
    assert f'<div lang="{expected}"' in mail.html


@pytest.mark.parametrize("name", COUNTERPART_TEMPLATES)
def test_no_translation_when_the_recipient_writes_french_or_gives_no_language(
    renderer: JinjaRenderer, name: str
) -> None:
    ctx = context_for(name)
    expected = renderer.render(name, ctx)
    for recipient in ({**ctx["recipient"], "language": "FR"}, {"party": "embassy", "address": "a@b.example"}):
        mail = renderer.render(name, {**ctx, "recipient": recipient})
        assert mail == expected
    assert "FASSUNG" not in expected.text and "VERSION" not in expected.text


@pytest.mark.parametrize("name", COUNTERPART_TEMPLATES)
def test_mail_names_the_service_when_the_recipient_has_one(renderer: JinjaRenderer, name: str) -> None:
    for state in ("AT_EMBASSY", "EMBASSY_OPINION", "PARTNER_PROPOSED"):
        partner = {**PARTNER, "guarantees_checked": True}
        mail = renderer.render(name, context_in(name, "de", state=state, partner=partner))
        assert "À l'attention de : Kultusministerium Baden-Württemberg\n\nMadame, Monsieur," in mail.text
        assert "À l'attention de : <strong>Kultusministerium Baden-Württemberg</strong>" in mail.html
        for body in (mail.text, mail.html):
            assert "ambassade" not in body.lower() and "botschaft" not in body.lower()


@pytest.mark.parametrize("name", COUNTERPART_TEMPLATES)
def test_translation_writes_dates_and_countries_in_the_readers_language(
    renderer: JinjaRenderer, name: str
) -> None:
    german = renderer.render(name, context_in(name, "de")).text.split("DEUTSCHE FASSUNG")[1]
    english = renderer.render(name, context_in(name, "en")).text.split("ENGLISH VERSION")[1]
    assert "Deutschland" in german and "Allemagne" not in german
    assert "Ireland" in english and "Irlande" not in english
    if name != "withdrawal_notice_embassy":  # the only one without a date
        assert "Januar 2027" in german or "Dezember 2026" in german
        assert "January 2027" in english or "December 2026" in english
    for french in ("janvier", "décembre", "élèves", "virtuelle et physique"):
        assert french not in german and french not in english


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("name", COUNTERPART_TEMPLATES)
def test_translation_escapes_form_values_when_they_contain_markup(
    renderer: JinjaRenderer, name: str, language: str
) -> None:
    ctx = context_in(
        name,
        language,
        school_name=EVIL,
        city=EVIL,
        project_theme=EVIL,
        region=EVIL,
        partner={**PARTNER, "name": EVIL, "remarks": EVIL},
    )
    ctx["recipient"]["service"] = EVIL
    ctx["academie"]["name"] = EVIL
    mail = renderer.render(name, ctx)
    translation = mail.html.split(f'<div lang="{language}"')[1]
    assert EVIL_ESCAPED in translation
    assert "<script" not in mail.html
    assert EVIL in mail.text.split(TRANSLATION_HEADINGS[language])[1]


@pytest.mark.parametrize("name", COUNTERPART_TEMPLATES)
def test_translation_has_no_empty_punctuation_when_text_fields_are_blank(
    renderer: JinjaRenderer, name: str
) -> None:
    for language in ("de", "en"):
        mail = renderer.render(name, blanks(context_in(name, language)))
        for bad in ("()", "( ", " )", " ,", ",,", ": .", " .", "  ", ": )"):
            assert bad not in mail.text, (name, language, bad)
        assert not re.search(r"^- [^:\n]+:[ \t]*$", mail.text, re.M), (name, language)


def test_filters_for_translations_when_given_dates_languages_and_countries() -> None:
    from mailflow.adapters.render import country_in, date_in, translation_language

    assert date_in("lundi 4 janvier 2027", "de") == "4. Januar 2027"
    assert date_in("1er mars 2027", "en") == "Monday 1 March 2027"
    assert date_in(date(2026, 12, 7), "en") == "Monday 7 December 2026"
    assert date_in("2027-08-15", "de") == "15. August 2027"
    assert date_in("bientôt", "de") == "bientôt" and date_in(None, "en") is None
    assert date_in("31 février 2027", "de") == "31 février 2027"
    assert [translation_language(x) for x in ("fr", "FR", "", None, "de", "DE-at", "en", "it", "pl")] == [
        None,
        None,
        None,
        None,
        "de",
        "de",
        "en",
        "en",
        "en",
    ]
    assert translation_language({"language": "de"}) == "de" and translation_language({}) is None
    assert country_in("Allemagne", "en") == "Germany"
    assert country_in("Allemagne", "de", {"Allemagne": "Deutschland"}) == "Deutschland"
    assert country_in("Atlantide", "en") == "Atlantide" and country_in(None, "en") == ""
