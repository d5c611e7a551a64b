"""Settings: one TOML file (--config, else MAILFLOW_CONFIG, else embedded defaults); secrets from the environment."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mailflow.domain.directory import Contact, Directory
from mailflow.domain.effects import Party
from mailflow.domain.errors import ConfigError
from mailflow.domain.policy import Policy
from mailflow.domain.retention import RetentionPolicy

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "mailflow-demo-secret-change-me"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MailboxSettings(_Section):
    kind: Literal["imap", "maildir"] = "maildir"
    host: str = "127.0.0.1"
    port: int = 993
    security: Literal["ssl", "starttls", "none"] = "ssl"
    username: str = "ce.dareic"
    password: str | None = Field(default=None, exclude=True)
    ca_file: str | None = None
    inbox: str = "INBOX"
    processed: str = "mailflow/traites"
    quarantine: str = "mailflow/erreurs"
    sent: str = "Sent"
    idle: bool = True
    poll_seconds: int = 60
    path: str = "var/maildir"


class SmtpSettings(_Section):
    kind: Literal["smtp", "file"] = "file"
    host: str = "127.0.0.1"
    port: int = 587
    security: Literal["ssl", "starttls", "none"] = "starttls"
    username: str | None = None
    password: str | None = Field(default=None, exclude=True)
    ca_file: str | None = None
    path: str = "var/outbox"
    lease_seconds: int = (
        600  # a worker holds due mail this long while sending; a crashed worker's lease expires
    )
    retry_base_seconds: int = 60  # first retry after a 4xx or network error; then x5, x15, x60


class DatabaseSettings(_Section):
    url: str = "sqlite:///var/mailflow.db"


class AcademieSettings(_Section):
    name: str = "Académie de Strasbourg"
    dareic_name: str = (
        "Délégation académique aux relations européennes et internationales et à la coopération"
    )
    dareic_address: str = "ce.dareic@ac-strasbourg.fr"
    rector_address: str = "cabinet.recteur@ac-strasbourg.fr"
    staff: list[str] = Field(default_factory=lambda: ["dareic.agent@ac-strasbourg.fr"])
    school_domain: str = "ac-strasbourg.fr"
    case_prefix: str = "APP"
    timezone: str = "Europe/Paris"
    directory: str = "config/embassies.toml"
    signatory_name: str = "Pour le recteur et par délégation, la déléguée académique"
    signatory_title: str = (
        "Délégation académique aux relations européennes et internationales et à la coopération"
    )
    message_id_domain: str | None = None

    @field_validator("case_prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        if not v.isalpha() or not 2 <= len(v) <= 8:
            raise ValueError("case_prefix must be 2 to 8 letters, e.g. APP")
        return v.upper()

    @property
    def id_domain(self) -> str:
        return self.message_id_domain or self.dareic_address.rpartition("@")[2]


class SecuritySettings(_Section):
    trusted_authserv_id: str = "mx.ac-strasbourg.fr"  # the authserv-id our own mail server writes
    secret: str | None = Field(default=None, exclude=True)  # env MAILFLOW_SECRET


class RemindersSettings(_Section):
    school_days: int = 10
    embassy_days: int = 15
    rector_days: int = 5
    max_reminders: int = 3


class PolicySettings(_Section):
    auto_forward: bool = True
    ask_embassy_opinion: bool = True
    auto_confirm_partner_sheet: bool = True
    on_school_decline: Literal["ask_again", "close"] = "ask_again"
    max_auto_mails_per_day: int = 5
    max_form_attempts: int = 3


class DigestSettings(_Section):
    hour: int = 8  # the daily digest goes to the staff list at this local time, on working days
    minute: int = 0


class PathsSettings(_Section):
    templates: str = str(PROJECT_ROOT / "templates")
    forms: str = str(PROJECT_ROOT / "forms")


class Settings(_Section):
    mailbox: MailboxSettings = Field(default_factory=MailboxSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    academie: AcademieSettings = Field(default_factory=AcademieSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    reminders: RemindersSettings = Field(default_factory=RemindersSettings)
    policy: PolicySettings = Field(default_factory=PolicySettings)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    retention: RetentionPolicy = Field(default_factory=RetentionPolicy)
    paths: PathsSettings = Field(default_factory=PathsSettings)
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)

    def path(self, value: str) -> Path:
        """A configured path, relative ones taken from the configuration file's folder."""
        p = Path(value)
        return p if p.is_absolute() else self.base_dir / p

    @property
    def database_url(self) -> str:
        url = self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.path(url[len(prefix) :]))
        return url

    def domain_policy(self) -> Policy:
        r, p = self.reminders, self.policy
        return Policy(
            auto_forward=p.auto_forward,
            ask_embassy_opinion=p.ask_embassy_opinion,
            auto_confirm_partner_sheet=p.auto_confirm_partner_sheet,
            on_school_decline=p.on_school_decline,
            reminder_days={
                Party.SCHOOL: r.school_days,
                Party.EMBASSY: r.embassy_days,
                Party.RECTOR: r.rector_days,
                Party.STAFF: 3,
            },
            max_reminders=r.max_reminders,
            max_auto_mails_per_day=p.max_auto_mails_per_day,
            max_form_attempts=p.max_form_attempts,
        )

    def secret_bytes(self) -> bytes:
        return (self.security.secret or DEV_SECRET).encode()


def load_settings(path: str | Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Read the TOML file (if any) and the secrets from the environment; explain problems in plain words."""
    env = dict(os.environ if environ is None else environ)
    chosen = path or env.get("MAILFLOW_CONFIG")
    data: dict[str, object] = {}
    base_dir = Path.cwd()
    if chosen:
        file = Path(chosen)
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"configuration file not found: {file}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file} is not valid TOML: {exc}") from exc
        base_dir = file.resolve().parent
    try:
        settings = Settings.model_validate({**data, "base_dir": base_dir})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"invalid configuration ({chosen or 'embedded defaults'}): {problems}") from exc
    settings.mailbox.password = env.get("MAILFLOW_MAILBOX_PASSWORD")
    settings.smtp.password = env.get("MAILFLOW_SMTP_PASSWORD")
    settings.security.secret = env.get("MAILFLOW_SECRET")
    if "MAILFLOW_DATABASE_URL" in env:
        settings.database.url = env["MAILFLOW_DATABASE_URL"]
    return settings


def load_directory(settings: Settings) -> Directory:
    """The counterpart directory (config/embassies.toml); an absent file means an empty directory."""
    file = settings.path(settings.academie.directory)
    if not file.exists() and not Path(settings.academie.directory).is_absolute():
        file = PROJECT_ROOT / settings.academie.directory
    if not file.exists():
        return Directory()
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file} is not valid TOML: {exc}") from exc
    contacts: list[Contact] = []
    for code, entry in (data.get("country") or {}).items():
        for item in entry.get("contacts", []):
            try:
                contacts.append(Contact(country=code.upper(), **item))
            except (TypeError, ValidationError) as exc:
                raise ConfigError(f"{file}: contact for {code} is invalid: {exc}") from exc
    return Directory(contacts=tuple(contacts))
