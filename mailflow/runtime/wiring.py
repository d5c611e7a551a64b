"""Build the services' dependencies from settings: the only place that names concrete adapters."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from mailflow.adapters.clock import SystemClock
from mailflow.adapters.db.store import SqlStore
from mailflow.adapters.filesend import FileTransport
from mailflow.adapters.holidays import HolidaysCalendar
from mailflow.adapters.letters import PdfLetters
from mailflow.adapters.maildir import MaildirMailbox
from mailflow.adapters.mime_out import SerializeOnce, serialize
from mailflow.adapters.render import JinjaRenderer
from mailflow.config import Settings, load_directory
from mailflow.domain.errors import ConfigError
from mailflow.domain.ids import MessageIdSigner, ThreadIndexer
from mailflow.ports import Clock, Mailbox, MailSerializer, Transport
from mailflow.runtime.malloc import return_large_buffers
from mailflow.services.deps import Deps, Identity


def _ca(settings: Settings, ca_file: str | None) -> str | None:
    """A CA bundle path from the configuration, relative to the configuration file's folder."""
    return str(settings.path(ca_file)) if ca_file else None


def build_mailbox(settings: Settings, clock: Clock | None = None) -> Mailbox:
    mb = settings.mailbox
    if mb.kind == "maildir":
        return MaildirMailbox(
            settings.path(mb.path),
            inbox=mb.inbox,
            processed=mb.processed,
            quarantine=mb.quarantine,
            sent=mb.sent,
            clock=clock,
        )
    from mailflow.adapters.imap import ImapMailbox  # imported here: the embedded set-up needs no IMAP library

    if not mb.password:
        raise ConfigError('mailbox.kind is "imap" but MAILFLOW_MAILBOX_PASSWORD is not set')
    return ImapMailbox(
        mb.host,
        mb.port,
        mb.username,
        mb.password,
        security=mb.security,
        ca_file=_ca(settings, mb.ca_file),
        inbox=mb.inbox,
        processed=mb.processed,
        quarantine=mb.quarantine,
        sent=mb.sent,
        idle=mb.idle,
    )


def build_transport(settings: Settings, serializer: MailSerializer = serialize) -> Transport:
    if settings.smtp.kind == "file":
        return FileTransport(settings.path(settings.smtp.path), serializer)
    from mailflow.adapters.smtp import SmtpTransport

    smtp = settings.smtp
    if smtp.username and not smtp.password:
        raise ConfigError("smtp.username is set but MAILFLOW_SMTP_PASSWORD is not")
    return SmtpTransport(
        smtp.host,
        smtp.port,
        security=smtp.security,
        username=smtp.username,
        password=smtp.password,
        ca_file=_ca(settings, smtp.ca_file),
        serializer=serializer,
    )


def identity(settings: Settings) -> Identity:
    a = settings.academie
    return Identity(
        academie_name=a.name,
        dareic_name=a.dareic_name,
        dareic_address=a.dareic_address.lower(),
        rector_address=a.rector_address.lower(),
        staff=frozenset(s.lower() for s in a.staff),
        school_domain=a.school_domain,
        case_prefix=a.case_prefix,
        signatory_name=a.signatory_name,
        signatory_title=a.signatory_title,
        trusted_authserv_id=settings.security.trusted_authserv_id,
        timezone=ZoneInfo(a.timezone),
    )


def _read(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


def crash_probe(spec: str | None) -> Callable[[str], None]:
    """For the crash-matrix tests only: ``MAILFLOW_CRASH_AT=point:n`` SIGKILLs the process the n-th time
    the services pass ``point`` (stored, ingested, moved, leased, accepted, marked). Unset: a no-op."""
    if not spec:
        return lambda point: None
    target, _, count = spec.partition(":")
    remaining = [int(count or 1)]

    def probe(point: str) -> None:
        if point == target:
            remaining[0] -= 1
            if remaining[0] <= 0:
                os.kill(os.getpid(), signal.SIGKILL)

    return probe


def build_deps(
    settings: Settings, *, clock: Clock | None = None, with_mailbox: bool = True, upgrade: bool = True
) -> Deps:
    """Everything wired from settings; the database schema is brought up to date first."""
    return_large_buffers()  # a big mail's buffers go back to the system once processed
    store = SqlStore(settings.database_url)
    if upgrade:
        store.upgrade()
    forms_dir = Path(settings.paths.forms)
    serializer = SerializeOnce()  # one serialisation per mail for the transport and the Sent copy
    return Deps(
        store=store,
        transport=build_transport(settings, serializer),
        renderer=JinjaRenderer(Path(settings.paths.templates)),
        serializer=serializer,
        clock=clock or SystemClock(),
        holidays=HolidaysCalendar(),
        identity=identity(settings),
        policy=settings.domain_policy(),
        directory=load_directory(settings),
        signer=MessageIdSigner(settings.secret_bytes(), settings.academie.id_domain),
        threads=ThreadIndexer(settings.secret_bytes(), settings.academie.case_prefix),
        secret=settings.secret_bytes(),
        mailbox=build_mailbox(settings, clock) if with_mailbox else None,
        partner_sheet=_read(forms_dir / "fiche-partenaire.xlsx"),
        request_form=_read(forms_dir / "demande-appariement.xlsx"),
        letters=PdfLetters(Path(settings.paths.templates)),
        outbox_lease=timedelta(seconds=settings.smtp.lease_seconds),
        retry_base=timedelta(seconds=settings.smtp.retry_base_seconds),
        probe=crash_probe(os.environ.get("MAILFLOW_CRASH_AT")),
    )
