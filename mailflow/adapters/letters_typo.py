"""French typography for the letters: ``typo_fr`` on plain text, ``typo_markup`` on reportlab markup.

Rules (Lexique des règles typographiques en usage à l'Imprimerie nationale, simplified):

- the straight apostrophe becomes the typographic one: ``l'école`` -> ``l’école``;
- straight double quotes become French guillemets with non-breaking spaces inside: ``"x"`` -> ``« x »``,
  and existing guillemets get non-breaking spaces (``«x»`` / ``« x »`` -> ``« x »``);
- a non-breaking space (U+00A0) before ``: ; ! ?`` (replacing an ordinary space, or added when a word is
  directly followed by the sign and then a space: ``Objet: x`` -> ``Objet : x``); URLs, times
  (``10:30``) and ``://`` are left alone;
- a non-breaking space after ``n°``, after ``M.``, ``Mme``, ``MM.``, ``Mmes``, ``Dr``, before ``%``, ``€``,
  and between a day and its month (``7 décembre``);
- ``...`` -> ``…``; a spaced hyphen `` - `` -> en dash `` – ``.

U+00A0 rather than the narrow U+202F: reportlab breaks lines at U+202F, and the standard PDF fonts
(the fallback when DejaVu is missing) have no glyph for it. Both functions are idempotent.
"""

from __future__ import annotations

import re

__all__ = ["NBSP", "clean_value", "typo_fr", "typo_markup"]

NBSP = "\u00a0"
_SPACES = "[ \t\u00a0\u202f]"
_MONTHS = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]+")

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\.\.\."), "…"),
    (re.compile(rf"{_SPACES}+-{_SPACES}+"), " – "),
    (re.compile(r"'"), "’"),
    (re.compile(r'"([^"\n]*)"'), r"«\1»"),
    (re.compile(rf"«{_SPACES}*"), "«" + NBSP),
    (re.compile(rf"{_SPACES}*»"), NBSP + "»"),
    (re.compile(rf"{_SPACES}+([:;!?])"), NBSP + r"\1"),
    # a word (or a closing sign) glued to the punctuation that needs a space: add one
    (re.compile(r"(?<=[^\W\d_]|[»)\]])([;:!?])(?=\s|$)"), NBSP + r"\1"),
    (re.compile(rf"\b([nN]°){_SPACES}*(?=\w)"), r"\1" + NBSP),
    (re.compile(rf"(?<![\w.])(M\.|MM\.|Mme|Mmes|Mlle|Dr\.?|Pr\.?){_SPACES}+(?=\w)"), r"\1" + NBSP),
    (re.compile(rf"(?<=\d){_SPACES}*([%€])"), NBSP + r"\1"),
    (re.compile(rf"\b(1er|\d{{1,2}}){_SPACES}+(?=(?:{_MONTHS})\b)"), r"\1" + NBSP),
)


def typo_fr(text: str) -> str:
    """``text`` (plain, not markup) with French typographic rules applied (see the module docstring)."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


_ENTITY_TAIL = re.compile(r"#?\w+;")
_TOKENS = re.compile(r"(<[^<>]*>|&(?:#\d+|#x[0-9a-fA-F]+|\w+);)")


def typo_markup(markup: str) -> str:
    """``typo_fr`` on the text of reportlab paragraph markup, leaving tags and entities as they are.

    Quotes escaped by Jinja's autoescape (``&#39;``, ``&#34;``) are turned back into characters first,
    so they get their typographic form; ``&lt;``, ``&gt;`` and ``&amp;`` stay escaped.
    """
    markup = markup.replace("&#39;", "'").replace("&#34;", '"').replace("&quot;", '"')
    parts = _TOKENS.split(markup)
    # even indexes are text, odd ones tags or entities; a rule needing context across a tag (rare) is
    # applied to the text on each side only. Text that merely looks like an entity after an escaped
    # "&" (a value "&amp;" is escaped to "&amp;amp;") is left as written.
    out: list[str] = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(part)
            continue
        kept = _ENTITY_TAIL.match(part) if i and parts[i - 1] == "&amp;" else None
        head = kept.group(0) if kept else ""
        out.append(head + typo_fr(part[len(head) :]))
    return "".join(out)


def clean_value(value: object) -> str:
    """A context value made safe for one line of a letter: None -> "", control characters and line
    breaks -> one space, runs of spaces collapsed."""
    if value is None:
        return ""
    text = _CONTROL.sub(" ", str(value))
    return re.sub(r"[ \t]{2,}", " ", text).strip()
