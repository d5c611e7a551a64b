"""Public holidays from the `holidays` package: Alsace (France, subdivision 6AE) by default."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays as holidays_lib


@lru_cache(maxsize=64)
def _holidays(country: str, subdiv: str | None, year: int) -> frozenset[date]:
    try:
        return frozenset(holidays_lib.country_holidays(country, subdiv=subdiv, years=year).keys())
    except NotImplementedError:  # a country the package does not know: weekends only
        return frozenset()


class HolidaysCalendar:
    """Implements HolidayCalendar; France defaults to Alsace (Good Friday and 26 December included)."""

    def holidays_between(
        self, start: date, end: date, country: str = "FR", subdiv: str | None = None
    ) -> frozenset[date]:
        if country == "FR" and subdiv is None:
            subdiv = "6AE"
        days: set[date] = set()
        for year in range(start.year, end.year + 1):
            days |= _holidays(country, subdiv, year)
        return frozenset(d for d in days if start <= d <= end)
