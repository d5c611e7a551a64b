"""FileTransport and serialize: outgoing mail written as .eml files that read back intact."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from mailflow.adapters.filesend import FileTransport
from mailflow.adapters.mime_out import SerializeOnce, serialize
from mailflow.domain.errors import PermanentError
from mailflow.domain.message import Attachment, OutboundEmail
from mailflow.extract.mime import parse_message


def _email(**changes: object) -> OutboundEmail:
    values: dict[str, object] = {
        "message_id": "<APP-2026-0042.n1.abcdefghijklmnop@dareic.test>",
        "from_addr": "ce.dareic@ac-strasbourg.fr",
        "from_name": "DAREIC – Académie de Strasbourg",
        "to_addrs": ("ce.0671234a@ac-strasbourg.fr",),
        "cc_addrs": ("copie@ac-strasbourg.fr",),
        "subject": "[APP-2026-0042] Proposition de partenaire : École Pasteur",
        "text": "Bonjour,\n\nVoici la proposition.\n",
        "html": "<p>Bonjour,</p><p>Voici la proposition.</p>",
        "date": datetime(2026, 3, 2, 9, 15, tzinfo=UTC),
        "in_reply_to": "<orig@ecole.example>",
        "references": ("<first@ecole.example>", "<orig@ecole.example>"),
        "extra_headers": (("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "OOF, AutoReply")),
        "attachments": (
            Attachment(filename="fiche élève.pdf", content_type="application/pdf", data=b"%PDF-1.4 x"),
        ),
    }
    values.update(changes)
    return OutboundEmail.model_validate(values)


def test_written_eml_parses_back_with_headers_intact_when_sent(tmp_path: Path) -> None:
    transport = FileTransport(tmp_path)
    assert transport.send([_email()]) == [None]
    (path,) = tmp_path.glob("*.eml")
    msg = parse_message(path.read_bytes())
    assert msg.message_id == "<APP-2026-0042.n1.abcdefghijklmnop@dareic.test>"
    assert msg.subject == "[APP-2026-0042] Proposition de partenaire : École Pasteur"
    assert (msg.from_addr, msg.from_name) == ("ce.dareic@ac-strasbourg.fr", "DAREIC – Académie de Strasbourg")
    assert msg.to_addrs == ("ce.0671234a@ac-strasbourg.fr",)
    assert msg.cc_addrs == ("copie@ac-strasbourg.fr",)
    assert msg.in_reply_to == ("<orig@ecole.example>",)
    assert msg.references == ("<first@ecole.example>", "<orig@ecole.example>")
    assert msg.date == datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    assert msg.header("Auto-Submitted") == "auto-replied"
    assert msg.text == "Bonjour,\n\nVoici la proposition."
    assert [(a.filename, a.data) for a in msg.attachments] == [("fiche élève.pdf", b"%PDF-1.4 x")]


def test_file_name_is_readable_when_written(tmp_path: Path) -> None:
    FileTransport(tmp_path).send([_email()])
    (path,) = tmp_path.glob("*.eml")
    assert path.name.startswith("20260302-091500-0001-ce.0671234a@ac-strasbourg.fr-APP-2026-0042-Proposition")
    assert "/" not in path.name and " " not in path.name


def test_same_message_id_writes_one_file_when_sent_twice(tmp_path: Path) -> None:
    FileTransport(tmp_path).send([_email()])
    assert FileTransport(tmp_path).send([_email(), _email()]) == [None, None]
    assert len(list(tmp_path.glob("*.eml"))) == 1


def test_distinct_mails_get_distinct_files_when_subjects_are_equal(tmp_path: Path) -> None:
    transport = FileTransport(tmp_path)
    transport.send([_email(), _email(message_id="<other@dareic.test>")])
    names = sorted(p.name for p in tmp_path.glob("*.eml"))
    assert len(names) == 2 and "-0001-" in names[0] and "-0002-" in names[1]
    assert transport.path_for("<other@dareic.test>") is not None


def test_numbering_continues_after_the_files_already_there_when_a_new_transport_starts(
    tmp_path: Path,
) -> None:
    FileTransport(tmp_path).send([_email(), _email(message_id="<second@dareic.test>")])
    again = FileTransport(tmp_path)  # a restarted daemon counts the folder once, then keeps counting
    again.send([_email(message_id="<third@dareic.test>"), _email(message_id="<fourth@dareic.test>")])
    names = sorted(p.name for p in tmp_path.glob("*.eml"))
    assert [n.split("-")[2] for n in names] == ["0001", "0002", "0003", "0004"]


def test_serialize_once_gives_the_same_bytes_for_one_mail_and_serialises_it_once() -> None:
    calls = []

    def counting(email: OutboundEmail) -> bytes:
        calls.append(email.message_id)
        return serialize(email)

    once = SerializeOnce(keep=2, serializer=counting)
    first, other = _email(), _email(message_id="<other@dareic.test>")
    raw = once(first)
    assert once(first) is raw and raw == serialize(first)  # the transport, then the Sent copy
    assert once(other) == serialize(other)
    assert once(_email()) == raw  # an equal mail but another object: serialised again, same bytes
    assert calls == [first.message_id, "<other@dareic.test>", first.message_id]
    once(_email(message_id="<third@dareic.test>"))  # keeps two: ``other`` is now the oldest, forgotten
    count = len(calls)
    once(other)
    assert len(calls) == count + 1 and calls[-1] == "<other@dareic.test>"


def test_interrupted_send_is_completed_when_retried(tmp_path: Path) -> None:
    transport = FileTransport(tmp_path)
    transport.send([_email()])
    (path,) = tmp_path.glob("*.eml")
    path.unlink()  # as if the process died after the marker and before the file
    transport.send([_email()])
    assert [p.name for p in tmp_path.glob("*.eml")] == [path.name]


def test_unserialisable_mail_is_a_permanent_error_when_sent(tmp_path: Path) -> None:
    def broken(_: OutboundEmail) -> bytes:
        raise ValueError("bad address")

    (result,) = FileTransport(tmp_path, serializer=broken).send([_email()])
    assert isinstance(result, PermanentError)
    assert list(tmp_path.glob("*.eml")) == []


def test_crlf_injection_is_neutralised_when_subject_and_names_carry_line_breaks() -> None:
    raw = serialize(
        _email(
            subject="Bonjour\r\nBcc: victim@evil.example",
            from_name="DAREIC\nBcc: victim@evil.example",
            extra_headers=(("X-Note", "a\r\nBcc: victim@evil.example"),),
            attachments=(Attachment(filename="a\r\nb.pdf", content_type="application/pdf", data=b"x"),),
        )
    )
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Bcc"] is None
    assert "\r\nBcc" not in raw.decode("ascii") and "\nBcc" not in raw.decode("ascii")
    assert str(parsed["Subject"]) == "Bonjour Bcc: victim@evil.example"
    assert parsed["X-Note"] == "a Bcc: victim@evil.example"
    assert [p.get_filename() for p in parsed.iter_attachments()] == ["a b.pdf"]


def test_serialised_mail_uses_crlf_and_is_stable_when_serialised_twice() -> None:
    raw = serialize(_email())
    assert raw == serialize(_email())
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert raw.isascii()
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    names = [line.split(":", 1)[0] for line in head.split("\r\n") if line and not line[0].isspace()]
    assert names[:11] == [
        "Message-ID", "Date", "From", "To", "Cc", "Subject", "In-Reply-To", "References", "MIME-Version",
        "Auto-Submitted", "X-Auto-Response-Suppress",
    ]  # fmt: skip
    assert "filename*=utf-8''fiche%20%C3%A9l%C3%A8ve.pdf" in raw.decode()


def test_plain_text_mail_is_not_multipart_when_there_is_no_html_nor_attachment() -> None:
    parsed = message_from_bytes(serialize(_email(html=None, attachments=())), policy=policy.default)
    assert parsed.get_content_type() == "text/plain"
    assert parsed.get_content().replace("\r\n", "\n") == "Bonjour,\n\nVoici la proposition.\n"


def test_address_with_injected_header_is_refused_when_serialised() -> None:
    with pytest.raises(ValueError):
        serialize(_email(to_addrs=("ecole@ac-strasbourg.fr\r\nBcc: victim@evil.example",)))


def test_transports_match_the_ports_when_typed(tmp_path: Path) -> None:
    from mailflow.adapters.maildir import MaildirMailbox
    from mailflow.ports import Mailbox, MailSerializer, Transport

    transport: Transport = FileTransport(tmp_path / "out")
    mailbox: Mailbox = MaildirMailbox(tmp_path / "box")
    serializer: MailSerializer = serialize
    assert mailbox.name == "INBOX"
    assert transport.send([]) == []
    assert serializer(_email()).startswith(b"Message-ID: <APP-2026-0042.")
