"""The French (and English) texts printed on the blank forms, shared by the xlsx and the PDF builders."""

from __future__ import annotations

from mailflow.domain.countries import COUNTRIES, fold
from mailflow.domain.formschema import CONDITIONS, FieldSpec, Requirement

DAREIC_ADDRESS = "ce.dareic@ac-strasbourg.fr"
ACADEMY = "ACADÉMIE DE STRASBOURG"
DAREIC = "Délégation académique aux relations européennes et internationales et à la coopération (Dareic)"
MARKER_LABEL = "Référence du formulaire (ne pas modifier)"
REQUEST_SECTIONS = {
    "Établissement": "1. Établissement",
    "Contact": "2. Professeur référent",
    "Projet": "3. Projet",
    "Partenaire": "4. Partenaire",
    "Dispositifs": "5. Dispositifs",
    "Signature": "6. Signature",
}
PARTNER_SECTIONS = {
    "Partenaire": "1. Établissement partenaire / Partner school",
    "Avis": "2. Avis / Opinion",
}
LEGEND = (
    "* champ obligatoire ; (*) obligatoire selon les réponses (mobilité physique, partenaire déjà identifié)"
)
LEGEND_BILINGUAL = "* champ obligatoire / required field"


def mark(field: FieldSpec) -> str:
    """ " *" for a required field, " (*)" for one required depending on other answers."""
    if field.requirement is Requirement.REQUIRED:
        return " *"
    if field.requirement in CONDITIONS:
        return " (*)"
    return ""


def country_names() -> list[str]:
    """French names of the countries a partner may be in (not France), in French alphabetical order."""
    return sorted((c.name_fr for c in COUNTRIES if c.code != "FR"), key=fold)


def request_intro(address: str, *, pdf: bool) -> str:
    if pdf:
        return (
            f"Remplissez les champs à l'écran, enregistrez le PDF puis envoyez-le par courriel à {address}.\n"
            "Les champs marqués * sont obligatoires, ceux marqués (*) le sont selon vos réponses (mobilité "
            "physique, partenaire déjà identifié)."
        )
    return (
        f"Remplissez les cases bleutées puis envoyez ce fichier Excel par courriel à {address}. Les champs "
        "marqués * sont obligatoires, ceux marqués (*) le sont selon vos réponses. Voir l'onglet « Instructions »."
    )


PARTNER_INTRO = (
    "À remplir et à renvoyer en réponse au courriel de la Dareic, en conservant la référence du dossier "
    "dans l'objet. / Please fill in and return by replying to the Dareic's e-mail, keeping the case "
    "reference in the subject line."
)


def request_instructions(address: str) -> list[tuple[str, str]]:
    """(style, text) lines of the request form's instructions: title, heading, text or note."""
    return [
        ("title", "Demande d'appariement : mode d'emploi"),
        ("note", "Académie de Strasbourg – Dareic"),
        ("text", ""),
        ("heading", "Remplir le formulaire"),
        ("text", "1. Remplissez les cases bleutées de l'onglet « Demande ». Les champs marqués * sont obligatoires ; "
         "ceux marqués (*) le sont selon vos réponses : la période envisagée pour une mobilité physique, les "
         "coordonnées du partenaire si vous en avez déjà identifié un."),
        ("text", "2. Choisissez dans les listes déroulantes le type d'établissement, le statut, le pays souhaité, "
         "le type de mobilité et les réponses oui / non."),
        ("text", "3. Code UAI : 7 chiffres et une lettre (ex. 0670080Y). Dates au format jj/mm/aaaa. Téléphone : "
         "10 chiffres (ex. 03 88 12 34 56). Langues : séparées par des virgules."),
        ("text", "4. Gardez le fichier au format Excel (.xlsx), sans mot de passe, sans déplacer ni supprimer de "
         "lignes : il est lu automatiquement. Une version PDF à remplir à l'écran existe aussi ; un formulaire "
         "imprimé puis scanné ne peut pas être lu."),
        ("text", ""),
        ("heading", "Envoyer la demande"),
        ("text", f"5. Le chef d'établissement envoie le fichier en pièce jointe à {address}, de préférence depuis "
         "la boîte fonctionnelle de l'établissement (ce.<UAI>@ac-strasbourg.fr)."),
        ("text", "6. Un accusé de réception vous donne la référence du dossier (ex. APP-2026-0042). S'il manque une "
         "information, la réponse en donne la liste exacte : corrigez le formulaire et renvoyez-le en répondant "
         "à ce message."),
        ("text", "7. Conservez la référence du dossier dans l'objet de toutes vos réponses."),
        ("text", ""),
        ("heading", "Suite de la procédure"),
        ("text", "La Dareic transmet la demande au service de coopération et d'action culturelle de l'ambassade "
         "de France dans le pays souhaité, qui aide à identifier un établissement partenaire et vérifie les "
         "garanties qu'il présente ; cela peut prendre plusieurs semaines. Lorsqu'un partenaire est proposé, "
         "vous êtes invités à l'accepter (OUI) ou à le refuser (NON). Le recteur valide ensuite l'appariement "
         "et le chef d'établissement reçoit la notification."),
        ("text", "Pour une mobilité physique, les deux établissements signent une convention ; dans un EPLE, elle "
         "est soumise au conseil d'administration."),
        ("text", ""),
        ("note", "Les informations saisies servent uniquement à l'instruction de la demande par les services du "
         "rectorat et, pour la recherche d'un partenaire, par les services de l'ambassade concernée."),
    ]  # fmt: skip


def pdf_instructions(address: str) -> list[str]:
    """The short "how to send" paragraphs printed at the end of the PDF form."""
    return [
        f"Enregistrez le PDF rempli à l'écran et envoyez-le en pièce jointe à {address}, de préférence depuis "
        "la boîte fonctionnelle de l'établissement (ce.<UAI>@ac-strasbourg.fr). Un formulaire imprimé puis "
        "scanné ne peut pas être lu automatiquement ; la version Excel du formulaire est également acceptée.",
        "Un accusé de réception donne la référence du dossier (ex. APP-2026-0042) ; s'il manque une "
        "information, la réponse en donne la liste exacte. Conservez la référence dans l'objet de vos réponses.",
    ]


PRIVACY = (
    "Les informations saisies servent uniquement à l'instruction de la demande par les services du rectorat "
    "et, pour la recherche d'un partenaire, par les services de l'ambassade concernée."
)


def partner_instructions(address: str) -> list[tuple[str, str]]:
    return [
        ("title", "Fiche partenaire / Partner school form"),
        ("note", "Académie de Strasbourg – Dareic"),
        ("text", ""),
        ("heading", "Français"),
        ("text", "Cette fiche décrit l'établissement partenaire proposé pour un appariement avec un établissement "
         "de l'académie de Strasbourg. Merci de remplir les cases bleutées de l'onglet « Fiche partenaire » "
         "(les champs marqués * sont obligatoires), d'indiquer si les garanties présentées par l'établissement "
         "ont été vérifiées, puis de renvoyer ce fichier Excel en réponse au courriel de la Dareic, en "
         f"conservant la référence du dossier dans l'objet (ou à {address})."),
        ("text", ""),
        ("heading", "English"),
        ("text", "This form describes the partner school proposed for a pairing with a school of the académie de "
         "Strasbourg (France). Please fill in the blue cells of the « Fiche partenaire » sheet (fields marked * "
         "are required), state whether the school's guarantees have been checked (oui = yes, non = no), and "
         "return this Excel file by replying to the Dareic's e-mail, keeping the case reference in the subject "
         f"line (or to {address})."),
        ("text", ""),
        ("note", "Merci de conserver le format .xlsx et de ne pas modifier la structure de la feuille. / Please keep "
         "the .xlsx format and do not change the layout of the sheet."),
    ]  # fmt: skip
