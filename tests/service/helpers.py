"""Building the mails of a story in service tests: a request, replies from each party, staff commands."""

from __future__ import annotations

from email.message import EmailMessage
from itertools import count

from mailflow.adapters.formbuild import build_partner_sheet, build_request_form, fill_form
from mailflow.runtime import demo_mails as mails
from mailflow.services.outbox import drain_once
from mailflow.services.poll import poll_once
from mailflow.services.workflow import local_today

DAREIC = "ce.dareic@ac-strasbourg.fr"
STAFF = "dareic.agent@ac-strasbourg.fr"
TRUSTED = "mx.ac-strasbourg.fr; dkim=pass header.d=ac-strasbourg.fr; dmarc=pass"
_ids = count(1)


def deliver(deps, raw: bytes):
    deps.mailbox.deliver(raw)
    report = poll_once(deps)
    drain_once(deps)
    return report


def open_case(deps, values=None):
    form = fill_form(build_request_form(), values or mails.request_values(local_today(deps)))
    deliver(deps, mails.school_request(form, deps.clock.now(), DAREIC))
    with deps.store.transaction() as tx:
        return tx.cases()[-1]


def to_partner_proposal(deps):
    open_case(deps)
    sheet = fill_form(build_partner_sheet(), mails.partner_values())
    deliver(deps, mails.embassy_partner(last_mail(deps, "embassy_request"), sheet, deps.clock.now()))


def last_mail(deps, template):
    with deps.store.transaction() as tx:
        return [r.email for r in tx.outbox() if r.template == template][-1]


def case(deps, ref: str):
    with deps.store.transaction() as tx:
        return tx.case_by_ref(ref)


def mail(
    sender: str,
    body: str,
    *,
    subject: str = "Message",
    reply_to=None,
    auth: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"] = sender, DAREIC
    msg["Subject"] = f"RE: {reply_to.subject}" if reply_to is not None else subject
    msg["Message-ID"] = f"<m{next(_ids)}@example.org>"
    if reply_to is not None:
        msg["In-Reply-To"] = reply_to.message_id
        msg["References"] = reply_to.message_id
    if auth:
        msg["Authentication-Results"] = auth
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return bytes(msg)


def staff_command(body: str, reply_to=None, subject: str = "Commande", auth: str | None = TRUSTED) -> bytes:
    return mail(STAFF, body, subject=subject, reply_to=reply_to, auth=auth)
