"""Other wordings of the form labels seen in home-made and older copies, per form (data for labels.py).

Matching is already tolerant to accents, case, punctuation, plurals and "de/du/l'": list real variants only.
"""

from __future__ import annotations

MARKER = "Référence du formulaire"  # the template reference row printed on the official forms
MULTILINE = frozenset({"address", "project_theme", "other_framework", "remarks", "partner_address"})

# Normalisation of label words (after case, accents and punctuation are folded away).
STOP = frozenset(
    {"a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les", "of", "ou", "the"}
)
FILLER = frozenset(
    {"code", "ex", "identifiant", "n", "no", "nom", "num", "numero"}
)  # dropped in reduced keys
TRAILING = frozenset({"obligatoire", "facultatif", "optionnel", "requis", "required", "optional"})
SYNONYMS = {"rne": "uai", "mail": "courriel", "email": "courriel", "mel": "courriel", "tel": "telephone"}
SYNONYMS |= {"ville": "commune", "nb": "nombre", "enseignant": "professeur", "prof": "professeur"}
SYNONYMS |= {"etab": "etablissement", "ets": "etablissement"}
PHRASES: tuple[tuple[str, str], ...] = (
    ("adresse electronique", "courriel"), ("adresse courriel", "courriel"), ("e courriel", "courriel"),
    ("uai uai", "uai"),
)  # fmt: skip

_REQUEST: dict[str, tuple[str, ...]] = {
    "school_name": (
        "Établissement",
        "Nom de l'école",
        "Nom du collège",
        "Nom du lycée",
        "Établissement demandeur",
        "Établissement scolaire",
    ),
    "uai": ("UAI", "RNE", "Code RNE", "Numéro RNE", "N° UAI", "UAI / RNE"),
    "school_type": ("Type", "Catégorie d'établissement", "Nature de l'établissement"),
    "school_status": ("Statut de l'établissement", "Public / privé", "Secteur"),
    "address": ("Adresse postale", "Adresse de l'établissement", "Rue"),
    "postal_code": ("CP",),
    "city": ("Ville", "Localité", "Commune de l'établissement"),
    "school_email": ("Courriel", "Adresse électronique", "E-mail", "Mél", "Courriel établissement"),
    "phone": ("Tél.", "Téléphone de l'établissement", "Numéro de téléphone", "Tél. de l'établissement"),
    "head_name": (
        "Chef d'établissement",
        "Nom du proviseur",
        "Nom du principal",
        "Nom du directeur",
        "Nom de la directrice",
        "Proviseur",
        "Principal",
        "Directeur",
        "Directrice",
    ),
    "teacher_name": (
        "Enseignant référent",
        "Professeur coordonnateur",
        "Nom du professeur référent",
        "Professeur responsable",
        "Enseignant responsable du projet",
    ),
    "teacher_email": (
        "Courriel de l'enseignant",
        "Courriel du professeur",
        "Courriel de l'enseignant référent",
    ),
    "teacher_subject": ("Discipline", "Matière enseignée", "Discipline enseignée"),
    "languages_taught": ("Langues enseignées", "Langues vivantes", "LV enseignées"),
    "target_country": (
        "Pays",
        "Pays du partenaire",
        "Pays partenaire",
        "Pays visé",
        "Pays demandé",
        "Pays recherché",
    ),
    "target_region": ("Région", "Région souhaitée", "Ville souhaitée", "Région ou ville souhaitée"),
    "partner_school_type": (
        "Type d'établissement recherché",
        "Type de partenaire recherché",
        "Type d'établissement partenaire",
    ),
    "pupils_level": ("Niveau", "Niveaux", "Classes concernées", "Niveau des élèves", "Classe(s)"),
    "pupils_count": ("Nombre d'élèves", "Effectif", "Effectif concerné", "Nb d'élèves"),
    "project_theme": ("Projet pédagogique", "Thème du projet", "Projet", "Description du projet"),
    "working_languages": ("Langue de travail", "Langue(s) de communication"),
    "mobility_type": ("Mobilité", "Type de mobilité envisagée"),
    "mobility_period": ("Période", "Dates envisagées", "Période de mobilité", "Calendrier"),
    "existing_partner": ("Partenaire identifié", "Avez-vous déjà un partenaire ?", "Partenaire connu"),
    "partner_name": ("Nom du partenaire", "Établissement partenaire", "Nom de l'établissement partenaire"),
    "partner_city": ("Ville du partenaire", "Ville de l'établissement partenaire"),
    "partner_email": ("Courriel du partenaire", "Courriel de l'établissement partenaire"),
    "partner_head_name": ("Chef d'établissement partenaire", "Directeur de l'établissement partenaire"),
    "etwinning_registered": ("Inscription eTwinning", "Inscrit eTwinning", "Inscrit sur eTwinning ?"),
    "etwinning_school_label": ("Label eTwinning", "École eTwinning", "Label École eTwinning"),
    "erasmus_accreditation": ("Accréditation Erasmus", "Accrédité Erasmus+"),
    "other_framework": ("Autre dispositif", "Autres dispositifs", "Autre programme"),
    "signed_on": ("Fait le", "Date de la demande", "Date de signature"),
    "signatory": ("Signataire", "Nom et qualité", "Nom du signataire", "Nom, qualité du signataire"),
}

_PARTNER: dict[str, tuple[str, ...]] = {
    "partner_name": (
        "Nom de l'établissement",
        "Établissement",
        "School name",
        "School",
        "Name of the school",
    ),
    "partner_school_type": ("School type", "Type"),
    "partner_address": ("Address", "Adresse de l'établissement"),
    "partner_city": ("City", "Town", "Commune"),
    "partner_country": ("Country",),
    "partner_head_name": ("Headteacher", "Head teacher", "Principal", "Director", "Directeur", "Proviseur"),
    "partner_email": ("Contact e-mail", "E-mail", "Courriel", "Email address"),
    "partner_languages": ("Languages", "Langues"),
    "guarantees_checked": ("Garanties", "Guarantees"),
    "remarks": ("Observations", "Comments", "Commentaires", "Remarques / Remarks"),
}

ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "demande-appariement": _REQUEST,
    "fiche-partenaire": _PARTNER,
}
