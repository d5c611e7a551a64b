"""Build the services' dependencies from settings: the only place that names concrete adapters."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from mailflow.adapters.clock import SystemClock
from mailflow.adapters.db.store import SqlStore
from mailflow.adapters.filesend import FileTransport
from mailflow.adapters.holidays import HolidaysCalendar
from mailflow.adapters.maildir import MaildirMailbox
from mailflow.adapters.mime_out import serialize
from mailflow.adapters.render import JinjaRenderer
from mailflow.config import Settings, load_directory
from mailflow.domain.errors import ConfigError
from mailflow.domain.ids import MessageIdSigner
from mailflow.ports import Clock, Mailbox, Transport
from mailflow.services.deps import Deps, Identity


def build_mailbox(settings: Settings) -> Mailbox:
    mb = settings.mailbox
    if mb.kind == "maildir":
        return MaildirMailbox(
            settings.path(mb.path),
            inbox=mb.inbox,
            processed=mb.processed,
            quarantine=mb.quarantine,
            sent=mb.sent,
        )
    raise ConfigError('mailbox.kind = "imap" is not available yet in this version: use "maildir"')


def build_transport(settings: Settings) -> Transport:
    if settings.smtp.kind == "file":
        return FileTransport(settings.path(settings.smtp.path))
    raise ConfigError('smtp.kind = "smtp" is not available yet in this version: use "file"')


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


def build_deps(
    settings: Settings, *, clock: Clock | None = None, with_mailbox: bool = True, upgrade: bool = True
) -> Deps:
    """Everything wired from settings; the database schema is brought up to date first."""
    store = SqlStore(settings.database_url)
    if upgrade:
        store.upgrade()
    forms_dir = Path(settings.paths.forms)
    return Deps(
        store=store,
        transport=build_transport(settings),
        renderer=JinjaRenderer(Path(settings.paths.templates)),
        serializer=serialize,
        clock=clock or SystemClock(),
        holidays=HolidaysCalendar(),
        identity=identity(settings),
        policy=settings.domain_policy(),
        directory=load_directory(settings),
        signer=MessageIdSigner(settings.secret_bytes(), settings.academie.id_domain),
        mailbox=build_mailbox(settings) if with_mailbox else None,
        partner_sheet=_read(forms_dir / "fiche-partenaire.xlsx"),
        request_form=_read(forms_dir / "demande-appariement.xlsx"),
    )
