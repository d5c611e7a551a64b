"""Every branch of the procedure (issue 6), through the pipeline with real-looking mails and a moving clock.

Each test checks every mail each party receives, in order.
"""

from __future__ import annotations

import hashlib
from email.message import EmailMessage

import pytest

from mailflow.adapters.formbuild import build_request_form, fill_form
from mailflow.domain.states import CaseState
from mailflow.runtime import demo_mails as mails
from tests.e2e.story import DAREIC, Story
from tests.service.helpers import TRUSTED, mail, staff_command

pytestmark = pytest.mark.e2e
SCHOOL, EMBASSY, RECTOR = mails.SCHOOL, mails.EMBASSY_BW, mails.RECTOR


@pytest.fixture
def story(tmp_path) -> Story:
    return Story(tmp_path)


def _reply(story: Story, sender: str, template: str, body: str, **kw) -> dict[str, int]:
    return story.arrive(mail(sender, body, reply_to=story.last(template), **kw))


def _to_rector(story: Story, **form) -> str:
    """Request, partner sheet, acceptance: a few days apart, as in life (loop protection counts per day)."""
    case = story.request(**form)
    story.later(6)
    story.arrive(
        mails.embassy_partner(story.last("embassy_request"), story.partner_sheet(), story.clock.now())
    )
    story.later(2)
    story.arrive(mails.school_accepts(story.last("partner_proposal_school"), story.clock.now()))
    story.later(1)
    return case.ref


def test_incomplete_request_is_answered_then_forwarded_when_school_sends_corrected_form(story):
    bad = story.request(postal_code="670", phone="12")
    assert bad.state is CaseState.INCOMPLETE
    corrected = EmailMessage()
    incomplete = story.last("incomplete_school")
    corrected["From"], corrected["To"], corrected["Subject"] = SCHOOL, DAREIC, f"RE: {incomplete.subject}"
    corrected["Message-ID"], corrected["In-Reply-To"] = "<fix@ac-strasbourg.fr>", incomplete.message_id
    corrected.set_content("Voici le formulaire corrigé.")
    form = fill_form(build_request_form(), mails.request_values(story.clock.now().date()))
    corrected.add_attachment(form, *mails.XLSX, filename="demande-v2.xlsx")
    story.arrive(bytes(corrected))
    assert story.case(bad.ref).state is CaseState.AT_EMBASSY
    assert story.received_by(SCHOOL) == ["incomplete_school", "ack_school"]
    assert story.received_by(EMBASSY) == ["embassy_request"]


def test_request_for_country_without_contact_waits_for_staff_then_goes_out_when_contact_added(story):
    case = story.request(target_country="Portugal", target_region="Lisbonne")
    assert case.state is CaseState.UNDER_REVIEW and "contact" in case.review_reason
    assert story.received_by(SCHOOL) == ["ack_school"]
    assert "examin" in story.last("ack_school").text  # the school is told a person looks first
    story.arrive(staff_command("/contact Portugal scac@ambafrance-pt.example"))
    story.arrive(staff_command("/transmettre", subject=f"[{case.ref}] transmission"))
    assert story.case(case.ref).state is CaseState.AT_EMBASSY
    assert story.received_by("scac@ambafrance-pt.example") == ["embassy_request"]


def test_embassy_absence_delays_the_reminder_until_its_return_when_it_answers_out_of_office(story):
    case = story.request()
    request = story.last("embassy_request")
    away = EmailMessage()
    away["From"], away["To"], away["Subject"] = EMBASSY, DAREIC, f"Abwesenheitsnotiz: {request.subject}"
    away["Message-ID"], away["In-Reply-To"], away["Auto-Submitted"] = (
        "<ooo@km-bw.example>",
        request.message_id,
        "auto-replied",
    )
    away.set_content("Je suis absente et serai de retour le 15/01/2027.")
    assert story.arrive(bytes(away)) == {"ignored": 1}
    assert story.later(40) == 0  # a reminder was due after 15 working days: it waits for the return
    assert story.later(20) == 1
    assert story.received_by(EMBASSY) == ["embassy_request", "reminder_embassy"]
    assert story.case(case.ref).state is CaseState.AT_EMBASSY


def test_no_partner_found_informs_school_when_staff_confirms_embassy_answer(story):
    case = story.request()
    _reply(
        story,
        EMBASSY,
        "embassy_request",
        "Malheureusement, aucun partenaire n'a pu être identifié pour l'instant.",
    )
    flagged = story.case(case.ref)
    assert flagged.state is CaseState.AT_EMBASSY and "aucun partenaire" in flagged.review_reason
    story.arrive(staff_command("/aucunpartenaire", reply_to=story.last("embassy_request")))
    assert story.case(case.ref).state is CaseState.NO_PARTNER_FOUND
    assert story.received_by(SCHOOL) == ["ack_school", "no_partner_school"]


def test_school_declines_then_accepts_a_second_partner_when_embassy_proposes_again(story):
    case = story.request()
    story.arrive(
        mails.embassy_partner(story.last("embassy_request"), story.partner_sheet(), story.clock.now())
    )
    _reply(story, SCHOOL, "partner_proposal_school", "Non, ce lycée ne correspond pas à notre projet.")
    assert story.case(case.ref).state is CaseState.AT_EMBASSY
    assert story.received_by(EMBASSY) == ["embassy_request", "another_partner_request"]
    second = story.partner_sheet(partner_name="Schiller-Gymnasium", partner_city="Offenburg")
    story.arrive(mails.embassy_partner(story.last("another_partner_request"), second, story.clock.now()))
    assert "Schiller-Gymnasium" in story.last("partner_proposal_school").text
    story.arrive(mails.school_accepts(story.last("partner_proposal_school"), story.clock.now()))
    assert story.case(case.ref).state is CaseState.AWAITING_RECTOR
    assert story.received_by(SCHOOL) == [
        "ack_school",
        "partner_proposal_school",
        "partner_proposal_school",
        "acceptance_ack_school",
    ]
    assert "Schiller-Gymnasium" in story.last("rector_request").text


def test_existing_partner_goes_through_embassy_opinion_to_notification_when_opinion_is_favourable(story):
    case = story.request(
        existing_partner="oui",
        partner_name="Goethe-Gymnasium",
        partner_city="Freiburg",
        partner_email="sekretariat@goethe.example",
        partner_head_name="Dr. Vogel",
    )
    assert case.state is CaseState.EMBASSY_OPINION
    _reply(
        story,
        EMBASSY,
        "embassy_opinion_request",
        "Avis favorable : l'établissement présente toutes les garanties.",
    )
    assert story.case(case.ref).state is CaseState.AWAITING_RECTOR
    story.arrive(mails.rector_validates(story.last("rector_request"), story.clock.now()))
    assert story.case(case.ref).state is CaseState.VALIDATED
    assert story.received_by(EMBASSY) == ["embassy_opinion_request"]
    assert story.received_by(RECTOR) == ["rector_request", "command_reply_staff"]  # its /valider is confirmed
    assert story.received_by(SCHOOL) == ["ack_school", "notification_school"]
    [letter] = [
        a for a in story.last("notification_school").attachments if a.content_type == "application/pdf"
    ]
    assert letter.filename == f"notification-{case.ref}.pdf" and letter.data.startswith(b"%PDF")
    with story.deps.store.transaction() as tx:
        [issued] = [e.detail for e in tx.events(case.id) if e.kind == "notification_issued"]
    assert (
        issued == f"SHA-256 {hashlib.sha256(letter.data).hexdigest()}"
    )  # the letter sent is the one recorded
    dossier = [a for a in story.last("rector_request").attachments if a.filename.startswith("dossier-")]
    assert len(dossier) == 1 and b"%PDF" in dossier[0].data[:8]


def test_rector_refusal_reaches_school_with_its_reason_when_cabinet_refuses(story):
    ref = _to_rector(story)
    _reply(
        story,
        RECTOR,
        "rector_request",
        "/refuser Le projet pédagogique doit préciser l'accueil des élèves.",
        auth=TRUSTED,
    )
    assert story.case(ref).state is CaseState.REFUSED
    refusal = story.last("refusal_school")
    assert refusal.to_addrs == (SCHOOL,) and "préciser l'accueil des élèves" in refusal.text


def test_physical_mobility_is_authorised_15_days_after_ca_deliberation_when_convention_follows(story):
    ref = _to_rector(story, mobility_type="virtuelle et physique", mobility_period="du 15 au 22 mars 2027")
    story.arrive(mails.rector_validates(story.last("rector_request"), story.clock.now()))
    assert story.case(ref).state is CaseState.CONVENTION
    story.later(5)
    convention = EmailMessage()
    request = story.last("convention_request_school")
    convention["From"], convention["To"], convention["Subject"] = SCHOOL, DAREIC, f"RE: {request.subject}"
    convention["Message-ID"], convention["In-Reply-To"] = "<conv@ac-strasbourg.fr>", request.message_id
    convention.set_content("Veuillez trouver la convention signée. Le CA se réunit le 12 janvier.")
    convention.add_attachment(b"%PDF-1.4 convention", "application", "pdf", filename="convention-signee.pdf")
    story.arrive(bytes(convention))
    assert "convention reçue" in story.case(ref).review_reason
    story.arrive(staff_command("/ca 12/01/2027", reply_to=request))
    assert story.case(ref).state is CaseState.MOBILITY_AUTHORISED
    authorised = story.last("mobility_authorised_school")
    assert "12 janvier 2027" in authorised.text and "27 janvier 2027" in authorised.text
    assert story.received_by(SCHOOL)[-3:] == [
        "notification_school",
        "convention_request_school",
        "mobility_authorised_school",
    ]


def test_silent_embassy_is_reminded_then_escalated_when_reminders_run_out(story):
    case = story.request()
    for _ in range(story.deps.policy.max_reminders):
        assert story.later(25) == 1
    assert story.later(25) == 0
    escalated = story.case(case.ref)
    assert "relances sans réponse" in escalated.review_reason
    assert story.received_by(EMBASSY) == ["embassy_request"] + ["reminder_embassy"] * 3


def test_school_withdrawal_is_acknowledged_and_embassy_told_when_school_writes_so(story):
    case = story.request()
    _reply(story, SCHOOL, "ack_school", "Nous retirons notre demande, le projet est reporté.")
    assert story.case(case.ref).state is CaseState.WITHDRAWN
    assert story.received_by(SCHOOL) == ["ack_school", "withdrawal_ack_school"]
    assert story.received_by(EMBASSY) == ["embassy_request", "withdrawal_notice_embassy"]
