"""`mailflow check-config`: load everything, render every template, connect to the servers; plain words."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mailflow.config import DEV_SECRET, Settings, load_directory
from mailflow.domain.errors import ConfigError, MailflowError
from mailflow.runtime.wiring import build_mailbox, build_transport, identity


@dataclass(frozen=True, slots=True)
class Finding:
    ok: bool
    what: str
    detail: str = ""


def check_config(settings: Settings) -> list[Finding]:
    """Every check, in the order an operator would fix things."""
    findings: list[Finding] = []
    if settings.security.secret in (None, "", DEV_SECRET):
        findings.append(
            Finding(
                settings.mailbox.kind == "maildir",
                "MAILFLOW_SECRET",
                "not set: Message-IDs are signed with the demo key (set it in production)",
            )
        )
    try:
        directory = load_directory(settings)
        findings.append(
            Finding(
                bool(directory.contacts),
                "counterpart directory",
                f"{len(directory.contacts)} contact(s) for {len({c.country for c in directory.contacts})} countries",
            )
        )
    except ConfigError as exc:
        findings.append(Finding(False, "counterpart directory", str(exc)))
    findings.append(_database(settings))
    findings.append(_templates(settings))
    findings.extend(_server("mailbox", lambda: build_mailbox(settings)))
    findings.extend(_server("smtp", lambda: build_transport(settings)))
    return findings


def _database(settings: Settings) -> Finding:
    from mailflow.adapters.db.store import SqlStore

    try:
        store = SqlStore(settings.database_url)
        store.upgrade()
        store.dispose()
        return Finding(True, "database", f"{settings.database_url.split('@')[-1]} is up to date")
    except Exception as exc:
        return Finding(False, "database", f"cannot open {settings.database_url.split('@')[-1]}: {exc}")


def _templates(settings: Settings) -> Finding:
    """Render every template with the context the services would build for a sample case."""
    from mailflow.adapters.clock import SystemClock
    from mailflow.adapters.render import JinjaRenderer
    from mailflow.runtime.samples import sample_context

    folder = Path(settings.paths.templates)
    renderer = JinjaRenderer(folder)
    names = renderer.templates()
    broken = []
    for name in names:
        try:
            renderer.render(name, sample_context(identity(settings), name, SystemClock().now().date()))
        except MailflowError as exc:
            broken.append(f"{name}: {exc}")
    if broken or not names:
        return Finding(False, "templates", "; ".join(broken) or f"no template found in {folder}")
    return Finding(True, "templates", f"{len(names)} rendered with a sample case")


def _server(label: str, build) -> list[Finding]:  # type: ignore[no-untyped-def]
    try:
        adapter = build()
    except ConfigError as exc:
        return [Finding(False, label, str(exc))]
    check = getattr(adapter, "check", None)
    if check is None:
        return [Finding(True, label, f"{type(adapter).__name__} (local files)")]
    try:
        problems = check()
    except MailflowError as exc:
        problems = [str(exc)]
    finally:
        close = getattr(adapter, "close", None)
        if close is not None:
            close()
    if problems:
        return [Finding(False, label, p) for p in problems]
    return [Finding(True, label, f"{type(adapter).__name__}: connected and ready")]
