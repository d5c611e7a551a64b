"""The visible part of a reply: the new text without the quoted message and without the signature.

Quoted text must never be read as an answer or a command (MAIL.md §5), so this errs on the side of
cutting: the first quote header ("Le … a écrit :", "On … wrote:", an Outlook "De : / Envoyé :" block,
"-----Original Message-----", an Outlook underscore line) ends the reply; ">" lines are dropped; a
"-- " line or a "Sent from my iPhone" line starts the signature.
"""

from __future__ import annotations

import re

_VERBS = (
    r"wrote|a [ée]crit|schrieb|escribi[óo]|ha scritto|scrisse|schreef|skrev|napisa[łl]\(a\)|napisa[łl]"
    r"|написал\(а\)|написал|написала|napsal|kirjoitti|escreveu|[íi]rta|yazdı"
)
# "On Mon, 2 Apr 2012, Megan <m@x> wrote:" / "Le 2 avr. 2012 à 18:26, M <m@x> a écrit :" /
# "Am 02.04.2012 um 18:26 schrieb M <m@x>:" / "02.04.2012 14:20 пользователь "m" <m@x> написал:"
_WROTE = re.compile(
    r"^[\s\-*]*(?:on|le|am|el|il|op|den|dne|w dniu|em|p[åa]|kl\.|\d).{0,300}?"
    rf"\b(?:{_VERBS})\b[^:\n]{{0,120}}:\s*$",
    re.IGNORECASE,
)
# A single short line "Marc Slemko wrote:" / "bob@x.org a écrit :".
_WROTE_SHORT = re.compile(rf"^[\s\-*]*[^:\n]{{1,100}}\b(?:{_VERBS})\s*:\s*$", re.IGNORECASE)
_SEPARATOR = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|message d'origine|ursprüngliche nachricht|mensaje original"
    r"|messaggio originale|oorspronkelijk bericht|originalmeddelande|opprinnelig melding|alkuperäinen viesti"
    r"|wiadomość oryginalna|forwarded message|message transféré|message transfere|weitergeleitete nachricht"
    r"|mensaje reenviado|messaggio inoltrato|mail original|mail d'origine|message original)\s*-{2,}.*"
    r"|-{3,}\s*(?:forwarded by|transf[ée]r[ée] par|weitergeleitet von|inoltrato da)\b.*"
    r"|_{10,}|begin forwarded message:|début du message réexpédié\s*:|anfang der weitergeleiteten nachricht:)\s*$",
    re.IGNORECASE,
)
# Lotus Notes: "Jean Dupont/ACAD wrote on 03/11/2026 10:12:", "-----"J" <j@x> a écrit : -----".
_LOTUS_WROTE = re.compile(
    rf"^-*\s*\S.{{0,200}}?\b(?:wrote on|a [ée]crit sur|schrieb am)\b.{{0,60}}:\s*$"
    rf"|^-{{3,}}.{{1,200}}\b(?:{_VERBS})\s*:\s*-{{3,}}\s*$",
    re.IGNORECASE,
)
# Lotus Notes' column header: a name, "03/11/2026 10:12", then "To" / "cc" / "Subject" on lines of their own.
_LOTUS_DATE = re.compile(
    r"^\s*\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\s+\d{1,2}[:.]\d{2}(?::\d{2})?(?:\s*[AP]M)?(?:\s{3,}\S.*)?$",
    re.IGNORECASE,
)
_LOTUS_FIELD = re.compile(r"^(?:.*\s{3,})?(?:to|an|[àa]|cc|subject|objet|betreff)\s*:?\s*$", re.IGNORECASE)
_HEADER_FROM = re.compile(r"^\s*\*?(?:from|de|von|van|da|od|fra|fr[åa]n|от)\s*:\s*\*?\s*\S", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^\s*\*?(?:sent|date|envoy[ée]|gesendet|datum|verzonden|enviado(?: el)?|inviato|wys[łl]ano|sendt|skickat"
    r"|to|[àa]|an|aan|para|subject|objet|betreff|onderwerp|asunto|oggetto|cc)\s*:",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(
    r"^(?:--\s*|sent from my \w.*|envoy[ée] (?:de|depuis) mon \w.*|von meinem \w.*gesendet.*"
    r"|gesendet von meinem \w.*|get outlook for \w.*|obtenir outlook pour \w.*)$",
    re.IGNORECASE,
)
_WINDOW = 3  # a "wrote:" header may be wrapped over up to three lines


def visible_reply(text: str) -> str:
    """The reply's own text: quotes, quote headers and signature removed; stripped."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    found = _quote_header(lines)
    if found is None:
        visible = _unquoted(lines)
    else:
        start, span, wrote = found
        visible = _unquoted(lines[:start])
        if wrote and not "".join(visible).strip():
            # Bottom-posting (Thunderbird, some mailing habits): the answer follows the quote.
            after = lines[start + span :]
            nxt = _quote_header(after)
            visible = _unquoted(after[: nxt[0]] if nxt else after)
    return "\n".join(_before_signature(visible)).strip()


def _quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _unquoted(lines: list[str]) -> list[str]:
    return [line.rstrip() for line in lines if not _quoted(line)]


def _before_signature(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        if line.strip() and _SIGNATURE.match(line.strip()):
            return lines[:i]
    return lines


def _quote_header(lines: list[str]) -> tuple[int, int, bool] | None:
    """(first line, number of lines, is a "wrote:" header) of the first quote header, or None."""
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or _quoted(line):
            continue
        if _SEPARATOR.match(stripped):
            return i, 1, False
        if _HEADER_FROM.match(stripped) and _outlook_block(lines, i):
            return i, 1, False
        if len(stripped) <= 120 and _WROTE_SHORT.match(stripped):
            return i, 1, True
        if len(stripped) <= 300 and _LOTUS_WROTE.match(stripped):
            return i, 1, True
        if _LOTUS_DATE.match(line) and (start := _lotus_block(lines, i)) is not None:
            return start, i - start + 1, False
        window = stripped
        for span in range(1, _WINDOW + 1):
            if span > 1:
                nxt = lines[i + span - 1] if i + span - 1 < len(lines) else ""
                if not nxt.strip() or _quoted(nxt):
                    break
                window += " " + nxt.strip()
            if len(window) <= 400 and _WROTE.match(window):
                return i, span, True
    return None


def _outlook_block(lines: list[str], i: int) -> bool:
    """A "From:" line followed within a few lines by "Sent:"/"To:"/"Subject:" (any language)."""
    following = [line for line in lines[i + 1 : i + 6] if line.strip()]
    return sum(1 for line in following[:4] if _HEADER_NEXT.match(line)) >= 2


def _lotus_block(lines: list[str], i: int) -> int | None:
    """Where a Lotus Notes header starts (the sender's lines above the date), if field names ("To",
    "cc", "Subject", "Objet") stand at the end of lines around it; None otherwise."""
    fields = [line for line in lines[max(0, i - 4) : i + 14] if _LOTUS_FIELD.match(line)]
    if len(fields) < 2 or not any(re.search(r"(?i)(?:subject|objet|betreff)\s*:?\s*$", f) for f in fields):
        return None
    start = i
    while start > 0 and i - start < 4 and lines[start - 1].strip():
        start -= 1
    return start
