"""AcroForm fields of a PDF -> raw form values: by field names equal to our keys (the official PDF), else
by field tooltips or names that are labels. Tolerates what viewers do when saving: values only on the
widgets, check boxes with /On, /Yes or custom export values, export values given by index into /Opt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pypdf import PdfReader

from mailflow.domain.countries import fold
from mailflow.domain.forms import ALL_FIELD_KEYS, FORM_SPECS, FieldKind
from mailflow.extract.labels import LabelHits, Matcher, best_hits
from mailflow.extract.xlsx import FORM_ID_NAME, FORM_VERSION_NAME, RawForm

MAX_FIELDS = 1_000
_RADIO, _PUSH = 1 << 15, 1 << 16
_YES = frozenset({"on", "yes", "oui", "true", "1", "x", "ja", "si", "vrai", "checked", "coche"})
_NO = frozenset({"no", "non", "false", "0", "nein", "faux"})
_INDEX = re.compile(r"\[\d+\]")


@dataclass(frozen=True)
class PdfField:
    """One terminal AcroForm field: its names, its type and its value as text (None when empty/off)."""

    name: str
    tooltip: str
    value: str | None
    checkbox: bool


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1", "replace")
    return str(value)


def pdf_fields(reader: PdfReader) -> list[PdfField]:
    """Terminal fields of the AcroForm tree; values found on the field, else on its widgets (/V, /AS)."""
    root: Any = reader.trailer["/Root"].get_object()
    acroform = root.get("/AcroForm")
    if acroform is None:
        return []
    out: list[PdfField] = []
    seen: set[int] = set()
    stack: list[tuple[Any, str, str, int]] = [
        (f, "", "", 0) for f in reversed(acroform.get_object().get("/Fields", []))
    ]
    while stack and len(out) < MAX_FIELDS and len(seen) < 10 * MAX_FIELDS:
        ref, parent, ftype, flags = stack.pop()
        node = ref.get_object()
        if id(node) in seen or not hasattr(node, "get"):
            continue
        seen.add(id(node))
        title = _text(node.get("/T", ""))
        name = f"{parent}.{title}" if parent and title else title or parent
        ftype = _text(node.get("/FT", ftype))
        flags = int(node.get("/Ff", flags) or 0)
        kids = [kid for kid in node.get("/Kids", []) if "/T" in kid.get_object()]
        if kids:
            stack.extend((kid, name, ftype, flags) for kid in reversed(kids))
            continue
        widgets = [kid.get_object() for kid in node.get("/Kids", [])] or [node]
        value = _field_value(node, widgets, ftype, flags)
        tooltip = _text(node.get("/TU", ""))
        out.append(PdfField(name=name, tooltip=tooltip, value=value, checkbox=_is_checkbox(ftype, flags)))
    return out


def _is_checkbox(ftype: str, flags: int) -> bool:
    return ftype == "/Btn" and not flags & (_RADIO | _PUSH)


def _field_value(node: Any, widgets: list[Any], ftype: str, flags: int) -> str | None:
    if ftype == "/Btn" and flags & _PUSH:
        return None
    value = node.get("/V")
    if value is None:
        value = next((w.get("/V") for w in widgets if w.get("/V") is not None), None)
    if ftype == "/Btn":
        state = _text(value).lstrip("/") if value is not None else ""
        if not state or state == "Off":  # some viewers only set the widget's appearance state
            states = [_text(w.get("/AS", "")).lstrip("/") for w in widgets]
            state = next((s for s in states if s and s != "Off"), "")
        options = node.get("/Opt")
        if state.isdigit() and options is not None and int(state) < len(options):
            state = _text(options[int(state)])  # export values given by index into /Opt
        return state or None
    if value is None:
        return None
    if isinstance(value, list):  # a multi-select list
        return ", ".join(_text(v.get_object()) for v in value) or None
    text = _text(value.get_object() if hasattr(value, "get_object") else value)
    if ftype == "/Ch":
        for option in node.get("/Opt", []):
            option = option.get_object()
            if isinstance(option, list) and len(option) == 2 and _text(option[0]) == text:
                return _text(option[1]).strip() or None  # [export value, display text]
    return text if text.strip() else None


def _button(value: str | None, field: PdfField, kind: FieldKind | None) -> str | None:
    """A check box or radio state as the answer a person meant."""
    if value is None or kind is not FieldKind.YESNO:
        return value
    key = fold(value)
    if key in _NO:
        return "non"
    if key in _YES or field.checkbox:
        return "oui"  # a ticked box, whatever its export name
    return value


def _short(name: str) -> str:
    return _INDEX.sub("", name).rsplit(".", 1)[-1].strip().lower()


def read_fields(fields: list[PdfField], reader: PdfReader) -> RawForm | None:
    by_name = {
        _short(f.name): f
        for f in fields
        if _short(f.name) in ALL_FIELD_KEYS | {FORM_ID_NAME, FORM_VERSION_NAME}
    }
    marker_id = by_name.pop(FORM_ID_NAME, None)
    marker_version = by_name.pop(FORM_VERSION_NAME, None)
    if by_name:
        form_id = marker_id.value if marker_id else _metadata(reader, FORM_ID_NAME)
        version = marker_version.value if marker_version else _metadata(reader, FORM_VERSION_NAME)
        spec = FORM_SPECS.get(form_id or "")
        cells: dict[str, object] = {}
        for key, field in by_name.items():
            kind = spec.field(key).kind if spec and key in spec.keys else _any_kind(key)
            cells[key] = _button(field.value, field, kind)
        return RawForm(form_id=form_id, version=version, cells=cells, source="acroform")
    candidates = []
    for candidate in FORM_SPECS:  # a home-made fillable PDF: field tooltips or names that are our labels
        hits, matcher = LabelHits(candidate), Matcher(candidate)
        for field in fields:
            for text in (field.tooltip, field.name.rsplit(".", 1)[-1].replace("_", " ")):
                found = matcher.find(text.strip()) if text.strip() else None
                if found is not None and found != FORM_ID_NAME and found not in hits.values:
                    kind = FORM_SPECS[candidate].field(found).kind
                    hits.values[found] = _button(field.value, field, kind)
                    break
        hits.distinctive = matcher.distinctive
        candidates.append(hits)
    hits_found = best_hits(candidates)
    return labels_raw(hits_found, "acroform") if hits_found is not None else None


def _any_kind(key: str) -> FieldKind | None:
    for spec in FORM_SPECS.values():
        if key in spec.keys:
            return spec.field(key).kind
    return None


def _metadata(reader: PdfReader, name: str) -> str | None:
    """ "form_id=…; form_version=…" in the document keywords (our generated PDF writes them)."""
    try:
        metadata: Any = reader.metadata or {}
        keywords = _text(metadata.get("/Keywords", ""))
    except Exception:
        return None
    match = re.search(rf"\b{name}\s*=\s*([\w.\-]+)", keywords)
    return match[1] if match else None


def labels_raw(hits: LabelHits, source: str) -> RawForm:
    """A form found by its labels: its form id, the version read from the template reference if any."""
    version = hits.marker[1] if len(hits.marker) > 1 else None
    return RawForm(form_id=hits.form_id, version=version, cells=dict(hits.values), source=source)
