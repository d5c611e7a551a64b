"""Spoofed staff commands (MAIL.md §5): refused, the case unchanged, the answer only to the From address.

Each hostile message carries ``/clore`` (which would close the case) in reply to the case's own mail;
the control at the top shows the same command does close it when the message is genuine.
"""

from __future__ import annotations

from email.message import EmailMessage
from itertools import count

import pytest

from mailflow.domain.commands import authenticated_by
from mailflow.domain.states import CaseState
from tests.service.helpers import DAREIC, STAFF, TRUSTED, case, deliver, last_mail, open_case

TRUSTED_ID = "mx.ac-strasbourg.fr"
ATTACKER = "intrus@evil.example"
_ids = count(1)


def _command(sender: str, reply_to, *auth: str, extra: dict[str, str] | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"] = sender, DAREIC
    msg["Subject"] = f"RE: {reply_to.subject}"
    msg["Message-ID"] = f"<spoof{next(_ids)}@evil.example>"
    msg["In-Reply-To"] = msg["References"] = reply_to.message_id
    for header in auth:  # in order: the first is the topmost, the one our server would have added
        msg["Authentication-Results"] = header
    for name, value in (extra or {}).items():
        msg[name] = value
    msg.set_content("/clore demande retirée\n\nCordialement")
    return bytes(msg)


def _fingerprint(deps, ref: str) -> tuple:
    """What a command could change: state, partner, form, the state-changing events, mail to parties."""
    c = case(deps, ref)
    with deps.store.transaction() as tx:
        moves = [(e.kind, e.target_state) for e in tx.events(c.id) if e.target_state is not None]
        to_parties = [
            (r.template, r.email.to_addrs) for r in tx.outbox(c.id) if r.template != "command_reply_staff"
        ]
    return c.state, c.partner, c.form, c.embassy_address, moves, to_parties


def test_genuine_staff_command_closes_the_case_when_our_server_vouches_for_it(deps):
    c = open_case(deps)
    deliver(deps, _command(STAFF, last_mail(deps, "ack_school"), TRUSTED))
    assert case(deps, c.ref).state is CaseState.CLOSED  # the control: the hostile variants below would show


SPOOFS = {
    "no Authentication-Results at all": (STAFF, ()),
    "DKIM and DMARC failing at our server": (
        STAFF,
        (f"{TRUSTED_ID}; dkim=fail (bad signature) header.d=ac-strasbourg.fr; dmarc=fail",),
    ),
    "dkim=pass written by another server": (
        STAFF,
        ("mx.evil.example; dkim=pass header.d=ac-strasbourg.fr; dmarc=pass header.from=ac-strasbourg.fr",),
    ),
    "dkim=pass from a server whose id only starts like ours": (
        STAFF,
        (f"{TRUSTED_ID}.evil.example; dkim=pass header.d=ac-strasbourg.fr",),
    ),
    "dkim=pass for another domain": (
        STAFF,
        (f"{TRUSTED_ID}; dkim=pass header.d=evil.example; dmarc=fail header.from=ac-strasbourg.fr",),
    ),
    "a stranger with a valid-looking header": (
        ATTACKER,
        (f"{TRUSTED_ID}; dkim=pass header.d=evil.example; dmarc=pass header.from=evil.example",),
    ),
    "a stranger showing the staff address as display name": (
        f'"{STAFF}" <{ATTACKER}>',
        (f"{TRUSTED_ID}; dkim=pass header.d=evil.example; dmarc=pass header.from=evil.example",),
    ),
}


@pytest.mark.parametrize(("sender", "auth"), list(SPOOFS.values()), ids=list(SPOOFS))
def test_spoofed_command_is_refused_and_case_unchanged_when_authentication_is_missing_or_foreign(
    deps, sender, auth
):
    c = open_case(deps)
    before = _fingerprint(deps, c.ref)
    sent_before = len(deps.transport.sent)
    deliver(deps, _command(sender, last_mail(deps, "ack_school"), *auth))
    assert _fingerprint(deps, c.ref) == before
    assert case(deps, c.ref).state is CaseState.AT_EMBASSY
    for mail in deps.transport.sent[sent_before:]:  # at most the refusal, to the address in From
        assert mail.to_addrs in ((STAFF,),) and "✘" in mail.text


def test_forged_staff_from_with_reply_to_elsewhere_is_refused_and_answered_to_staff_only(deps):
    c = open_case(deps)
    before = _fingerprint(deps, c.ref)
    sent_before = len(deps.transport.sent)
    raw = _command(STAFF, last_mail(deps, "ack_school"), extra={"Reply-To": ATTACKER, "Sender": ATTACKER})
    deliver(deps, raw)
    assert _fingerprint(deps, c.ref) == before
    answers = deps.transport.sent[sent_before:]
    assert answers and all(m.to_addrs == (STAFF,) and ATTACKER not in m.cc_addrs for m in answers)
    assert "non authentifié" in answers[-1].text  # the real staff member learns someone tried


# Subtle forgeries (these tests first found them accepted; authenticated_by was tightened since).
WEAK = {
    "dkim=pass for a look-alike domain ending like ours": (
        [f"{TRUSTED_ID}; dkim=pass header.d=evil-ac-strasbourg.fr"],
        "header.d is compared with endswith() and no dot boundary",
    ),
    "a forged trusted header below the one our server added": (
        [
            f"{TRUSTED_ID}; dkim=none; dmarc=fail header.from=ac-strasbourg.fr",
            f"{TRUSTED_ID}; dkim=pass header.d=ac-strasbourg.fr; dmarc=pass",
        ],
        "every header with our authserv-id counts, not only the topmost one our server prepended",
    ),
    "dmarc=pass for another From domain": (
        [f"{TRUSTED_ID}; dmarc=pass header.from=evil.example"],
        "dmarc=pass is accepted without checking header.from against the sender's domain",
    ),
}


@pytest.mark.parametrize(
    ("headers", "why"),
    list(WEAK.values()),
    ids=list(WEAK),
)
def test_authentication_is_refused_when_the_header_is_subtly_forged(headers, why):
    assert not authenticated_by(headers, TRUSTED_ID, STAFF)


def test_authentication_is_accepted_when_our_server_vouches_for_the_staff_domain():
    assert authenticated_by([TRUSTED], TRUSTED_ID, STAFF)
    assert authenticated_by([f"{TRUSTED_ID}; dkim=pass header.i=@ac-strasbourg.fr"], TRUSTED_ID, STAFF)
    assert authenticated_by([f"{TRUSTED_ID.upper()}; DKIM=pass header.d=AC-Strasbourg.fr"], TRUSTED_ID, STAFF)
