"""The demo's incoming mail, written as each party would: real RFC 5322 messages with real attachments."""

from __future__ import annotations

from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from mailflow.domain.message import OutboundEmail

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")

SCHOOL = "ce.0670080y@ac-strasbourg.fr"
SECOND_SCHOOL = "ce.0671236e@ac-strasbourg.fr"
EMBASSY_BW = "partnerschaften@km-bw.example"
RECTOR = "cabinet.recteur@ac-strasbourg.fr"
TRUSTED = "mx.ac-strasbourg.fr"


def request_values(today: date) -> dict[str, object]:
    """Lycée Kléber asks for a partner school in Baden-Württemberg (a valid, complete form)."""
    return {
        "school_name": "Lycée Kléber",
        "uai": "0670080y",
        "school_type": "Lycée général et technologique",
        "school_status": "public",
        "address": "25 place de Bordeaux",
        "postal_code": "67082",
        "city": "Strasbourg",
        "school_email": "ce.0670080Y@ac-strasbourg.fr",
        "phone": "03.88.14.33.00",
        "head_name": "Mme Claire Martin",
        "teacher_name": "M. Paul Weber",
        "teacher_email": "paul.weber@ac-strasbourg.fr",
        "teacher_subject": "Allemand",
        "languages_taught": "allemand, anglais, espagnol",
        "target_country": "Allemagne",
        "target_region": "Bade-Wurtemberg (Freiburg)",
        "partner_school_type": "Gymnasium",
        "pupils_level": "Seconde (section européenne allemand)",
        "pupils_count": "24 élèves",
        "project_theme": "Le Rhin, frontière et trait d'union : projet d'histoire et de sciences autour du fleuve",
        "working_languages": "allemand, français",
        "mobility_type": "virtuelle",
        "mobility_period": "",
        "existing_partner": "non",
        "etwinning_registered": "oui",
        "etwinning_school_label": "non",
        "erasmus_accreditation": "oui",
        "other_framework": "OFAJ",
        "signed_on": today.strftime("%d/%m/%Y"),
        "signatory": "Claire Martin, proviseure",
    }


def incomplete_values(today: date) -> dict[str, object]:
    """A collège whose head typed the UAI wrong and left several fields empty."""
    return {
        "school_name": "Collège Jean Monnet",
        "uai": "0740003A",
        "school_type": "collège",
        "school_status": "public",
        "address": "3 rue de l'Europe",
        "postal_code": "6700",
        "city": "Haguenau",
        "school_email": "ce.0671236E@ac-strasbourg",
        "phone": "03 88 00 00 00",
        "head_name": "M. Luc Bernard",
        "teacher_name": "",
        "teacher_email": "",
        "languages_taught": "anglais, allemand",
        "target_country": "Italie",
        "partner_school_type": "scuola media",
        "pupils_level": "4e",
        "pupils_count": "",
        "project_theme": "Échanges autour de la Renaissance",
        "mobility_type": "physique",
        "existing_partner": "non",
        "signed_on": today.strftime("%d/%m/%Y"),
        "signatory": "Luc Bernard, principal",
    }


def partner_values() -> dict[str, object]:
    return {
        "partner_name": "Goethe-Gymnasium Freiburg",
        "partner_school_type": "Gymnasium",
        "partner_address": "Lessingstraße 12",
        "partner_city": "Freiburg im Breisgau",
        "partner_country": "Deutschland",
        "partner_head_name": "Dr. Andrea Vogel",
        "partner_email": "sekretariat@goethe-gymnasium-freiburg.example",
        "partner_languages": "Französisch, Englisch",
        "guarantees_checked": "oui",
        "remarks": "Établissement déjà engagé dans des échanges avec l'Alsace.",
    }


def _base(sender: str, sender_name: str, to: str, subject: str, at: datetime, domain: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"{sender_name} <{sender}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(at)
    msg["Message-ID"] = make_msgid(domain=domain)
    return msg


def _reply_to(msg: EmailMessage, original: OutboundEmail, prefix: str) -> None:
    msg.replace_header("Subject", f"{prefix} {original.subject}")
    msg["In-Reply-To"] = original.message_id
    msg["References"] = " ".join((*original.references, original.message_id))


def _quote(original: OutboundEmail, header: str) -> str:
    return header + "\n" + "\n".join("> " + line for line in original.text.splitlines()[:25])


def school_request(
    form: bytes, at: datetime, dareic: str, sender: str = SCHOOL, name: str = "Lycée Kléber - Direction"
) -> bytes:
    msg = _base(
        sender, name, dareic, "Demande d'appariement avec un établissement partenaire", at, "ac-strasbourg.fr"
    )
    msg.set_content(
        "Madame, Monsieur,\n\nVeuillez trouver ci-joint notre demande d'appariement, dans le cadre de notre "
        "projet d'échanges.\n\nBien cordialement,\n\nLa direction\n"
    )
    msg.add_attachment(form, *XLSX, filename="Demande appariement.xlsx")
    return bytes(msg)


def incomplete_request(form: bytes, at: datetime, dareic: str) -> bytes:
    msg = _base(
        SECOND_SCHOOL, "Collège Jean Monnet", dareic, "demande appariement italie", at, "ac-strasbourg.fr"
    )
    msg.set_content("Bonjour,\n\nci-joint notre demande.\n\nLuc Bernard\n")
    msg.add_attachment(form, *XLSX, filename="demande-appariement.xlsx")
    return bytes(msg)


def embassy_out_of_office(request: OutboundEmail, at: datetime) -> bytes:
    msg = _base(EMBASSY_BW, "Referat Internationales", request.to_addrs[0], "", at, "km-bw.example")
    _reply_to(msg, request, "Abwesenheitsnotiz:")
    msg["Auto-Submitted"] = "auto-replied"
    msg.set_content(
        "Ich bin bis einschließlich 04.12. nicht im Büro. Ihre Nachricht wird nicht weitergeleitet.\n"
    )
    return bytes(msg)


def embassy_partner(request: OutboundEmail, sheet: bytes, at: datetime) -> bytes:
    msg = _base(EMBASSY_BW, "Referat Internationales", request.from_addr, "", at, "km-bw.example")
    _reply_to(msg, request, "AW:")
    msg.set_content(
        "Sehr geehrte Damen und Herren,\nMadame, Monsieur,\n\nnous avons le plaisir de vous proposer le "
        "Goethe-Gymnasium de Fribourg-en-Brisgau, dont nous avons vérifié les garanties. Vous trouverez la fiche "
        "partenaire remplie en pièce jointe.\n\nMit freundlichen Grüßen\nReferat Internationales\n\n"
        + _quote(request, f"Am {request.date:%d.%m.%Y} schrieb {request.from_addr}:")
    )
    msg.add_attachment(sheet, *XLSX, filename="fiche-partenaire-goethe-gymnasium.xlsx")
    return bytes(msg)


def school_accepts(proposal: OutboundEmail, at: datetime) -> bytes:
    msg = _base(SCHOOL, "Lycée Kléber - Direction", proposal.from_addr, "", at, "ac-strasbourg.fr")
    _reply_to(msg, proposal, "RE:")
    msg.set_content(
        "Oui, nous acceptons ce partenariat avec plaisir.\n\nL'équipe pédagogique est ravie.\n\nClaire Martin\n\n"
        + _quote(proposal, f"Le {proposal.date:%d/%m/%Y à %H:%M}, {proposal.from_addr} a écrit :")
    )
    return bytes(msg)


def rector_validates(request: OutboundEmail, at: datetime) -> bytes:
    msg = _base(RECTOR, "Cabinet du recteur", request.from_addr, "", at, "ac-strasbourg.fr")
    _reply_to(msg, request, "RE:")
    # Our own mail server vouches for the sender (MAIL.md §5): only then is a command accepted.
    msg["Authentication-Results"] = (
        f"{TRUSTED}; dkim=pass header.d=ac-strasbourg.fr; dmarc=pass header.from=ac-strasbourg.fr"
    )
    msg.set_content(
        "/valider\n\nBon pour validation.\nLe chef de cabinet\n\n" + _quote(request, "De : Dareic")
    )
    return bytes(msg)


def newsletter(at: datetime, dareic: str) -> bytes:
    msg = _base(
        "lettre@education.example",
        "Lettre d'information",
        dareic,
        "La lettre Europe de novembre",
        at,
        "education.example",
    )
    msg["List-Id"] = "<europe.education.example>"
    msg["List-Unsubscribe"] = "<mailto:unsubscribe@education.example>"
    msg.set_content("Au sommaire ce mois-ci : les nouveaux appels à projets Erasmus+.\n")
    return bytes(msg)


def numbered_request(i: int, when: datetime, dareic: str = "ce.dareic@ac-strasbourg.fr") -> tuple[str, bytes]:
    """A request from the i-th of many schools (own valid UAI, own Message-ID): each opens its own case."""
    from mailflow.adapters.formbuild import build_request_form, fill_form
    from mailflow.domain.uai import check_letter

    digits = f"067{1000 + i:04d}"
    values = request_values(when.date()) | {
        "uai": digits + check_letter(digits),
        "school_name": f"Collège n° {i}",
    }
    msg = _base(
        f"ce.{digits}{check_letter(digits).lower()}@ac-strasbourg.fr",
        f"Collège n° {i}",
        dareic,
        "Demande d'appariement",
        when,
        "bench.example",
    )
    msg.set_content("Veuillez trouver notre demande ci-jointe.\n")
    msg.add_attachment(fill_form(build_request_form(), values), *XLSX, filename="demande-appariement.xlsx")
    return str(msg["Message-ID"]), bytes(msg)


THIRD_SCHOOL = "ce.0672134f@ac-strasbourg.fr"
EMBASSY_ES = "scac.madrid@ambafrance-es.example"
STAFF = "dareic.agent@ac-strasbourg.fr"


def corrected_values(today: date) -> dict[str, object]:
    """The collège's form, corrected after our reply."""
    return incomplete_values(today) | {
        "uai": "0671236E",
        "postal_code": "67500",
        "school_email": "ce.0671236e@ac-strasbourg.fr",
        "teacher_name": "Mme Sofia Rossi",
        "teacher_email": "sofia.rossi@ac-strasbourg.fr",
        "pupils_count": "26",
        "mobility_period": "avril 2027",
    }


def known_partner_values(today: date) -> dict[str, object]:
    """A lycée that already knows its partner school in Spain (the existing-partner branch)."""
    return request_values(today) | {
        "school_name": "Lycée Marie Curie",
        "uai": "0672134F",
        "school_email": "ce.0672134f@ac-strasbourg.fr",
        "address": "7 rue de Leicester",
        "postal_code": "67000",
        "head_name": "M. Karim Haddad",
        "teacher_name": "Mme Lucía Fernández",
        "teacher_email": "lucia.fernandez@ac-strasbourg.fr",
        "teacher_subject": "Espagnol",
        "target_country": "Espagne",
        "target_region": "Valence",
        "partner_school_type": "Instituto de educación secundaria",
        "existing_partner": "oui",
        "partner_name": "IES Lluís Vives",
        "partner_city": "Valencia",
        "partner_email": "direccion@ieslv.example",
        "partner_head_name": "D.ª Carmen Soler",
        "project_theme": "Les villes méditerranéennes et l'eau",
        "signatory": "Karim Haddad, proviseur",
    }


def reply(
    sender: str,
    name: str,
    original: OutboundEmail,
    body: str,
    at: datetime,
    *,
    prefix: str = "RE:",
    authenticated: bool = False,
    attachment: tuple[bytes, str] | None = None,
) -> bytes:
    """A reply written in a mail client: quotes the original, keeps its subject and thread."""
    msg = _base(sender, name, original.from_addr, "", at, sender.rpartition("@")[2])
    _reply_to(msg, original, prefix)
    if authenticated:
        msg["Authentication-Results"] = f"{TRUSTED}; dkim=pass header.d=ac-strasbourg.fr; dmarc=pass"
    msg.set_content(
        body + "\n\n" + _quote(original, f"Le {original.date:%d/%m/%Y à %H:%M}, Dareic a écrit :")
    )
    if attachment:
        msg.add_attachment(attachment[0], *XLSX, filename=attachment[1])
    return bytes(msg)
