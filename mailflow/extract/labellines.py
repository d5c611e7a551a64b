"""Home-made forms as text lines (a PDF without fields): "Label : value", label and value in two columns,
several pairs on one line, the value on the next line, long answers continued on the following lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mailflow.domain.countries import fold
from mailflow.domain.formschema import FORM_SPECS, FormSpec
from mailflow.extract.labels import HEADING, LabelHits, Matcher, blank, inline_pair, is_help
from mailflow.extract.labelwords import MULTILINE

MAX_LINES = 3_000  # lines looked at (a form has about a hundred)
_PREFIX_WORDS = 14
_CONTINUATION_LINES = 12

_Hit = tuple[str, str, bool]  # key, value, whether the label ended with a colon
_COLUMNS = re.compile(r"\t|\s{3,}")


def _segment_hit(segment: str, matcher: Matcher) -> _Hit | None:
    """One column of a line that starts with a label: "Label : value", "Label value" or the label alone."""
    colon = segment.endswith((":", "："))
    key = matcher.find(segment, fuzzy=False)  # fuzzy would swallow a short value after the label
    if key is not None:
        return key, "", colon
    inline = inline_pair(segment, matcher)
    if inline is not None:
        return inline[0], inline[1], colon
    words = segment.split() if matcher.may_start(segment) else []
    for n in range(min(len(words), _PREFIX_WORDS) - 1, 0, -1):
        key = matcher.find(" ".join(words[:n]), fuzzy=False)
        if key is not None:
            return key, " ".join(words[n:]).lstrip(":*-–— ").strip(), False
    return None


def _line_hits(line: str, matcher: Matcher) -> list[_Hit]:
    """The labels of a line, with their values: a line may hold several columns ("CP : 67000   Ville : X")."""
    segments = [part.strip() for part in _COLUMNS.split(line) if part.strip()]
    if len(segments) == 1:
        hit = _segment_hit(segments[0], matcher)
        return [hit] if hit else []
    hits: list[_Hit] = []
    pending: list[str] | None = None  # the columns after a label alone: its value
    for segment in segments:
        key = matcher.find(segment)  # a column is a unit, like a cell: small variants allowed
        if key is not None:
            hits.append((key, "", segment.endswith(":")))
            pending = []
            continue
        if pending is None:
            hit = _segment_hit(segment, matcher)
        else:  # the value of the label before, unless a new "Label : value" starts
            pair = inline_pair(segment, matcher) if pending else None
            hit = (pair[0], pair[1], False) if pair else None
        if hit is not None:
            hits.append(hit)
            pending = None
        elif pending is not None and hits:
            pending.append(segment)
            hits[-1] = (hits[-1][0], " ".join(pending), False)
    return hits


def _label_tail(line: str, key: str, spec: FormSpec) -> bool:
    """The end of a label printed on two lines ("… accord" / "bilatéral…)")."""
    head = fold(_COLUMNS.split(line.strip(), maxsplit=1)[0])
    return bool(head) and key in spec.keys and head in fold(spec.field(key).label)


def search_lines(lines: Sequence[str], form_id: str) -> LabelHits:
    """ "Label : value" lines (or the value on the next line); long texts may continue on later lines."""
    hits = LabelHits(form_id)
    spec = FORM_SPECS[form_id]
    matcher = Matcher(form_id)
    lines = lines[:MAX_LINES]
    matched = [_line_hits(line, matcher) if line.strip() else [] for line in lines]
    for i, line_hits in enumerate(matched):
        for key, found, colon in line_hits:
            if not blank(hits.values.get(key)):
                continue
            if key == "form_id":
                hits.marker = re.split(r"[\s,;–—]+(?:version\s+)?", found)[:2]
                continue
            value = "" if is_help(found, key, spec) else found
            hits.values[key] = _following(lines, matched, i + 1, key, spec, value, colon=colon) or None
    hits.distinctive = matcher.distinctive
    return hits


def _following(
    lines: Sequence[str],
    matched: list[list[_Hit]],
    nxt: int,
    key: str,
    spec: FormSpec,
    value: str,
    *,
    colon: bool,
) -> str:
    """The value completed by the lines after its label: the value itself after "Label :", continuation
    lines of a long text."""

    def usable(index: int) -> bool:
        text = lines[index].strip()
        return bool(text) and not matched[index] and not is_help(text, key, spec) and not HEADING.match(text)

    if colon and not value and nxt < len(lines) and usable(nxt):
        value, nxt = lines[nxt].strip(), nxt + 1
    if key not in MULTILINE or not value:
        return value
    extra: list[str] = []
    while nxt < len(lines) and len(extra) < _CONTINUATION_LINES and usable(nxt):
        text = lines[nxt].strip()
        if _label_tail(text, key, spec):
            text = _COLUMNS.split(text, maxsplit=1)[1].strip() if _COLUMNS.search(text) else ""
        if text:
            extra.append(text)
        nxt += 1
    return "\n".join([value, *extra])
