"""Home-made or outdated forms: recognise the printed labels (tolerant matching) and find the value beside
each one in cell grids (any sheet of a workbook); labellines.py does the same for text lines. Pure Python.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache

from mailflow.domain.countries import fold
from mailflow.domain.formschema import FORM_SPECS, FormSpec, field_help
from mailflow.extract.labelwords import ALIASES, FILLER, MARKER, PHRASES, STOP, SYNONYMS, TRAILING

MIN_LABELS = 3  # fewer labels of two words or more than this: not one of our forms
MAX_LABEL_CHARS = 120
MAX_CELL_CHARS = 2_000
MAX_TEXT_CELLS = 1_500  # text cells looked at per sheet (a form has a few hundred)
RIGHT_SPAN = 4  # columns looked at to the right of a label
FUZZY_RATIO = 0.88
MAX_FUZZY = 300  # texts compared by similarity per search; beyond, exact matching only

_ROMAN = re.compile(r"[ivx]{1,4}|\d{1,3}|[a-h]")  # "1.", "II -", "a)" numbering
HEADING = re.compile(r"\s*(?:\d{1,2}|[IVX]{1,4})[.)]\s+\S")  # "3. Projet": a section, not a value
_BRACKETED = re.compile(r"[(\[{][^)\]}\t\n]*[)\]}]?")

Grid = Sequence[Sequence[object]]


_PHRASES = tuple((re.compile(rf"\b{phrase}\b"), replacement) for phrase, replacement in PHRASES)
_CACHE = 65_536  # distinct texts remembered (the daemon reads many files: bounded)


_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def _fold(text: str) -> str:
    """countries.fold for Latin labels, at C speed: lower case ASCII words (every cell goes through it)."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_LIGATURES)).encode("ascii", "ignore").decode()
    return _NOT_WORD.sub(" ", ascii_text.lower()).strip()


def _words(text: str, *, brackets: bool) -> list[str]:
    if not brackets:
        text = _BRACKETED.sub(" ", text)
    words = [SYNONYMS.get(w, w) for w in _fold(text).split()]
    while len(words) > 1 and _ROMAN.fullmatch(words[0]):
        words.pop(0)  # "1.", "II -", "a)" numbering
    while len(words) > 1 and words[-1] in TRAILING:
        words.pop()
    joined = " ".join(words)
    for phrase, replacement in _PHRASES:
        if phrase.pattern[2:4] in joined:  # cheap test before the regular expression
            joined = phrase.sub(replacement, joined)
    return joined.split()


def _stem(word: str) -> str:
    if word.endswith("s") and len(word) > 3:
        word = word[:-1]
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


@cache
def _vocabulary() -> frozenset[str]:
    """Every word stem of the printed labels: a reduced key with another word cannot match."""
    labels = [text for spec in FORM_SPECS.values() for f in spec.fields for text in (f.label, f.label_en)]
    return frozenset(_stem(w) for text in [*labels, MARKER] for w in _words(text, brackets=True))


def _reduced(words: list[str]) -> str | None:
    kept = set()
    for word in words:
        if word not in STOP and word not in FILLER:
            stem = _stem(word)
            if stem not in _vocabulary():
                return None
            kept.add(stem)
    return "~" + " ".join(sorted(kept)) if kept else None


@lru_cache(maxsize=_CACHE)
def _keys(text: str) -> tuple[str, ...]:
    """The lookup keys of a label, strictest first: with brackets, without, then as a reduced word set."""
    text = unicodedata.normalize("NFKC", text)
    full = _words(text, brackets=True)
    bare = _words(text, brackets=False) if _BRACKETED.search(text) else full
    reduced = [_reduced(full), _reduced(bare) if bare is not full else None]
    return (" ".join(full), " ".join(bare), *(key for key in reduced if key))


@dataclass
class _Index:
    exact: dict[str, str | None] = field(default_factory=dict)
    fuzzy: dict[str, str] = field(default_factory=dict)

    def add(self, text: str, key: str) -> None:
        for lookup in _keys(text):
            if not lookup.strip("~"):
                continue
            known = self.exact.setdefault(lookup, key)
            if known != key:
                self.exact[lookup] = None  # ambiguous within this form: never matched
        bare = " ".join(_words(text, brackets=False))
        if len(bare) >= 6:
            self.fuzzy.setdefault(bare, key)


@cache
def _index(form_id: str) -> _Index:
    spec = FORM_SPECS[form_id]
    index = _Index()
    for spec_field in spec.fields:  # the printed labels first: an alias never overrides them
        for text in (spec_field.label, spec_field.label_en):
            if text:
                index.add(text, spec_field.key)
    for key, texts in ALIASES[form_id].items():
        for text in texts:
            for lookup in _keys(text)[:2]:  # as written: a reduced alias ("Nom du lycée") is too loose
                if lookup.strip("~"):
                    index.exact.setdefault(lookup, key)
    index.add(MARKER, "form_id")
    return index


@cache
def _first_words(form_id: str) -> frozenset[str]:
    return frozenset(key.split()[0] for key in _index(form_id).exact if key and not key.startswith("~"))


@lru_cache(maxsize=_CACHE)
def match_label(text: str, form_id: str, *, fuzzy: bool = True) -> str | None:
    """The field key whose label ``text`` is (tolerantly), or None; "form_id" for the template reference.

    ``fuzzy`` allows small wording differences (a similarity ratio), not wanted for a line's first words.
    """
    if not text or len(text) > MAX_LABEL_CHARS or not any(ch.isalpha() for ch in text):
        return None
    index = _index(form_id)
    keys = _keys(text)
    for lookup in keys:
        if lookup in index.exact:
            return index.exact[lookup]
    bare = keys[1]
    if not fuzzy or not 6 <= len(bare) <= 80 or any(ch.isdigit() or ch == "@" for ch in text):
        return None  # an answer (numbers, addresses), not a misspelt label
    best, best_ratio, rival_ratio = None, 0.0, 0.0
    for candidate, key in index.fuzzy.items():
        if 2 * min(len(bare), len(candidate)) < FUZZY_RATIO * (len(bare) + len(candidate)):
            continue  # lengths too different for the ratio to reach the threshold
        matcher = difflib.SequenceMatcher(None, bare, candidate, autojunk=False)
        if matcher.real_quick_ratio() < FUZZY_RATIO or matcher.quick_ratio() < FUZZY_RATIO:
            continue
        ratio = matcher.ratio()
        if ratio > best_ratio:
            if best is not None and best != key:
                rival_ratio = max(rival_ratio, best_ratio)
            best, best_ratio = key, ratio
        elif key != best:
            rival_ratio = max(rival_ratio, ratio)
    if best is not None and best_ratio >= FUZZY_RATIO and best_ratio - rival_ratio > 0.03:
        return best
    return None


class Matcher:
    """Label matching for one search: exact always, fuzzy for at most MAX_FUZZY texts (bounded time)."""

    def __init__(self, form_id: str) -> None:
        self.form_id = form_id
        self.fuzzy_left = MAX_FUZZY
        self.distinctive: set[str] = set()  # keys found by a label of two words or more

    def find(self, text: str, *, fuzzy: bool = True) -> str | None:
        key = match_label(text, self.form_id, fuzzy=False)
        if key is None and fuzzy and self.fuzzy_left > 0 and len(text) <= MAX_LABEL_CHARS:
            self.fuzzy_left -= 1
            key = match_label(text, self.form_id)
        if key is not None and sum(1 for w in _keys(text)[1].split() if w not in STOP) >= 2:
            self.distinctive.add(key)  # "Code postal" tells a form, "Date" or "E-mail" alone do not
        return key

    def may_start(self, text: str) -> bool:
        """Whether ``text`` may begin with a label (its first word begins one): a cheap test first."""
        words = _keys(text)[0].split()
        return bool(words) and words[0] in _first_words(self.form_id)

    def cell(self, text: str) -> str | None:
        """A cell's label: the whole text, else its first line (a bilingual label has two)."""
        text = text.strip()
        return self.find(text) or (self.find(text.split("\n", 1)[0]) if "\n" in text else None)

    def is_label(self, value: object) -> bool:
        if not isinstance(value, str) or not value.strip():
            return False
        first = value.strip().split("\n", 1)[0]
        return match_label(value.strip(), self.form_id, fuzzy=False) is not None or (
            match_label(first, self.form_id, fuzzy=False) is not None
        )


def is_help(value: object, key: str, spec: FormSpec) -> bool:
    """A help text printed beside the input (the blank official layout), not an answer."""
    if key not in spec.keys or not isinstance(value, str):
        return False
    text = fold(value)
    spec_field = spec.field(key)
    helps = {fold(field_help(spec_field)), fold(spec_field.help), "choisir dans la liste", "oui non"}
    return text in helps or any(h and text.startswith(h) for h in helps if len(h) > 12)


def blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass
class LabelHits:
    """What the search found: values by field key (None when the label is there but not its answer)."""

    form_id: str
    values: dict[str, object] = field(default_factory=dict)
    marker: list[str] = field(default_factory=list)
    distinctive: set[str] = field(default_factory=set)

    @property
    def count(self) -> int:
        return sum(1 for key in self.values if key != "form_id")

    @property
    def score(self) -> tuple[int, int]:
        """Labels of several words found, then labels found: a letter with "Date" and "Tél." is no form."""
        return len(self.distinctive & set(self.values)), self.count


def inline_pair(text: str, matcher: Matcher) -> tuple[str, str] | None:
    """ "Label : value" written in one cell or line (or label and value in two columns): (key, value).

    The rightmost separator with a label on its left wins: "Partenaire : ville : Fribourg" is partner_city.
    """
    for match in reversed(list(re.finditer(r"[:：\t]", text))):
        left = text[: match.start()]
        if "\t" in left:
            continue  # a label sits in one column
        key = matcher.find(left)
        if key is not None:
            return key, text[match.end() :].strip()
    return None


def search_grids(grids: Sequence[Grid], form_id: str) -> LabelHits:
    """Labels in any cell; the value is the next non-empty cell to the right, else the cell below."""
    hits = LabelHits(form_id)
    spec, matcher = FORM_SPECS[form_id], Matcher(form_id)
    for grid in grids:
        consumed: set[tuple[int, int]] = set()
        texts = 0
        for r, row in enumerate(grid):
            for c, cell in enumerate(row):
                if (r, c) in consumed or not isinstance(cell, str) or len(cell) > MAX_CELL_CHARS:
                    continue
                texts += 1
                if texts > MAX_TEXT_CELLS:
                    break  # a sheet of data, not a form: enough of it was looked at
                key, value, where = _cell_hit(grid, (r, c), cell, spec, matcher)
                if key is None or not blank(hits.values.get(key)):
                    continue  # the first answered label wins (a section title may repeat a label)
                if key == "form_id":
                    hits.marker = [str(v).strip() for v in value] if isinstance(value, list) else []
                    continue
                hits.values[key] = value
                if where is not None:
                    consumed.add(where)
    hits.distinctive = matcher.distinctive
    return hits


def _cell_hit(
    grid: Grid, where: tuple[int, int], cell: str, spec: FormSpec, matcher: Matcher
) -> tuple[str | None, object, tuple[int, int] | None]:
    r, c = where
    text = cell.strip()
    key = matcher.cell(text)
    if key is None:
        inline = inline_pair(text, matcher)
        if inline is None:
            return None, None, None
        key, inline_value = inline
        if inline_value and not is_help(inline_value, key, spec):
            return key, inline_value, None
    row = grid[r]
    if key == "form_id":
        return key, [v for v in row[c + 1 : c + 1 + RIGHT_SPAN] if not blank(v)][:2], None
    for k in range(c + 1, min(len(row), c + 1 + RIGHT_SPAN)):
        value = row[k]
        if blank(value) or is_help(value, key, spec):
            continue
        if matcher.is_label(value):
            break
        return key, value, (r, k)
    if r + 1 < len(grid) and c < len(grid[r + 1]):
        below = grid[r + 1][c]
        heading = isinstance(below, str) and HEADING.match(below) is not None
        if not blank(below) and not heading and not matcher.is_label(below) and not is_help(below, key, spec):
            return key, below, (r + 1, c)
    return key, None, None


def best_hits(candidates: Sequence[LabelHits]) -> LabelHits | None:
    """The form whose labels were found most, if at least MIN_LABELS of them have two words or more
    (a letter with "Date", "Tél." and "E-mail" is not a form); ties go to the first candidate."""
    best = max(candidates, key=lambda hits: hits.score, default=None)
    if best is None or best.score[0] < MIN_LABELS:
        return None
    return best
