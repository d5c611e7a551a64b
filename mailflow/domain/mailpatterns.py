"""Localised subject and text patterns of machine-generated mail (MAIL.md §3), kept apart from the rules."""

from __future__ import annotations

import re

# Reply/forward prefixes and tags a subject may carry before the phrase that matters.
_LEAD = r"^\s*(?:(?:re|r[ée]f|aw|sv|vs|fw|fwd|tr|wg|rv|odp)\s*:\s*|\[[^\]]{0,40}\]\s*)*[\[(]?\s*"

AUTOREPLY_PHRASES = (
    # French
    r"r[ée]ponse automatique", r"r[ée]ponse auto\b", r"r[ée]pondeur", r"absent(?:e)? du bureau",
    r"absence du bureau", r"message d'absence", r"notification d'absence", r"avis d'absence",
    # English
    r"automatic reply", r"auto[- ]?reply", r"automatic response", r"auto[- ]?respon[sd]", r"autorespons",
    r"out of (?:the )?office", r"auto\s*:", r"vacation (?:reply|message|notice)", r"on vacation",
    r"away from (?:the |my )?office",
    # German
    r"automatische antwort", r"autom\. antwort", r"abwesenheitsnotiz", r"abwesenheitsnachricht", r"abwesend\s*:",
    # Spanish, Portuguese
    r"respuesta autom[áa]tica", r"fuera de (?:la )?oficina", r"ausente de la oficina",
    r"resposta autom[áa]tica", r"fora do escrit[óo]rio", r"aus[êe]ncia tempor[áa]ria",
    # Italian
    r"risposta automatica", r"fuori (?:ufficio|sede)",
    # Dutch
    r"automatisch antwoord", r"afwezig", r"niet aanwezig", r"afwezigheidsbericht",
    # Nordic
    r"autosvar", r"automatisk(?:t)? svar", r"fr[åa]nvaro", r"frav[æe]r(?:ende)?", r"automaattinen vastaus",
    r"poissa", r"sj[áa]lfvirkt svar",
    # Polish, Czech, Hungarian, Russian
    r"automatyczna odpowied[źz]", r"autoodpowied[źz]", r"nieobecno[śs][ćc]", r"automatick[áa] odpov[ěe]d",
    r"automatikus v[áa]lasz", r"автоматический ответ",
)  # fmt: skip
AUTOREPLY_SUBJECT = re.compile(_LEAD + r"(?:" + "|".join(AUTOREPLY_PHRASES) + r")", re.IGNORECASE)
# Phrases that betray an auto-reply anywhere in the subject (Lotus, AOL).
AUTOREPLY_SUBJECT_ANYWHERE = re.compile(
    r"\bis out of (?:the )?office\b|\((?:automatic|auto) ?(?:response|reply)\)|\bist abwesend\b"
    r"|\best absente? du bureau\b",
    re.IGNORECASE,
)

BOUNCE_PHRASES = (
    r"undeliverable", r"undelivered mail", r"undeliverable mail", r"non remis", r"non distribu[ée]",
    r"impossible de remettre", r"[ée]chec de (?:la )?(?:remise|distribution)", r"unzustellbar",
    r"nicht zustellbar", r"delivery status notification \((?:failure|delay)\)", r"delivery failure",
    r"delivery has failed", r"delivery notification: delivery has failed", r"mail delivery failed",
    r"mail delivery failure", r"returned mail", r"failure notice", r"message not delivered",
    r"delivery failed", r"could not send message", r"mail system error", r"nondeliverable mail",
    r"non[- ]?delivery", r"undeliverable message", r"message delivery failure", r"delivery report",
    r"warning: could not send", r"mail could not be delivered", r"unable to deliver",
    r"non recapitabile", r"mancato recapito", r"no se puede entregar", r"no entregado",
    r"onbestelbaar", r"kan niet worden bezorgd", r"olevererbart", r"kan ikke leveres",
    r"niedostarczalna", r"returned to sender", r"delayed mail", r"delivery delayed",
    r"mail delivery (?:problem|error)", r"delivery problem", r"message delivery (?:problem|error)",
    r"メールエラー", r"配信エラー", r"不達", r"退信", r"系统退信", r"전송 ?실패",
    r"remise impossible", r"message non remis", r"[ée]chec de l'envoi", r"remise (?:diff[ée]r[ée]e|retard[ée]e)",
    r"notification d'[ée]tat de (?:la )?(?:remise|distribution)", r"zustellung fehlgeschlagen",
    r"unzustellbare nachricht", r"benachrichtigung zum übermittlungsstatus", r"zustellung verz[öo]gert",
)  # fmt: skip
BOUNCE_SUBJECT = re.compile(_LEAD + r"(?:" + "|".join(BOUNCE_PHRASES) + r")", re.IGNORECASE)
DELAY_SUBJECT = re.compile(
    r"\(delay\)|\(verz[öo]gerung\)|\(retard\)|delayed|warning: could not send|delivery delayed"
    r"|still being retried|verz[öo]gert|retard|diff[ée]r[ée]e",
    re.IGNORECASE,
)


def delay_subject(subject: str) -> bool:
    """A delay warning's subject ("Delivery Status Notification (Delay)", "Remise retardée : …").
    Only the notice's own words count, not the original subject quoted after the first colon."""
    hit = BOUNCE_SUBJECT.search(subject)
    colon = subject.find(":")
    end = max(hit.end() if hit else 0, colon if colon >= 0 else len(subject))
    return bool(DELAY_SUBJECT.search(subject[:end]))


# Senders that are the mail system itself.
DAEMON_LOCALPARTS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "maildaemon", "mailerdaemon"})
DAEMON_NAMES = re.compile(r"mail delivery (?:subsystem|system|service)|mailer[- ]daemon", re.IGNORECASE)

# Challenge/response sender verification (an auto-reply, not a bounce).
CHALLENGE_TEXT = re.compile(
    r"add (?:yourself|your (?:e-?mail )?address) to (?:my|the recipient'?s?) (?:\w+ )?(?:guest|allowed|approved"
    r"|white|safe) ?list|sender not pre-approved|sender verification|verify (?:that )?you are (?:a )?(?:human|real)"
    r"|challenge[- ]response|protected by bluebottle|have your address added to the recipient",
    re.IGNORECASE,
)
