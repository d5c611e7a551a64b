"""Working days (jours ouvrés): weekends and the given public holidays excluded; due dates."""

from __future__ import annotations

from collections.abc import Container
from datetime import date, timedelta


def is_working_day(day: date, holidays: Container[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: date, days: int, holidays: Container[date]) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself is not counted)."""
    if days < 0:
        raise ValueError("days must be >= 0")
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current, holidays):
            remaining -= 1
    return current


def next_working_day(day: date, holidays: Container[date]) -> date:
    """``day`` itself when it is a working day, else the next one."""
    while not is_working_day(day, holidays):
        day += timedelta(days=1)
    return day


def working_days_between(start: date, end: date, holidays: Container[date]) -> int:
    """How many working days lie after ``start`` up to and including ``end`` (0 when end <= start)."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current, holidays):
            count += 1
    return count


FRENCH_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
FRENCH_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def french_date(day: date, weekday: bool = False) -> str:
    """``7 décembre 2026`` (``lundi 7 décembre 2026`` with weekday); the 1st is written ``1er``."""
    number = "1er" if day.day == 1 else str(day.day)
    text = f"{number} {FRENCH_MONTHS[day.month - 1]} {day.year}"
    return f"{FRENCH_DAYS[day.weekday()]} {text}" if weekday else text


def school_year_start(day: date) -> date:
    """1 September of the school year ``day`` belongs to (a re-sent form merges within one school year)."""
    return date(day.year if day.month >= 9 else day.year - 1, 9, 1)
