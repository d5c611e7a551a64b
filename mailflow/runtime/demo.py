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
from mailflow.adapters.maildir import MaildirMailbox
from mailflow.config import Settings, load_settings
from mailflow.domain.message import OutboundEmail
from mailflow.domain.states import CaseState
from mailflow.runtime import demo_story as acts
from mailflow.runtime.show import print_timeline
from mailflow.runtime.wiring import build_deps
from mailflow.services.deps import Deps
from mailflow.services.outbox import drain_once
from mailflow.services.poll import poll_once
from mailflow.services.queries import case_timeline

PARIS = ZoneInfo("Europe/Paris")


class _Story:
    """The stage the demo's acts play on: a Maildir inbox, the pipeline, a simulated clock."""

    def __init__(
        self, deps: Deps, mailbox: MaildirMailbox, clock: FixedClock, incoming: Path, console: Console
    ):
        self.deps, self.mailbox, self.clock = deps, mailbox, clock
        self.incoming, self.console = incoming, console
        self.dareic = "ce.dareic@ac-strasbourg.fr"
        self.count = 0

    def now(self) -> datetime:
        return self.clock.now().astimezone(PARIS)

    def arrive(self, name: str, raw: bytes, caption: str) -> None:
        """A party's mail lands in the inbox; mailflow fetches it and sends what follows."""
        self.count += 1
        (self.incoming / f"{self.count:02d}-{name}.eml").write_bytes(raw)
        self.mailbox.deliver(raw)
        report = poll_once(self.deps)
        drained = drain_once(self.deps)
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(report.statuses.items()))
        self.console.print(
            f"[bold]{self.now():%d/%m %H:%M}[/bold] {caption} → {statuses}; "
            f"{drained.sent} courriel(s) envoyé(s)"
        )

    def later(self, days: int, hours: int = 0) -> None:
        self.clock.advance(timedelta(days=days, hours=hours))

    def last_mail(self, template: str) -> OutboundEmail:
        with self.deps.store.transaction() as tx:
            rows = [r for r in tx.outbox() if r.template == template]
        if not rows:
            raise RuntimeError(f"the demo expected a mail {template!r} and none was sent")
        return rows[-1].email


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
    story.dareic = settings.academie.dareic_address

    console.rule("Lycée Kléber (Strasbourg) → Bade-Wurtemberg : le parcours complet")
    acts.kleber(story)
    console.rule("Collège Jean Monnet (Haguenau) → Italie : formulaire incomplet, puis corrigé")
    acts.jean_monnet(story)
    console.rule("Lycée Marie Curie (Strasbourg) → Espagne : partenaire connu, avis de l'ambassade, refus")
    acts.marie_curie(story)

    console.rule("Chronologie des dossiers")
    with deps.store.transaction() as tx:
        cases = {c.school_name: c for c in tx.cases()}
    for case in cases.values():
        data = case_timeline(deps, case.ref)
        assert data is not None
        print_timeline(console, data)
        console.print()
    letters = _save_letters(deps, directory / "lettres")
    digest = _write_digest(settings, deps, directory / "recapitulatif.html", since=start)
    states = {name: case.state for name, case in cases.items()}
    checks = {
        "lycée Kléber : appariement validé, notification envoyée": states.get("Lycée Kléber")
        is CaseState.VALIDATED,
        "collège Jean Monnet : formulaire corrigé, demande transmise à l'Italie": states.get(
            "Collège Jean Monnet"
        )
        is CaseState.AT_EMBASSY,
        "lycée Marie Curie : refus du recteur transmis avec son motif": states.get("Lycée Marie Curie")
        is CaseState.REFUSED,
        "la lettre d'information est restée dans la boîte de réception": len(
            story.mailbox.folder_keys("INBOX")
        )
        == 1,
        "les lettres (notification, dossiers) sont des PDF": len(letters) >= 3,
        "le récapitulatif du jour de la Dareic est prêt": digest.exists(),
    }
    console.rule("Résultat")
    for label, ok in checks.items():
        console.print(f"{'✔' if ok else '✘'} {label}")
    console.print(f"\nCourriels reçus (tels qu'envoyés par les parties) : {incoming}")
    console.print(f"Courriels envoyés par mailflow (.eml) : {settings.path(settings.smtp.path)}")
    console.print(f"Lettres (PDF) : {directory / 'lettres'}")
    console.print(f"Récapitulatif du jour de la Dareic (HTML, et .xlsx des dossiers ouverts) : {digest}")
    console.print(
        f"Boîte aux lettres (Maildir, avec Sent et mailflow/traites) : {settings.path(settings.mailbox.path)}"
    )
    console.print(f"Pour explorer : mailflow --config {config} cases  |  case RÉFÉRENCE")
    return all(checks.values())


def _write_digest(settings: Settings, deps: Deps, target: Path, since: datetime) -> Path:
    """The Dareic's digest on the story's last day, covering the whole story (the demo's own clock)."""
    from mailflow.runtime.digest_cli import digest_writer
    from mailflow.services.digest import build_view, digest_context

    writer = digest_writer(settings, deps)
    view = build_view(deps, since=since)
    rendered = writer.render(digest_context(deps, view))
    target.write_text(rendered.html, encoding="utf-8")
    target.with_suffix(".xlsx").write_bytes(writer.workbook(view))
    return target


def _save_letters(deps: Deps, folder: Path) -> list[Path]:
    """The PDF letters mailflow sent, written out for a person to open."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with deps.store.transaction() as tx:
        for record in tx.outbox():
            for attachment in record.email.attachments:
                if attachment.content_type == "application/pdf":
                    path = folder / attachment.filename
                    path.write_bytes(attachment.data)
                    written.append(path)
    return written
