"""Turn a SendEmail effect into an outbox row: recipient, rendered French text, threading headers, files."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from mailflow.domain.calendar import french_date
from mailflow.domain.case import Case, CaseEvent, OutboxRecord
from mailflow.domain.effects import Party, SendEmail
from mailflow.domain.ids import CaseRef
from mailflow.domain.message import Attachment, OutboundEmail
from mailflow.ports import Tx
from mailflow.services.cause import Cause
from mailflow.services.deps import Deps
from mailflow.services.mailcontext import build_context

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LOOP_HEADER = "X-Mailflow-Loop"
# Templates answering a school's own mail are auto-replies (RFC 3834); the rest are notices.
AUTO_REPLIED = {"ack_school", "incomplete_school", "acceptance_ack_school"}


def recipient(deps: Deps, case: Case, party: Party) -> list[str]:
    if party is Party.SCHOOL:
        return [case.school_address]
    if party is Party.EMBASSY:
        return [case.embassy_address] if case.embassy_address else []
    if party is Party.RECTOR:
        return [deps.identity.rector_address]
    return sorted(deps.identity.staff)


def thread_index(deps: Deps, case: Case) -> str:
    """The case's stable Outlook Thread-Index (FILETIME of its opening, a GUID naming the case)."""
    filetime = int((case.opened_at.timestamp() + 11644473600) * 10_000_000)
    return deps.threads.make(CaseRef.parse(case.ref), filetime)


def enqueue_mail(deps: Deps, tx: Tx, case: Case, effect: SendEmail, cause: Cause) -> bool:
    """Render and store the mail in the outbox; False when there is nobody to send it to or the loop limit is hit."""
    assert case.id is not None
    to = recipient(deps, case, effect.to)
    if not to:
        return False
    now = deps.clock.now()
    if tx.auto_mails_since(case.id, to[0], now - timedelta(days=1)) >= deps.policy.max_auto_mails_per_day:
        return False
    attachments: list[Attachment] = []
    if effect.attach_form:
        form = tx.latest_form_attachment(case.id)
        if form is not None:
            attachments.append(form)
    if effect.attach_partner_sheet and deps.partner_sheet:
        attachments.append(
            Attachment(filename="fiche-partenaire.xlsx", content_type=XLSX, data=deps.partner_sheet)
        )
    if effect.template == "incomplete_school" and deps.request_form:
        attachments.append(
            Attachment(filename="demande-appariement.xlsx", content_type=XLSX, data=deps.request_form)
        )
    today = now.astimezone(deps.identity.timezone).date()
    letter = LETTERS.get(effect.template) if deps.letters else None
    names = [a.filename for a in attachments] + ([f"{letter}-{case.ref}.pdf"] if letter else [])
    service = counterpart_service(deps, tx, case)
    context = build_context(deps.identity, today, case, effect.to, to[0], cause.extras, names, service)
    if letter:
        attachments.append(_letter(deps, tx, case, letter, context, cause))
    rendered = deps.renderer.render(effect.template, context)
    in_reply_to, references = _threading(tx, case, to[0], cause, effect.reply)
    ref = CaseRef.parse(case.ref)
    headers: list[tuple[str, str]] = [
        ("Auto-Submitted", "auto-replied" if effect.template in AUTO_REPLIED else "auto-generated"),
        (LOOP_HEADER, deps.identity.dareic_address),
        ("X-Mailflow-Case", case.ref),
        ("Thread-Topic", case.thread_topic or f"Demande d'appariement {case.ref}"),
        ("Thread-Index", thread_index(deps, case)),
    ]
    if effect.to is Party.SCHOOL:
        # Ask Exchange not to answer our notices with an out-of-office (MAIL.md §4); not for embassies,
        # whose absences we want to know about.
        headers.append(("X-Auto-Response-Suppress", "OOF, AutoReply"))
    email = OutboundEmail(
        message_id=deps.signer.make(ref, secrets.token_hex(6)),
        from_addr=deps.identity.dareic_address,
        from_name=f"Dareic – {deps.identity.academie_name}",
        to_addrs=tuple(to),
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        date=now,
        in_reply_to=in_reply_to,
        references=references,
        extra_headers=tuple(headers),
        attachments=tuple(attachments),
    )
    tx.add_outbox(
        OutboxRecord(
            case_id=case.id, template=effect.template, party=effect.to, email=email, next_attempt_at=now
        )
    )
    return True


LETTERS = {"notification_school": "notification", "rector_request": "dossier"}


def counterpart_service(deps: Deps, tx: Tx, case: Case) -> str | None:
    """The counterpart's service name ("Kultusministerium Baden-Württemberg"), from the directory."""
    if not case.embassy_address:
        return None
    directory = deps.directory.with_changes(tuple(tx.added_contacts()), set())
    return next(
        (c.service or None for c in directory.contacts if c.address.lower() == case.embassy_address), None
    )


def _letter(
    deps: Deps, tx: Tx, case: Case, kind: str, context: dict[str, object], cause: Cause
) -> Attachment:
    """The PDF letter for this mail; the notification's SHA-256 goes on the case's timeline (proof of issue)."""
    assert deps.letters is not None and case.id is not None
    if kind == "notification":
        pdf = deps.letters.notification(context)
        digest = hashlib.sha256(pdf).hexdigest()
        tx.add_event(
            CaseEvent(
                case_id=case.id,
                at=deps.clock.now(),
                kind="notification_issued",
                actor="system",
                inbound_id=cause.inbound_id,
                detail=f"SHA-256 {digest}",
            )
        )
    else:
        context["steps"] = [
            {
                "date": french_date(e.at.astimezone(deps.identity.timezone).date()),
                "label": STEP_LABELS.get(e.kind, e.kind),
            }
            for e in tx.events(case.id)
            if e.kind in STEP_LABELS
        ]
        pdf = deps.letters.dossier(context)
    return Attachment(filename=f"{kind}-{case.ref}.pdf", content_type="application/pdf", data=pdf)


STEP_LABELS = {
    "case_opened": "Demande reçue",
    "form_invalid": "Formulaire à compléter",
    "forward_to_embassy": "Demande transmise au correspondant",
    "ask_embassy_opinion": "Avis demandé au correspondant",
    "opinion_favourable": "Avis favorable du correspondant",
    "partner_proposed": "Établissement partenaire proposé",
    "partner_confirmed": "Proposition adressée à l'établissement",
    "school_declined": "Partenaire décliné par l'établissement",
    "school_accepted": "Accord de l'établissement",
}


def _threading(tx: Tx, case: Case, to: str, cause: Cause, reply: bool) -> tuple[str | None, tuple[str, ...]]:
    """Answer the message that caused the event, else continue our last mail to that address."""
    message = cause.message
    if reply and message is not None and message.message_id:
        refs = tuple(r for r in message.references if r != message.message_id)[-10:]
        return message.message_id, (*refs, message.message_id)
    assert case.id is not None
    previous = [r.email for r in tx.outbox(case.id) if to in r.email.to_addrs]
    if previous:
        last = previous[-1]
        return last.message_id, (*last.references[-10:], last.message_id)
    return None, ()
