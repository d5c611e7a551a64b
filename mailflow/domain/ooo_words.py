"""The words of out-of-office notices in French, English and German (month and day names, the phrases
that introduce a return date or a substitute), kept apart from the rules in ``ooo.py``."""

from __future__ import annotations

import re
from collections.abc import Iterable

MONTHS: dict[str, int] = {
    # French
    "janvier": 1, "janv": 1, "février": 2, "fevrier": 2, "févr": 2, "fevr": 2, "fév": 2, "fev": 2,
    "mars": 3, "avril": 4, "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "août": 8, "aout": 8,
    "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12, "decembre": 12, "déc": 12,
    # English
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
    # German
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "maerz": 3, "mär": 3, "mrz": 3, "juni": 6,
    "juli": 7, "oktober": 10, "okt": 10, "dezember": 12, "dez": 12,
}  # fmt: skip

WEEKDAYS: dict[str, int] = {
    "lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5, "dimanche": 6,
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
    "montag": 0, "dienstag": 1, "mittwoch": 2, "donnerstag": 3, "freitag": 4, "samstag": 5, "sonntag": 6,
}  # fmt: skip

RELATIVE: dict[str, int] = {"demain": 1, "tomorrow": 1, "après-demain": 2, "übermorgen": 2}


def _alternatives(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_MONTH = rf"(?:{_alternatives(MONTHS)})\.?"
_WEEKDAY = rf"(?:{_alternatives(WEEKDAYS)})\.?"
_YEAR = r"\d{4}"
# One date, in any of the forms below; the named groups say which form matched. A day range
# ("July 10-31", "2-13 décembre") is one match whose end day is the date (r1/r2 hold the start).
DATE = (
    r"(?<![\w/.-])(?:"
    r"(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})(?![\d/])"
    r"|(?P<nd>\d{1,2})[./](?P<nm>\d{1,2})(?:[./](?P<y>\d{4}|\d{2})(?![\d/.]\d)|\.?)(?![\d/]|\.\d|\s*(?:uhr|h)\b)"
    rf"|(?:{_WEEKDAY},?\s+(?:the\s+|den\s+|le\s+)?)?(?P<r1>\d{{1,2}}(?:er|st|nd|rd|th|\.)?\s*[-–]\s*)?"
    r"(?P<d>\d{1,2})(?:er|re|st|nd|rd|th|\.)?\s+(?:of\s+)?"
    rf"(?P<m>{_MONTH})(?:,?\s+(?P<y2>{_YEAR}))?"
    rf"|(?:{_WEEKDAY},?\s+)?(?P<m2>{_MONTH})\s+(?:the\s+)?(?P<r2>\d{{1,2}}(?:st|nd|rd|th)?\s*[-–]\s*)?"
    rf"(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y3>{_YEAR}))?"
    rf"|(?P<wd_only>{_WEEKDAY})"
    rf"|(?P<rel>{_alternatives(RELATIVE)})"
    r")(?!\w)"
)

# What may stand between a trigger and its date: "de retour [au bureau] [le]", "bis [einschließlich]".
_FILL_WORDS = (
    "le", "la", "les", "du", "au", "à", "a", "partir", "compter", "dès", "des", "vers", "prévu", "prevu",
    "bureau", "poste", "travail", "inclus", "incluse", "the", "on", "in", "at", "to", "from", "of", "office",
    "my", "desk", "work", "and", "including", "am", "dem", "den", "der", "zum", "zur", "im", "büro",
    "buero", "einschließlich", "einschliesslich", "inklusive", "inkl", "voraussichtlich", "wieder", "ab",
    "disponible", "joignable", "présent", "présente", "available", "erreichbar", "da",
)  # fmt: skip
FILLER = rf"(?:[\s,:]+(?:{_alternatives(_FILL_WORDS)})\.?(?!\w))*[\s,:]*"

# Phrases that end right before the date the absence ends or the person is back.
END_TRIGGER = (
    r"(?<!\w)(?:"
    # French
    r"de retour|retour|retournerai|rentrerai|rentre|reviendrai|reprendrai|reprise|de nouveau|à nouveau"
    r"|jusqu'(?:au|à|a|aux)"
    # English
    r"|back|returning|return|returns|until|till|til|through|thru|again"
    # German
    r"|bis|zurück|zurueck|wieder"
    # ranges: "du 2 au 13 décembre", "from 2 to 13 December", "vom 2. bis 13. Dezember", "July 10-31"
    r"|(?:du|entre le|from|between|vom)\s+[^\n;]{1,30}?\s(?:au|et le|to|and|bis|-|–)"
    r")"
)
# A date followed by one of these is a return date too: "ab dem 5. Januar wieder erreichbar".
POST_TRIGGER = r"\bwieder\b|\bzurück\b|\bje serai de retour\b|\bde retour\b"

# Cues that the next address is whom to write to meanwhile.
SUBSTITUTE_CUE = (
    r"(?<!\w)(?:"
    r"en cas d'urgence|pour toute urgence|urgence|contacte[rz]?|contactant|joindre|adresse[rz]-vous"
    r"|vous adresser|s'adresser|[ée]crire [àa]|[ée]crivez [àa]|remplac[ée]e? par|coll[èe]gue|suppl[ée]ant"
    r"|contact|please (?:e-?mail|write to|resend|forward|reach|get in touch)|urgent|colleague"
    r"|in my absence|in the meantime"
    r"|wenden sie sich|kontaktieren|kontakt|vertretung|vertreten|dringend|schreiben sie|kollegin|kollegen"
    r")"
)
