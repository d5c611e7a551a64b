"""`mailflow check-config` against the real servers: a good set-up passes, a bad one is explained plainly."""

from __future__ import annotations

from pathlib import Path

from mailflow.config import load_settings
from mailflow.runtime.checks import check_config


def _settings(tmp_path: Path, dovecot, smtp_server, user: str, password: str):
    config = tmp_path / "mailflow.toml"
    config.write_text(
        f'[mailbox]\nkind = "imap"\nhost = "127.0.0.1"\nport = {dovecot.port}\nsecurity = "none"\n'
        f'username = "{user}"\n\n[smtp]\nkind = "smtp"\nhost = "127.0.0.1"\nport = {smtp_server.port}\n'
        'security = "none"\n',
        encoding="utf-8",
    )
    return load_settings(config, environ={"MAILFLOW_MAILBOX_PASSWORD": password, "MAILFLOW_SECRET": "s"})


def test_check_config_passes_when_servers_answer_and_credentials_are_right(tmp_path, dovecot, smtp_server):
    user, password = dovecot.new_user()
    findings = check_config(_settings(tmp_path, dovecot, smtp_server, user, password))
    assert [f.what for f in findings if not f.ok] == []
    assert {"database", "templates", "mailbox", "smtp"} <= {f.what for f in findings}


def test_check_config_explains_wrong_password_when_imap_refuses_login(tmp_path, dovecot, smtp_server):
    user, _ = dovecot.new_user()
    findings = check_config(_settings(tmp_path, dovecot, smtp_server, user, "wrong"))
    [mailbox] = [f for f in findings if f.what == "mailbox"]
    assert not mailbox.ok and "MAILFLOW_MAILBOX_PASSWORD" in mailbox.detail


def test_check_config_explains_unreachable_smtp_when_port_is_closed(tmp_path, dovecot, smtp_server):
    user, password = dovecot.new_user()
    settings = _settings(tmp_path, dovecot, smtp_server, user, password)
    settings.smtp.port = 1  # nothing listens there
    findings = check_config(settings)
    [smtp] = [f for f in findings if f.what == "smtp"]
    assert not smtp.ok and "refused" in smtp.detail.lower()
