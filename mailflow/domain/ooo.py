"""Out-of-office notices: until when the person is away, and whom to write to meanwhile (MAIL.md §3).

Pure: text in, values out. ``return_date`` reads French, English and German phrasings ("de retour le
12/09", "absente du 2 au 13 décembre inclus", "back on 12 September", "bis einschließlich 14.03.",
"ab dem 5. Januar wieder erreichbar"). The date is the one the notice names as the end of the absence
or as the return, as written: a caller moves reminders to *after* it, which is right for both readings.
Dates without a year are the next such date on or after ``reference`` (the day of the message's Date).
Numeric dates are read day first (12/09 is 12 September) unless only the month-first reading is valid,
or only it is not in the past.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date, timedelta

from mailflow.domain.ooo_words import (
    DATE,
    END_TRIGGER,
    FILLER,
    MONTHS,
    POST_TRIGGER,
    RELATIVE,
    SUBSTITUTE_CUE,
    WEEKDAYS,
)

_DATE = re.compile(DATE, re.IGNORECASE)
_BEFORE = re.compile(rf"(?:{END_TRIGGER}){FILLER}$", re.IGNORECASE)
_AFTER = re.compile(rf"^[^.\n\d]{{0,40}}?(?:{POST_TRIGGER})", re.IGNORECASE)
_RANGE_START = re.compile(r"(?<!\w)(?:vom|du|from|between|entre(?: le)?)\s*$", re.IGNORECASE)
_CUE = re.compile(SUBSTITUTE_CUE, re.IGNORECASE)
_ADDRESS = re.compile(r"[A-Za-z0-9._%+'-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+")
_NO_REPLY = re.compile(r"^(?:no-?reply|do-?not-?reply|mailer-daemon|postmaster)@", re.IGNORECASE)
_WINDOW = 90  # characters before a date searched for its trigger
_CUE_REACH = 250  # characters after a cue searched for the substitute's address
_TEXT_LIMIT = 4000
_TOLERANCE = timedelta(days=1)


def return_date(texts: Iterable[str], reference: date | None) -> date | None:
    """The first end-of-absence date named in ``texts`` (give the subject first, then the body).

    Without ``reference`` only dates that carry their year are read. A date more than a day before
    the reference (a stale template, a quoted old date) is passed over.
    """
    for text in texts:
        for found in _candidates(_normalise(text[:_TEXT_LIMIT]), reference):
            if reference is None or found >= reference - _TOLERANCE:
                return found
    return None


def substitute_address(text: str, exclude: Iterable[str] = ()) -> str | None:
    """The address offered instead ("en cas d'urgence, contactez …", "please contact …", "wenden Sie
    sich bitte an …"): the first address shortly after such a cue, not one of ``exclude``."""
    own = {a.lower() for a in exclude}
    text = _normalise(text[:_TEXT_LIMIT])
    for cue in _CUE.finditer(text):
        for m in _ADDRESS.finditer(text, cue.end(), cue.end() + _CUE_REACH):
            addr = m.group(0).strip(".'").lower()
            if addr not in own and not _NO_REPLY.match(addr):
                return addr
    return None


def _normalise(text: str) -> str:
    return text.replace("\u2019", "'").replace("\xa0", " ").replace("\u202f", " ")


def _candidates(text: str, reference: date | None) -> Iterator[date]:
    """Dates introduced by a trigger ("jusqu'au", "back on", "bis"), or followed by "wieder"."""
    for m in _DATE.finditer(text):
        before = text[max(0, m.start() - _WINDOW) : m.start()]
        after = text[m.end() : m.end() + 60]
        triggered = bool(m.group("r1") or m.group("r2") or _BEFORE.search(before)) or (
            bool(_AFTER.match(after)) and not _RANGE_START.search(before)
        )
        if triggered and (found := _resolve(m, reference)) is not None:
            yield found


def _resolve(m: re.Match[str], reference: date | None) -> date | None:
    g = m.group
    if g("rel"):
        return reference + timedelta(days=RELATIVE[g("rel").lower()]) if reference else None
    if g("wd_only"):
        return _next_weekday(WEEKDAYS[g("wd_only").lower().rstrip(".")], reference)
    if g("iy"):
        return _make(int(g("iy")), int(g("im")), int(g("id")))
    if g("nd"):
        return _numeric(int(g("nd")), int(g("nm")), _year(g("y")), reference)
    day, month_text = (g("d"), g("m")) if g("d") else (g("d2"), g("m2"))
    month = MONTHS.get(month_text.lower().rstrip("."))
    if month is None:
        return None
    return _with_year(_year(g("y2") or g("y3")), month, int(day), reference)


def _numeric(first: int, second: int, year: int | None, reference: date | None) -> date | None:
    day_first = _with_year(year, second, first, reference)
    month_first = _with_year(year, first, second, reference) if first != second else None
    if day_first is None:
        return month_first
    if reference and day_first < reference - _TOLERANCE and month_first and month_first >= reference:
        return month_first
    return day_first


def _year(text: str | None) -> int | None:
    if not text:
        return None
    value = int(text)
    return value + 2000 if value < 100 else value


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _with_year(year: int | None, month: int, day: int, reference: date | None) -> date | None:
    if year is not None:
        return _make(year, month, day)
    if reference is None:
        return None
    for candidate in range(reference.year, reference.year + 5):  # 29 February may be years away
        found = _make(candidate, month, day)
        if found is not None and found >= reference:
            return found
    return None


def _next_weekday(weekday: int, reference: date | None) -> date | None:
    """ "until Friday": the next Friday after the reference day (a week later if it is a Friday)."""
    if reference is None:
        return None
    return reference + timedelta(days=(weekday - reference.weekday() - 1) % 7 + 1)
