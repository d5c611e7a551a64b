"""Property tests (hypothesis) on the MIME reader and writer.

- parse_message never raises anything but ExtractError, whatever the bytes: random bytes, structured
  but broken MIME (bad boundaries, encodings, charsets, encoded words, nesting), and mutated real mail
  (tests/data/mail, plus ../shared/corpus when present); the front of the pipeline (classify, the
  visible reply, commands, the form scan) never raises on what it returns.
- serialize() never lets a CR/LF in a header value become a header of its own: the output is parsed
  back and its header set compared with the expected one.

The strategies are reused by benchmarks/fuzz_mime.py for the long fuzzing run (docs/fuzzing.md).
"""

from __future__ import annotations

import email
import re
from datetime import UTC, date, datetime
from email import policy
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailflow.adapters.mime_out import serialize
from mailflow.domain.classify import classify
from mailflow.domain.commands import parse_commands
from mailflow.domain.errors import ExtractError
from mailflow.domain.message import Attachment, InboundMessage, OutboundEmail
from mailflow.extract.forms import scan_attachments
from mailflow.extract.mime import MAX_DEFECTS, parse_message
from mailflow.extract.parts import MAX_FILENAME
from mailflow.extract.replies import visible_reply

ROOT = Path(__file__).resolve().parents[2]
SEED_DIRS = (ROOT / "tests" / "data" / "mail", ROOT.parent / "shared" / "corpus")
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def seed_files(limit_bytes: int = 200_000) -> list[Path]:
    """Real messages to mutate: the project's own test mail, and the shared corpus when present."""
    found: list[Path] = []
    for folder in SEED_DIRS:
        if folder.is_dir():
            found.extend(p for p in sorted(folder.rglob("*.eml")) if p.stat().st_size <= limit_bytes)
    return found


SEEDS = seed_files()

# --- strategies ------------------------------------------------------------------------------------

_NAMES = (
    "From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References", "Reply-To",
    "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "MIME-Version", "Thread-Index",
    "Auto-Submitted", "X-Autoreply", "Precedence", "List-Id", "Return-Path", "X-Failed-Recipients",
    "Authentication-Results",
)  # fmt: skip
_CHARSETS = ("utf-8", "iso-8859-1", "windows-1252", "koi8-r", "shift_jis", "utf-7", "x-unknown", "", "utf-8'fr'")  # fmt: skip
_ENCODINGS = ("base64", "quoted-printable", "7bit", "8bit", "binary", "x-uuencode", "uuencode", "gzip", "")
_TYPES = (
    "text/plain", "text/html", "text/enriched", "application/octet-stream", "application/pdf",
    "application/ms-tnef", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "message/rfc822", "message/delivery-status", "message/disposition-notification", "text/rfc822-headers",
    "message/external-body", "multipart/mixed", "image/png", "", "garbage", "text/",
)  # fmt: skip
_EOL = st.sampled_from(["\r\n", "\n", "\r"])
_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
_word = st.text("abcdefghijklmnopqrstuvwxyz0123456789-._", min_size=1, max_size=12)


@st.composite
def encoded_words(draw: st.DrawFn) -> str:
    charset = draw(st.sampled_from(_CHARSETS))
    kind = draw(st.sampled_from("bBqQx"))
    payload = draw(
        st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_?%", max_size=30)
    )
    return f"=?{charset}?{kind}?{payload}?="


header_values = st.one_of(
    _text,
    encoded_words(),
    st.lists(st.one_of(_text, encoded_words()), max_size=4).map(" ".join),
    st.builds(lambda a, b: f'"{a}" <{b}@{b}.example>', _text, _word),
    st.builds(lambda a, b: f"<{a}@{b}>, {a}@{b} <<{b}>>", _word, _word),
    st.sampled_from(["", " ", "<>", "Mon, 99 Foo 2026 25:61:61 +9999", "=?", "\\", "\x00", "(((("]),
)


@st.composite
def headers(draw: st.DrawFn, extra: tuple[str, ...] = ()) -> str:
    eol = draw(_EOL)
    names = st.one_of(st.sampled_from(_NAMES + extra), _word)
    pairs = draw(st.lists(st.tuples(names, header_values), max_size=8))
    lines = []
    for name, value in pairs:
        fold = draw(st.sampled_from(["", f"{eol} ", f"{eol}\t"]))
        lines.append(f"{name}:{fold}{value}")
    return eol.join(lines) + eol


_PARAMS = (
    "; name*=utf-8''%E2%80%AE%2e%2e%2Fevil.xlsx",
    "; boundary=",
    '; report-type="delivery-status"',
    ";;;=",
)
_DISPOSITIONS = (
    "",
    "attachment",
    'inline; filename="../../etc/passwd"',
    "attachment; filename*0*=utf-8''a%20; filename*1=b.xlsx",
)
_BODIES = (
    "begin 644 x.txt\n#86)C\n`\nend\n", "=E9=3D=\n=ZZ", "SGVsbG8gd29ybGQ", "PK\x03\x04xl/workbook.xml", "%PDF-1.4\n",
    "Reporting-MTA: dns; x\n\nFinal-Recipient: rfc822; a@b\nAction: failed\nStatus: 5.1.1\n",
)  # fmt: skip
_param = st.one_of(
    st.sampled_from(_PARAMS),
    _text.map(lambda t: f'; name="{t}"'),
    st.sampled_from(_CHARSETS).map(lambda c: f'; charset="{c}"'),
)
_disposition = st.one_of(st.sampled_from(_DISPOSITIONS), _text.map(lambda t: f'attachment; filename="{t}"'))
_body = st.one_of(_text, st.binary(max_size=200).map(lambda b: b.decode("latin-1")), st.sampled_from(_BODIES))


@st.composite
def leaf(draw: st.DrawFn) -> str:
    """One non-multipart part: any type, odd parameters, any transfer encoding, any body."""
    eol = draw(_EOL)
    head = f"Content-Type: {draw(st.sampled_from(_TYPES))}{''.join(draw(st.lists(_param, max_size=3)))}{eol}"
    disposition, encoding = draw(_disposition), draw(st.sampled_from(_ENCODINGS))
    if disposition:
        head += f"Content-Disposition: {disposition}{eol}"
    if encoding:
        head += f"Content-Transfer-Encoding: {encoding}{eol}"
    return head + eol + draw(_body)


def _multipart(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    @st.composite
    def build(draw: st.DrawFn) -> str:
        boundary = draw(st.sampled_from(["b1", "=_x", "", " spaced ", "a" * 80, "--", "b1"]))
        subtype = draw(
            st.sampled_from(["mixed", "alternative", "related", "report", "signed", "digest", "x"])
        )
        eol = draw(_EOL)
        parts = draw(st.lists(children, max_size=4))
        close = draw(st.sampled_from([f"--{boundary}--", "", f"--{boundary}", "--other--"]))
        used = draw(st.sampled_from([boundary, boundary, "wrong"]))
        inner = "".join(f"--{used}{eol}{part}{eol}" for part in parts)
        preamble = draw(st.sampled_from(["", "This is a multi-part message.", "--"]))
        return f'Content-Type: multipart/{subtype}; boundary="{boundary}"{eol}{eol}{preamble}{eol}{inner}{close}{eol}'

    return build()


mime_parts = st.recursive(leaf(), _multipart, max_leaves=8)


@st.composite
def broken_messages(draw: st.DrawFn) -> bytes:
    """A message with plausible structure and random breakage: headers, then a (nested) MIME body."""
    top = draw(headers())
    body = draw(mime_parts)
    data = (top + body).encode("utf-8", "surrogateescape")
    if draw(st.booleans()):
        data = data.replace(b"\n", b"\r\n") if draw(st.booleans()) else data.replace(b"\r\n", b"\n")
    return data


@st.composite
def mutated_seeds(draw: st.DrawFn) -> bytes:
    """A real message, cut, spliced, with bytes flipped or lines dropped."""
    if not SEEDS:
        return draw(broken_messages())
    data = bytearray(draw(st.sampled_from(SEEDS)).read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        op = draw(st.sampled_from(["cut", "flip", "drop", "dup", "insert", "eol"]))
        at = draw(st.integers(0, len(data) - 1))
        if op == "cut":
            del data[at:]
        elif op == "flip":
            data[at] = draw(st.integers(0, 255))
        elif op == "drop":
            del data[at : at + draw(st.integers(1, 400))]
        elif op == "dup":
            data[at:at] = data[at : at + draw(st.integers(1, 400))]
        elif op == "insert":
            data[at:at] = draw(
                st.sampled_from([b"\r\n--", b"\n\n", b"=?utf-8?b?", b"\x00", b"boundary=", b"\r"])
            )
        else:
            data = bytearray(bytes(data).replace(b"\r\n", b"\n"))
    return bytes(data)


any_input = st.one_of(st.binary(max_size=3000), broken_messages(), mutated_seeds())

# --- the reader ----------------------------------------------------------------------------------------


def check_reader(raw: bytes) -> InboundMessage | None:
    """parse_message and the front of the ingest pipeline on ``raw``; assertion on any broken invariant."""
    try:
        msg = parse_message(raw)
    except ExtractError:
        return None
    assert "\r" not in msg.text
    assert "\n" not in msg.subject and "\r" not in msg.subject
    assert not re.search(r"\s", msg.from_addr)
    assert len(msg.defects) <= MAX_DEFECTS
    for name, _value in msg.headers:
        assert "\n" not in name and "\r" not in name
    for att in msg.attachments:
        assert att.filename and "/" not in att.filename and "\\" not in att.filename
        assert not att.filename.startswith(".") and len(att.filename) <= MAX_FILENAME
        assert not re.search(r"[\x00-\x1f\x7f]", att.filename)
    classify(msg, received=date(2026, 11, 23))
    parse_commands(visible_reply(msg.text))
    scan_attachments(msg.attachments)
    return msg


@FAST
@given(st.binary(max_size=4000))
def test_reader_raises_only_extract_error_when_bytes_are_random(raw):
    check_reader(raw)


@FAST
@given(broken_messages())
def test_reader_raises_only_extract_error_when_mime_is_structured_but_broken(raw):
    check_reader(raw)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_seeds())
def test_reader_raises_only_extract_error_when_real_mail_is_mutated(raw):
    check_reader(raw)


# --- the writer: header injection ----------------------------------------------------------------------

_BREAKS = ["\r\n", "\n", "\r", "\r\n ", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\r\r\n", "\x00"]
_INJECTED = ("Bcc", "X-Injected", "Content-Type", "To")


# str.splitlines() also breaks on \x1c-\x1e: mime_out.clean() once let them through and the stdlib then
# refused the header (docs/fuzzing.md, finding 4); they are tested on their own below.
_SEPARATORS = "\x1c\x1d\x1e"
_header_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters=_SEPARATORS), max_size=60
)


@st.composite
def hostile(draw: st.DrawFn) -> str:
    """Text as a form or a mail could bring it, with line breaks followed by a header of its own."""
    before, after = draw(_header_text), draw(_header_text)
    name = draw(st.sampled_from(_INJECTED))
    brk = draw(st.sampled_from(_BREAKS))
    return f"{before}{brk}{name}: evil@attacker.example{draw(st.sampled_from(_BREAKS))}{after}"


_BASE_HEADERS = {"message-id", "date", "from", "to", "subject", "mime-version", "content-type"}


def _mail(**changes: object) -> OutboundEmail:
    base: dict[str, object] = {
        "message_id": "<APP-2026-0001.abc@ac-strasbourg.fr>",
        "from_addr": "ce.dareic@ac-strasbourg.fr",
        "from_name": "Dareic",
        "to_addrs": ("ce.0670080y@ac-strasbourg.fr",),
        "subject": "Objet",
        "text": "Bonjour\r\nBcc: not-a-header@body.example\n",
        "date": datetime(2026, 11, 23, 9, tzinfo=UTC),
    }
    return OutboundEmail.model_validate(base | changes)


@FAST
@given(
    subject=hostile(),
    from_name=hostile(),
    topic=hostile(),
    filename=hostile(),
    reply=st.one_of(st.none(), hostile()),
    refs=st.lists(hostile(), max_size=2),
)
def test_serialize_never_lets_a_line_break_create_a_header_when_values_are_hostile(
    subject, from_name, topic, filename, reply, refs
):
    mail = _mail(
        from_name=from_name,
        subject=subject,
        html="<p>Bonjour</p>",
        in_reply_to=reply,
        references=tuple(refs),
        extra_headers=(("Thread-Topic", topic), ("Auto-Submitted", "auto-replied")),
        attachments=(Attachment(filename=filename, content_type="application/pdf", data=b"%PDF-1.4"),),
    )
    raw = serialize(mail)
    parsed = email.message_from_bytes(raw, policy=policy.default)
    expected = _BASE_HEADERS | {"thread-topic", "auto-submitted"}
    if reply is not None:
        expected.add("in-reply-to")
    if refs:
        expected.add("references")
    assert {k.lower() for k in parsed} == expected
    assert parsed.get_all("To") is not None and len(parsed.get_all("To")) == 1
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert not re.search(rb"^(?:Bcc|X-Injected):", head, re.M | re.I)
    for line in head.split(b"\r\n"):  # every line starts a known header or continues one
        assert line[:1] in (b" ", b"\t") or line.split(b":", 1)[0].lower().decode() in expected
    for part in parsed.walk():  # nor in the attachment's headers
        assert not {k.lower() for k in part} & {"bcc", "x-injected"}


@pytest.mark.parametrize("separator", list(_SEPARATORS))
def test_serialize_cleans_every_line_separator_python_knows_when_subject_has_one(separator):
    mail = _mail(subject=f"Lycée{separator}Bcc: evil@attacker.example")
    parsed = email.message_from_bytes(serialize(mail), policy=policy.default)
    assert "bcc" not in {k.lower() for k in parsed}
