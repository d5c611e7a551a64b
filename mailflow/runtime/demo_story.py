"""The demo's acts: what each party writes, in order, as they would in their mail client."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from mailflow.adapters.formbuild import build_partner_sheet, build_request_form, fill_form
from mailflow.domain.message import OutboundEmail
from mailflow.runtime import demo_mails as mails


class Stage(Protocol):
    """What the acts need from the demo harness."""

    dareic: str

    def arrive(self, name: str, raw: bytes, caption: str) -> None: ...
    def later(self, days: int, hours: int = 0) -> None: ...
    def last_mail(self, template: str) -> OutboundEmail:
        """The latest mail sent from ``template`` (each act ends before the next begins)."""
        ...

    def now(self) -> datetime: ...


def kleber(stage: Stage) -> None:
    """The happy path: request, absence notice, partner sheet, acceptance, validation, notification."""
    today = stage.now().date()
    form = fill_form(build_request_form(), mails.request_values(today))
    stage.arrive(
        "kleber-demande",
        mails.school_request(form, stage.now(), stage.dareic),
        "le lycée Kléber envoie son formulaire",
    )
    request = stage.last_mail("embassy_request")
    stage.later(0, 2)
    stage.arrive(
        "ministere-absence",
        mails.embassy_out_of_office(request, stage.now()),
        "réponse automatique d'absence du ministère (ne change rien)",
    )
    stage.later(1, 3)
    stage.arrive(
        "lettre-information",
        mails.newsletter(stage.now(), stage.dareic),
        "une lettre d'information (pas pour nous : reste dans la boîte)",
    )
    stage.later(12)
    sheet = fill_form(build_partner_sheet(), mails.partner_values())
    stage.arrive(
        "ministere-partenaire",
        mails.embassy_partner(request, sheet, stage.now()),
        "le ministère renvoie la fiche partenaire remplie",
    )
    stage.arrive(
        "dareic-note",
        mails.reply(
            mails.STAFF,
            "Agent Dareic",
            stage.last_mail("partner_proposal_school"),
            "/note Appel du proviseur : il attend la proposition avec intérêt.",
            stage.now(),
            authenticated=True,
        ),
        "un agent de la Dareic ajoute une note par courriel",
    )
    stage.later(3, 1)
    stage.arrive(
        "kleber-accepte",
        mails.school_accepts(stage.last_mail("partner_proposal_school"), stage.now()),
        "le lycée accepte le partenaire",
    )
    stage.later(4, 2)
    stage.arrive(
        "cabinet-valide",
        mails.rector_validates(stage.last_mail("rector_request"), stage.now()),
        "le cabinet du recteur valide",
    )


def jean_monnet(stage: Stage) -> None:
    """An incomplete form, answered with every problem, then corrected in the same thread."""
    today = stage.now().date()
    form = fill_form(build_request_form(), mails.incomplete_values(today))
    stage.arrive(
        "monnet-demande",
        mails.incomplete_request(form, stage.now(), stage.dareic),
        "le collège Jean Monnet envoie un formulaire incomplet",
    )
    stage.later(2)
    fixed = fill_form(build_request_form(), mails.corrected_values(today))
    stage.arrive(
        "monnet-correction",
        mails.reply(
            mails.SECOND_SCHOOL,
            "Collège Jean Monnet",
            stage.last_mail("incomplete_school"),
            "Bonjour, voici le formulaire corrigé.",
            stage.now(),
            attachment=(fixed, "demande-corrigee.xlsx"),
        ),
        "le collège renvoie le formulaire corrigé",
    )


def marie_curie(stage: Stage) -> None:
    """A partner already known: the embassy's opinion, then the rector's office refuses with a reason."""
    today = stage.now().date()
    form = fill_form(build_request_form(), mails.known_partner_values(today))
    raw = mails.school_request(form, stage.now(), stage.dareic, mails.THIRD_SCHOOL, "Lycée Marie Curie")
    stage.arrive("curie-demande", raw, "le lycée Marie Curie demande un appariement avec un partenaire connu")
    stage.later(5)
    stage.arrive(
        "ambassade-avis",
        mails.reply(
            mails.EMBASSY_ES,
            "SCAC Madrid",
            stage.last_mail("embassy_opinion_request"),
            "Avis favorable : l'établissement présente toutes les garanties.",
            stage.now(),
        ),
        "l'ambassade en Espagne donne un avis favorable",
    )
    stage.later(3)
    stage.arrive(
        "cabinet-refuse",
        mails.reply(
            mails.RECTOR,
            "Cabinet du recteur",
            stage.last_mail("rector_request"),
            "/refuser Le projet doit préciser les conditions d'accueil des élèves.",
            stage.now(),
            authenticated=True,
        ),
        "le cabinet du recteur refuse, motif à l'appui",
    )
