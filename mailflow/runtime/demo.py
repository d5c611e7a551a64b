"""`mailflow demo`: the whole procedure on embedded defaults (Maildir, .eml files, SQLite), step by step.

The parties' mails are real messages dropped into the Maildir inbox; mailflow handles them through the
same poll -> ingest -> outbox path as production. The clock is simulated so the story spans weeks.
"""

from __future__ import annotations

import shutil
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console

from mailflow.adapters.clock import FixedClock, SystemClock
from mailflow.adapters.formbuild import build_partner_sheet, build_request_form, fill_form
from mailflow.adapters.maildir import MaildirMailbox
from mailflow.config import load_settings
from mailflow.domain.message import OutboundEmail
from mailflow.domain.states import CaseState
from mailflow.runtime import demo_mails as mails
from mailflow.runtime.show import print_timeline
from mailflow.runtime.wiring import build_deps
from mailflow.services.deps import Deps
from mailflow.services.outbox import drain_once
from mailflow.services.poll import poll_once
from mailflow.services.queries import case_timeline

PARIS = ZoneInfo("Europe/Paris")


class _Story:
    def __init__(
        self, deps: Deps, mailbox: MaildirMailbox, clock: FixedClock, incoming: Path, console: Console
    ):
        self.deps, self.mailbox, self.clock, self.incoming, self.console = (
            deps,
            mailbox,
            clock,
            incoming,
            console,
        )
        self.count = 0

    def arrive(self, name: str, raw: bytes, caption: str) -> None:
        """A party's mail lands in the inbox; mailflow fetches it and sends what follows."""
        self.count += 1
        (self.incoming / f"{self.count:02d}-{name}.eml").write_bytes(raw)
        self.mailbox.deliver(raw)
        report = poll_once(self.deps)
        drained = drain_once(self.deps)
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(report.statuses.items()))
        self.console.print(
            f"[bold]{self.clock.now().astimezone(PARIS):%d/%m %H:%M}[/bold] {caption} "
            f"→ {statuses}; {drained.sent} courriel(s) envoyé(s)"
        )

    def later(self, days: int, hours: int = 0) -> None:
        self.clock.advance(timedelta(days=days, hours=hours))

    def last_mail(self, template: str) -> OutboundEmail:
        with self.deps.store.transaction() as tx:
            rows = [r for r in tx.outbox() if r.template == template]
        if not rows:
            raise RuntimeError(f"the demo expected a mail {template!r} and none was sent")
        return rows[-1].email

    def state(self, ref: str) -> CaseState:
        with self.deps.store.transaction() as tx:
            case = tx.case_by_ref(ref)
            assert case is not None
            return case.state


def run_demo(directory: Path, console: Console) -> bool:
    """Play the story; True when every case ended where the procedure says it should."""
    if directory.exists():
        shutil.rmtree(directory)
    incoming = directory / "incoming"
    incoming.mkdir(parents=True)
    config = directory / "mailflow.toml"
    config.write_text(
        "# Written by `mailflow demo`: the embedded defaults, with paths relative to this folder.\n"
        "# Explore the demo's cases with: mailflow --config " + str(config) + " cases\n",
        encoding="utf-8",
    )
    settings = load_settings(config, environ={})
    start = datetime.combine(SystemClock().now().astimezone(PARIS).date(), time(9, 0), PARIS)
    clock = FixedClock(start)
    deps = build_deps(settings, clock=clock)
    assert isinstance(deps.mailbox, MaildirMailbox)
    story = _Story(deps, deps.mailbox, clock, incoming, console)
    dareic = settings.academie.dareic_address
    today = start.date()

    console.rule("Demande d'appariement du lycée Kléber (Strasbourg) vers le Bade-Wurtemberg")
    story.arrive(
        "ecole-demande",
        mails.school_request(
            fill_form(build_request_form(), mails.request_values(today)), clock.now(), dareic
        ),
        "le lycée envoie son formulaire",
    )
    ref = _only_ref(deps)
    request = story.last_mail("embassy_request")
    story.later(0, 2)
    story.arrive(
        "ambassade-absence",
        mails.embassy_out_of_office(request, clock.now()),
        "réponse automatique d'absence du ministère",
    )
    after_ooo = story.state(ref)
    story.later(1, 3)
    story.arrive(
        "lettre-information",
        mails.newsletter(clock.now(), dareic),
        "une lettre d'information (pas pour nous)",
    )
    story.arrive(
        "college-demande-incomplete",
        mails.incomplete_request(
            fill_form(build_request_form(), mails.incomplete_values(today)), clock.now(), dareic
        ),
        "le collège Jean Monnet envoie un formulaire incomplet",
    )
    story.later(12)
    sheet = fill_form(build_partner_sheet(), mails.partner_values())
    story.arrive(
        "ambassade-partenaire",
        mails.embassy_partner(request, sheet, clock.now()),
        "le ministère renvoie la fiche partenaire remplie",
    )
    story.later(3, 1)
    story.arrive(
        "ecole-accepte",
        mails.school_accepts(story.last_mail("partner_proposal_school"), clock.now()),
        "le lycée accepte le partenaire",
    )
    story.later(4, 2)
    story.arrive(
        "cabinet-valide",
        mails.rector_validates(story.last_mail("rector_request"), clock.now()),
        "le cabinet du recteur valide",
    )

    console.rule("Chronologie des dossiers")
    with deps.store.transaction() as tx:
        refs = [c.ref for c in tx.cases()]
    for case_ref in refs:
        data = case_timeline(deps, case_ref)
        assert data is not None
        print_timeline(console, data)
        console.print()
    checks = {
        f"{ref} validé par le recteur": story.state(ref) is CaseState.VALIDATED,
        "la réponse automatique n'a rien changé": after_ooo is CaseState.AT_EMBASSY,
        "la demande incomplète attend sa correction": any(
            story.state(r) is CaseState.INCOMPLETE for r in refs if r != ref
        ),
        "la lettre d'information est restée dans la boîte de réception": len(
            story.mailbox.folder_keys("INBOX")
        )
        == 1,
    }
    console.rule("Résultat")
    for label, ok in checks.items():
        console.print(f"{'✔' if ok else '✘'} {label}")
    console.print(f"\nCourriels reçus (tels qu'envoyés par les parties) : {incoming}")
    console.print(f"Courriels envoyés par mailflow (.eml) : {settings.path(settings.smtp.path)}")
    console.print(
        f"Boîte aux lettres (Maildir, avec Sent et mailflow/traites) : {settings.path(settings.mailbox.path)}"
    )
    console.print(f"Base de données : {settings.database_url}")
    console.print(f"Pour explorer : mailflow --config {config} cases  |  case {ref}")
    return all(checks.values())


def _only_ref(deps: Deps) -> str:
    with deps.store.transaction() as tx:
        cases = tx.cases()
    if len(cases) != 1:
        raise RuntimeError(f"expected one case after the first request, found {len(cases)}")
    return cases[0].ref
