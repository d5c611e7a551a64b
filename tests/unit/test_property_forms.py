"""Property tests (hypothesis) on form checking and on what form values become in HTML mail.

- check_form never raises, whatever the cells hold (what openpyxl, calamine or a PDF can give, and
  worse); its values are JSON-ready, read back unchanged, and its problems name a field of the form.
- A form value carrying markup (``<script>``, quotes, ampersands) is escaped in the HTML part of every
  mail template, rendered with the sample context of check-config.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailflow.adapters.render import JinjaRenderer
from mailflow.config import PROJECT_ROOT, Settings
from mailflow.domain.forms import (
    FORM_SPECS,
    PARTNER_SHEET,
    REQUEST_FORM,
    check_form,
    values_from_json,
    values_to_json,
)
from mailflow.domain.message import Attachment
from mailflow.extract.forms import scan_attachments
from mailflow.runtime.samples import sample_context
from mailflow.runtime.wiring import identity

PROFILE = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_strings = st.one_of(
    st.text(max_size=80),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20),
    st.sampled_from(
        [
            "", " ", "#N/A", "#REF!", "=HYPERLINK(\"http://x\")", "oui", "NON", "0670080y", "0740003A",
            "24 élèves", "1e400", "-0", "NaN", "31/02/2026", "2026-13-45", "Allemagne", "Deutschland ",
            "virtuelle et physique", "ce.0670080y@ac-strasbourg", "a@b@c", "+33 3 88 14 33 00", "\u202e",
            "x" * 5000, "allemand, , ,anglais;;", "\x00\x1f", "1er janvier 2027",
        ]
    ),
)  # fmt: skip
_scalars = st.one_of(
    st.none(),
    _strings,
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(timezones=st.one_of(st.none(), st.just(UTC))),
    st.times(),
    st.timedeltas(min_value=timedelta(days=-(10**5)), max_value=timedelta(days=10**5)),
    st.decimals(allow_nan=True),
    st.binary(max_size=20),
)
cell_values = st.one_of(_scalars, st.lists(_scalars, max_size=4), st.tuples(_scalars, _scalars))


def raw_forms(spec_keys: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    keys = st.one_of(st.sampled_from(spec_keys), st.text(max_size=10))
    return st.dictionaries(keys, cell_values, max_size=len(spec_keys) + 3)


@PROFILE
@given(raw=st.one_of(raw_forms(REQUEST_FORM.keys), raw_forms(PARTNER_SHEET.keys)))
def test_check_form_never_raises_and_stays_consistent_when_cells_hold_anything(raw):
    for spec in FORM_SPECS.values():
        result = check_form(spec, raw)
        assert "" not in result.values.values()  # a cell of invisible characters only is missing, not ""
        assert result.form_id == spec.form_id and set(result.values) <= set(spec.keys)
        for problem in (*result.problems, *result.warnings):
            assert problem.field in spec.keys and problem.label in problem.message
        stored = values_to_json(result.values)
        json.dumps(stored)  # the case's form column is JSON
        assert values_from_json(stored, spec) == result.values  # read back by the digest and the letters


@pytest.mark.parametrize("invisible", ["\x08", "\x00\x1f", "\u200b", "\ufeff"])
def test_required_field_is_missing_when_it_holds_only_invisible_characters(invisible):
    """Found by the property test above: control characters alone once passed as a filled field."""
    result = check_form(REQUEST_FORM, _VALID | {"school_name": invisible, "head_name": invisible})
    assert {"school_name", "head_name"} <= {p.field for p in result.problems if p.code == "missing"}


@PROFILE
@given(value=cell_values, key=st.sampled_from(REQUEST_FORM.keys))
def test_one_strange_cell_makes_at_most_one_problem_for_its_field_when_the_rest_is_valid(value, key):
    base = dict(_VALID)
    base[key] = value
    result = check_form(REQUEST_FORM, base)
    about_key = [p for p in result.problems if p.field == key]
    assert len(about_key) <= 1
    assert not [p for p in result.problems if p.field != key and p.field in _VALID]  # the others unharmed


_VALID = {
    "school_name": "Lycée Kléber", "uai": "0670080Y", "school_type": "lycée polyvalent",
    "school_status": "public", "address": "25 place de Bordeaux", "postal_code": "67082",
    "city": "Strasbourg", "school_email": "ce.0670080y@ac-strasbourg.fr", "phone": "03 88 14 33 00",
    "head_name": "Claire Martin", "teacher_name": "Paul Weber", "teacher_email": "paul.weber@ac-strasbourg.fr",
    "languages_taught": "allemand", "target_country": "Allemagne", "partner_school_type": "Gymnasium",
    "pupils_level": "Seconde", "pupils_count": 24, "project_theme": "Le Rhin", "mobility_type": "virtuelle",
    "existing_partner": "non", "signed_on": date(2026, 11, 23), "signatory": "Claire Martin",
}  # fmt: skip


# --- HTML injection -----------------------------------------------------------------------------------

RENDERER = JinjaRenderer(PROJECT_ROOT / "templates")
IDENTITY = identity(Settings())
TODAY = date(2026, 11, 23)
TEMPLATES = RENDERER.templates()
# Context keys whose strings come from a school's form, an embassy's sheet or an incoming mail.
_FROM_OUTSIDE = {
    "school_name", "uai", "school_type", "city", "postal_code", "head_name", "teacher_name", "teacher_email",
    "region", "mobility_period", "project_theme", "pupils_level", "languages_taught", "name", "address",
    "email", "languages", "remarks", "label", "message", "line", "reason",
}  # fmt: skip


def _inject(value: Any, payload: str, key: str | None = None) -> Any:
    """Every outside string of the context, with the payload appended (attachment names included)."""
    if isinstance(value, dict):
        return {k: _inject(v, payload, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_inject(v, payload, key) for v in value]
    if isinstance(value, str) and (key in _FROM_OUTSIDE or key == "attachments"):
        return value + payload
    return value


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


markup = st.builds(
    lambda a, tag, b: f"{a}{tag}{b}",
    st.text("abc &'\"", max_size=6),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            '"><img src=x onerror=alert(1)>',
            "<a href='javascript:alert(1)'>x</a>",
            "</td></tr></table><script src=//evil.example/x.js></script>",
            "<svg/onload=alert(1)>",
            "<!-- --><style>*{display:none}</style>",
        ]
    ),
    st.text("xyz &'\"", max_size=6),
)


@pytest.mark.parametrize("template", TEMPLATES)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=markup)
def test_markup_from_forms_is_escaped_in_html_when_any_template_renders_it(template, payload):
    context = _inject(sample_context(IDENTITY, template, TODAY), payload)
    html = RENDERER.render(template, context).html
    tag = payload[payload.index("<") :]
    assert tag not in html  # never the raw markup
    assert "<script" not in html.lower() and "<svg" not in html.lower() and "<img" not in html.lower()


def test_every_template_shows_some_escaped_outside_value_when_rendered():
    """The injection above reaches displayed fields: each template shows at least one escaped payload."""
    payload = "<script>alert(1)</script>"
    for template in TEMPLATES:
        html = RENDERER.render(template, _inject(sample_context(IDENTITY, template, TODAY), payload)).html
        assert _escaped(payload) in html, template


# --- found by the fuzzing run (docs/fuzzing.md) -------------------------------------------------------

HOME_MADE_XLS = PROJECT_ROOT / "tests" / "data" / "forms" / "demande-maison.xls"


def test_truncated_xls_is_reported_unreadable_when_calamine_panics_on_it():
    """python-calamine panics (a BaseException) on it: once it escaped every handler and blocked the inbox."""
    broken = Attachment(
        filename="demande.xls", content_type="application/vnd.ms-excel", data=HOME_MADE_XLS.read_bytes()[:590]
    )
    try:
        scan = scan_attachments([broken])
    except BaseException as exc:
        pytest.fail(f"scan_attachments let {type(exc).__name__} escape: {exc}")
    assert [name for name, _ in scan.unreadable] == ["demande.xls"]


def _huge_allocation_xls() -> bytes:
    """The home-made .xls with two edits found by the fuzzing run (a 9 KB file)."""
    data = HOME_MADE_XLS.read_bytes()
    sectors = b"\xff" * 61 + b"\x00" * 64 + b"\xff" * 68 + b"\xfc"
    return data[:68] + bytes(54) + data[72:878] + sectors + data[878:]


def test_crafted_xls_cannot_exhaust_memory_when_it_is_scanned():
    """python-calamine asks for ~4 GB on this 9 KB file: once it aborted the process (or met the OOM killer)."""
    script = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
        "from mailflow.domain.message import Attachment\n"
        "from mailflow.extract.forms import scan_attachments\n"
        "data = sys.stdin.buffer.read()\n"
        "scan = scan_attachments([Attachment(filename='demande.xls', content_type='application/vnd.ms-excel', "
        "data=data)])\n"
        "print([name for name, _ in scan.unreadable])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=_huge_allocation_xls(),
        capture_output=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "RUST_BACKTRACE": "0"},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-300:]
    assert "demande.xls" in done.stdout.decode()
