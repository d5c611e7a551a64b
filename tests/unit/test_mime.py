"""parse_message: headers, charsets, bodies and attachments of raw mail, malformed or not."""

from __future__ import annotations

import base64
import binascii
import struct
from datetime import UTC, datetime

import pytest

from mailflow.domain.errors import ExtractError
from mailflow.extract.charsets import decode_bytes
from mailflow.extract.html2text import html_to_text
from mailflow.extract.mime import parse_message
from mailflow.extract.parts import safe_filename


def _mail(headers: str, body: bytes | str = b"Hello\n") -> bytes:
    body_bytes = body.encode() if isinstance(body, str) else body
    return headers.strip("\n").replace("\n", "\r\n").encode() + b"\r\n\r\n" + body_bytes


SIMPLE = _mail(
    """
Message-ID:  <abc.123@example.org>
From: =?utf-8?q?Ren=C3=A9e_Martin?= <Renee.Martin@Example.ORG>
To: Ecole <Ecole@AC-Strasbourg.fr>, other@example.org
Cc: "Dupont, Jean" <JEAN@example.org>
Subject: =?iso-8859-1?q?Demande_d'appariement_=E9t=E9?=
 2026
Date: Mon, 2 Mar 2026 11:30:00 +0100
In-Reply-To: <first@x.org> (message from someone)
References: <first@x.org>,<second@x.org>, <third@x.org>
Thread-Index: AQHZ1234
Content-Type: text/plain; charset=utf-8
""",
    "Bonjour, ça va ?\n",
)


def test_headers_are_decoded_when_the_message_is_well_formed() -> None:
    msg = parse_message(SIMPLE)
    assert msg.message_id == "<abc.123@example.org>"
    assert msg.subject == "Demande d'appariement été 2026"
    assert msg.from_addr == "renee.martin@example.org"
    assert msg.from_name == "Renée Martin"
    assert msg.to_addrs == ("ecole@ac-strasbourg.fr", "other@example.org")
    assert msg.cc_addrs == ("jean@example.org",)
    assert msg.date == datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
    assert msg.in_reply_to == ("<first@x.org>",)
    assert msg.thread_index == "AQHZ1234"
    assert msg.text == "Bonjour, ça va ?"
    assert msg.content_type == "text/plain"
    assert [k for k, _ in msg.headers][:3] == ["Message-ID", "From", "To"]
    assert msg.header("subject") == "Demande d'appariement été 2026"


def test_references_are_split_when_separated_by_commas() -> None:
    assert parse_message(SIMPLE).references == ("<first@x.org>", "<second@x.org>", "<third@x.org>")


def test_bare_message_id_gets_brackets_when_the_sender_left_them_out() -> None:
    msg = parse_message(_mail("Message-ID: bare.id@example.org\nIn-Reply-To: other@x.org"))
    assert msg.message_id == "<bare.id@example.org>"
    assert msg.in_reply_to == ("<other@x.org>",)


def test_date_is_utc_when_the_header_has_no_zone_or_is_garbage() -> None:
    assert parse_message(_mail("Date: Mon, 2 Mar 2026 11:30:00 -0000")).date == datetime(
        2026, 3, 2, 11, 30, tzinfo=UTC
    )
    assert parse_message(_mail("Date: yesterday at noon")).date is None


def test_body_is_decoded_with_the_declared_charset_when_it_is_right() -> None:
    raw = _mail("Content-Type: text/plain; charset=iso-8859-1", "Réponse".encode("latin-1"))
    assert parse_message(raw).text == "Réponse"


def test_body_falls_back_to_utf8_when_the_declared_charset_is_wrong() -> None:
    raw = _mail("Content-Type: text/plain; charset=us-ascii", "déjà vu".encode())
    assert parse_message(raw).text == "déjà vu"


def test_body_is_read_when_the_charset_is_unknown() -> None:
    raw = _mail("Content-Type: text/plain; charset=x-no-such-charset", "été".encode("cp1252"))
    assert parse_message(raw).text == "été"


def test_decode_bytes_never_raises_when_bytes_are_invalid_everywhere() -> None:
    assert decode_bytes(b"abc\x81\xff", "utf-8").startswith("abc")
    assert decode_bytes(b"x", "rot13") == "x"  # not a text encoding: refused, falls back


def test_raw_utf8_headers_are_read_when_sent_without_encoding() -> None:
    raw = "Subject: Säying Hello\r\nFrom: Jöhn <john@example.org>\r\n\r\nx".encode()
    msg = parse_message(raw)
    assert msg.subject == "Säying Hello"
    assert msg.from_name == "Jöhn"


def test_no_exception_when_headers_are_malformed() -> None:
    raw = _mail(
        "To: unlisted-recipients:; (no To-header on input)\nFrom: <<<>>>\nSubject: =?utf-8?B?broken\n"
        "Date: 99 Foo 99999\nContent-Type: multipart/mixed"
    )
    msg = parse_message(raw)
    assert msg.to_addrs == ()
    assert msg.subject.startswith("=?utf-8?B?broken")


def test_html_only_body_becomes_readable_text_when_there_is_no_text_part() -> None:
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p>Bonjour&nbsp;Madame,</p><div>Ligne&nbsp;2<br>Ligne 3</div>"
        "<ul><li>un</li><li>deux</li></ul><blockquote>cité</blockquote></body></html>"
    )
    msg = parse_message(_mail("Content-Type: text/html; charset=utf-8", html))
    assert "alert" not in msg.text and "color" not in msg.text
    lines = msg.text.splitlines()
    assert "Bonjour Madame," in lines
    assert "Ligne 2" in lines and "Ligne 3" in lines
    assert "- un" in lines and "- deux" in lines
    assert "> cité" in lines


def test_html_to_text_keeps_preformatted_lines_when_pre_is_used() -> None:
    assert html_to_text("<pre>a  b\nc</pre>") == "a  b\nc"


MULTI = _mail(
    """
From: a@example.org
Subject: files
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="XX"
""",
    (
        '--XX\r\nContent-Type: multipart/alternative; boundary="YY"\r\n\r\n'
        "--YY\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nle texte\r\n"
        "--YY\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>le html</p>\r\n--YY--\r\n"
        "--XX\r\nContent-Type: application/pdf; name*=utf-8''fiche%20%C3%A9t%C3%A9.pdf\r\n"
        "Content-Disposition: attachment; filename*=utf-8''fiche%20%C3%A9t%C3%A9.pdf\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(b"%PDF-1.4 data").decode() + "\r\n"
        '--XX\r\nContent-Type: text/plain; name="=?utf-8?B?w6ljb2xlLnR4dA==?="\r\n'
        'Content-Disposition: attachment; filename="=?utf-8?B?w6ljb2xlLnR4dA==?="\r\n\r\nhello\r\n'
        "--XX\r\nContent-Type: text/plain\r\n"
        'Content-Disposition: attachment; filename="1234/../../etc/passwd"\r\n\r\nroot\r\n'
        "--XX\r\nContent-Type: application/octet-stream\r\n\r\nno name\r\n"
        "--XX\r\nContent-Type: message/rfc822\r\n\r\n"
        "Message-ID: <inner@x.org>\r\nSubject: inner\r\n\r\ninner body\r\n"
        "--XX--\r\n"
    ),
)


def test_text_part_is_preferred_when_an_html_alternative_exists() -> None:
    assert parse_message(MULTI).text == "le texte"


def test_rfc2231_and_rfc2047_names_are_decoded_when_attachments_are_named() -> None:
    names = [a.filename for a in parse_message(MULTI).attachments]
    assert names[:2] == ["fiche été.pdf", "école.txt"]
    assert parse_message(MULTI).attachments[0].data == b"%PDF-1.4 data"


def test_path_traversal_name_is_neutralised_when_an_attachment_names_a_path() -> None:
    att = parse_message(MULTI).attachments[2]
    assert att.filename == "passwd"
    assert att.data.strip() == b"root"


def test_unnamed_attachment_gets_a_fallback_name_when_it_has_none() -> None:
    att = parse_message(MULTI).attachments[3]
    assert att.filename == "piece-jointe-4"
    assert att.content_type == "application/octet-stream"


def test_forwarded_message_is_one_attachment_when_message_rfc822_is_attached() -> None:
    att = parse_message(MULTI).attachments[4]
    assert att.content_type == "message/rfc822"
    assert att.filename == "piece-jointe-5.eml"
    inner = parse_message(att.data)
    assert inner.message_id == "<inner@x.org>"
    assert inner.text == "inner body"
    assert len(parse_message(MULTI).attachments) == 5  # nothing from inside the forwarded mail


def test_big_attachment_is_dropped_with_a_defect_when_over_the_limit() -> None:
    msg = parse_message(MULTI, max_attachment_bytes=10)
    assert "fiche été.pdf" not in [a.filename for a in msg.attachments]
    assert any("over the 10" in d for d in msg.defects)


@pytest.mark.parametrize(
    ("raw_name", "expected"),
    [
        ("..\\..\\windows\\evil.exe", "evil.exe"),
        ("..", "piece-jointe-3"),
        ("a\x00b\u202etxt.exe", "abtxt.exe"),
        ("x" * 300 + ".pdf", "x" * 146 + ".pdf"),
        ("report...final.pdf", "report.final.pdf"),
    ],
)
def test_filename_is_made_safe_when_it_is_hostile(raw_name: str, expected: str) -> None:
    assert safe_filename(raw_name, 3) == expected


def test_outlook_msg_file_raises_extract_error_when_given_instead_of_a_mail() -> None:
    with pytest.raises(ExtractError, match=r"\.msg"):
        parse_message(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)


def test_empty_input_raises_extract_error_when_there_is_nothing() -> None:
    with pytest.raises(ExtractError):
        parse_message(b"  \r\n")


def test_deep_nesting_is_capped_when_multiparts_nest_without_end() -> None:
    depth = 60
    body = ""
    for level in range(depth):
        body += f'--b{level}\r\nContent-Type: multipart/mixed; boundary="b{level + 1}"\r\n\r\n'
    body += f"--b{depth}\r\nContent-Type: text/plain\r\n\r\ndeep\r\n"
    raw = _mail('Content-Type: multipart/mixed; boundary="b0"', body)
    msg = parse_message(raw)
    assert any("nesting" in d for d in msg.defects)
    assert msg.text == ""


def test_delivery_status_part_is_kept_as_attachment_when_a_report_arrives() -> None:
    raw = _mail(
        'Content-Type: multipart/report; report-type=delivery-status; boundary="R"',
        "--R\r\nContent-Type: text/plain\r\n\r\nfailed\r\n"
        "--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        "Final-Recipient: rfc822; a@b.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        "--R\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <orig@x>\r\n\r\n--R--\r\n",
    )
    msg = parse_message(raw)
    kinds = [a.content_type for a in msg.attachments]
    assert kinds == ["message/delivery-status", "text/rfc822-headers"]
    assert b"Action: failed" in msg.attachments[0].data
    assert msg.text == "failed"


# --- TNEF (winmail.dat), uuencode, limits -------------------------------------------------------------


def _tnef_object(level: int, name: int, kind: int, data: bytes) -> bytes:
    return struct.pack("<BHHI", level, name, kind, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)


def _winmail(files: list[tuple[str, bytes]]) -> bytes:
    """A minimal TNEF stream as Outlook writes it: version, then per file rendering data, title, data."""
    out = struct.pack("<IH", 0x223E9F78, 0x0101) + _tnef_object(1, 0x9006, 0x0008, b"\x00\x00\x01\x00")
    for name, data in files:
        out += _tnef_object(2, 0x9002, 0x0006, b"\x01\x00" + b"\x00" * 12)
        out += _tnef_object(2, 0x8010, 0x0001, name.encode("cp1252") + b"\x00")
        out += _tnef_object(2, 0x800F, 0x0006, data)
    return out


def _outlook_rich_text(payload: bytes) -> bytes:
    return _mail(
        """
From: "Schmitt, Anne" <anne.schmitt@college.example.fr>
To: DAREIC <ce.dareic@ac-strasbourg.fr>
Subject: RE: [APP-2026-0042] Formulaire
Thread-Index: AcVx1m2nq8x0c1ZsT6qGm3n1pQ==
X-MS-Has-Attach: yes
X-MS-TNEF-Correlator: <00000000A1B2C3D4E5F6@college.example.fr>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="----_=_NextPart_001_01C5A1B2.3C4D5E6F"
""",
        "------_=_NextPart_001_01C5A1B2.3C4D5E6F\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n"
        "Voici le formulaire rempli.\r\n"
        "------_=_NextPart_001_01C5A1B2.3C4D5E6F\r\n"
        'Content-Type: application/ms-tnef; name="winmail.dat"\r\nContent-Transfer-Encoding: base64\r\n'
        'Content-Disposition: attachment; filename="winmail.dat"\r\n\r\n'
        + base64.encodebytes(payload).decode().replace("\n", "\r\n")
        + "\r\n------_=_NextPart_001_01C5A1B2.3C4D5E6F--\r\n",
    )


def test_winmail_dat_is_replaced_by_its_files_when_outlook_packed_them() -> None:
    files = [("demande-appariement.xlsx", b"PK\x03\x04 sheet"), ("..\\lettre motivée.pdf", b"%PDF-1.4 x")]
    msg = parse_message(_outlook_rich_text(_winmail(files)))
    assert [(a.filename, a.data) for a in msg.attachments] == [
        ("demande-appariement.xlsx", b"PK\x03\x04 sheet"),
        ("lettre motivée.pdf", b"%PDF-1.4 x"),
    ]
    assert msg.attachments[0].content_type.endswith("spreadsheetml.sheet")
    assert msg.text == "Voici le formulaire rempli."


def test_winmail_dat_is_kept_with_a_defect_when_it_cannot_be_unpacked() -> None:
    msg = parse_message(_outlook_rich_text(_winmail([("a.txt", b"x")])[:20]))
    assert [a.filename for a in msg.attachments] == ["winmail.dat"]
    assert any("TNEF" in d for d in msg.defects)


def test_uuencoded_file_becomes_an_attachment_when_a_text_part_carries_one() -> None:
    encoded = (
        "begin 644 r\u00e9ponse.txt\n" + binascii.b2a_uu(b"OUI pour le partenariat\n").decode() + "`\nend\n"
    )
    raw = _mail(
        "From: a@example.org\nContent-Type: text/plain; charset=utf-8", f"Bonjour,\n\n{encoded}\nMerci\n"
    )
    msg = parse_message(raw)
    assert [(a.filename, a.data) for a in msg.attachments] == [("réponse.txt", b"OUI pour le partenariat\n")]
    assert msg.text == "Bonjour,\n\n\nMerci"


def test_begin_line_stays_text_when_what_follows_is_not_uuencoded() -> None:
    raw = _mail("From: a@example.org", "begin 644 not really\nthis is prose, not uuencode\nend\n")
    msg = parse_message(raw)
    assert msg.attachments == ()
    assert "this is prose" in msg.text


def test_attachments_past_the_total_limit_are_dropped_with_a_defect_when_a_mail_is_huge() -> None:
    msg = parse_message(MULTI, max_total_bytes=20)
    assert [a.filename for a in msg.attachments] == ["fiche été.pdf", "école.txt"]
    assert any("in all" in d for d in msg.defects)
