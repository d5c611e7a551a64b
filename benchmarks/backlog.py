"""Backlog ingest: 2,000 realistic mails waiting in a private Dovecot, processed to the end by poll_once.

The mix (issue 8): ~30 % new requests with the official form (distinct schools, valid UAIs), ~40 %
replies from those schools quoting their case reference, ~20 % auto-replies and bounces (real ones
from ../shared/corpus, fresh Message-IDs; synthetic ones when the corpus is absent), ~10 % not ours.

Two timed phases on one inbox: the 600 requests are APPENDed and processed to the end (they open the
cases), then the 1,400 other mails (the replies to those cases among them). Each phase is timed whole,
wall clock (fetch, store, ingest, MOVE, every commit), against its FLOOR, measured on the same mails
just before: batched ``UID FETCH BODY.PEEK[]`` (imapclient, debug off, 100 per batch like poll_once)
and parsing with the standard library's ``email`` package alone, plus opening the workbook with
openpyxl for the requests. Then the outbox is drained (FileTransport in a temp folder + the copy APPENDed to IMAP Sent).

    .venv/bin/python -m benchmarks.backlog [--count 2000] [--write benchmarks/RESULTS.md] [--profile FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import email
import io
import json
import os
import platform
import pstats
import random
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from imapclient import IMAPClient
from openpyxl import load_workbook

from benchmarks.memory import rss_now_mb, rss_peak_mb, rss_reset
from mailflow.adapters.formbuild import build_request_form, fill_form
from mailflow.config import DatabaseSettings, MailboxSettings, Settings, SmtpSettings
from mailflow.domain.uai import check_letter
from mailflow.runtime import demo_mails as mails
from mailflow.runtime.logging import configure_logging
from mailflow.runtime.wiring import build_deps
from mailflow.services import poll
from mailflow.services.outbox import drain_once
from tests.fixtures.dovecot import DovecotServer, start_dovecot

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
DAREIC = "ce.dareic@ac-strasbourg.fr"
MIX = {"request": 0.30, "reply": 0.40, "machine": 0.20, "not_ours": 0.10}
BATCH = 100
XLSX = mails.XLSX


def _mid(n: int) -> str:
    return f"<bench-{n:05d}@bench.example>"


def _message(sender: str, subject: str, body: str, n: int, when: datetime) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, DAREIC, subject
    msg["Date"], msg["Message-ID"] = format_datetime(when), _mid(n)
    msg.set_content(body)
    return msg


def _machine_templates() -> list[bytes]:
    found = [p for d in ("autoreply", "bounce") for p in sorted((CORPUS / d).glob("*.eml"))]
    if found:
        return [p.read_bytes() for p in found]
    synthetic = _message(
        "MAILER-DAEMON@mx.example", "Undeliverable: hello", "550 5.1.1 no such user", 0, datetime.now()
    )
    synthetic["Auto-Submitted"] = "auto-replied"
    return [bytes(synthetic)]


def _with_id(raw: bytes, n: int) -> bytes:
    """A corpus message under a fresh Message-ID (else deduplication would swallow the repeats)."""
    raw = re.sub(rb"(?im)^message-id:[^\n]*\n(?:[ \t][^\n]*\n)*", b"", raw, count=1)
    return f"Message-ID: {_mid(n)}\r\n".encode() + raw


def build_mails(count: int, year: int, today: date) -> list[tuple[str, bytes]]:
    """(category, raw) in arrival order; request k (1-based) becomes case APP-<year>-k, replies follow it."""
    rng = random.Random(8)
    plan = [cat for cat, share in MIX.items() for _ in range(round(count * share))][:count]
    plan += ["not_ours"] * (count - len(plan))
    rng.shuffle(plan)
    if plan[0] != "request":
        plan.remove("request")
        plan.insert(0, "request")
    blank = build_request_form()
    machine = _machine_templates()
    now = datetime.now().astimezone()
    schools: list[str] = []
    out: list[tuple[str, bytes]] = []
    for n, category in enumerate(plan):
        if category == "request":
            digits = f"067{len(schools) + 1000:04d}"
            uai = digits + check_letter(digits)
            address = f"ce.{uai.lower()}@ac-strasbourg.fr"
            values = mails.request_values(today) | {
                "uai": uai,
                "school_name": f"Collège n° {len(schools) + 1}",
                "school_email": address,
            }
            msg = _message(
                address, "Demande d'appariement", "Veuillez trouver ci-joint notre demande.", n, now
            )
            msg.add_attachment(fill_form(blank, values), *XLSX, filename=f"demande-{uai}.xlsx")
            schools.append(address)
            out.append((category, bytes(msg)))
        elif category == "reply":
            k = rng.randrange(len(schools))
            subject = f"RE: [APP-{year}-{k + 1:04d}] Accusé de réception de votre demande d'appariement"
            body = "Bonjour,\n\nMerci pour votre message, nous attendons la suite.\n\nCordialement\n\n> Bonjour,\n"
            out.append((category, bytes(_message(schools[k], subject, body, n, now))))
        elif category == "machine":
            out.append((category, _with_id(machine[n % len(machine)], n)))
        else:
            body = "Au sommaire : les appels à projets de l'année.\n" * rng.randint(1, 40)
            msg = _message(f"lettre{n}@info.example", f"Lettre d'information n° {n}", body, n, now)
            if n % 2:  # half lists, half plain strangers
                msg["List-Id"] = "<info.example>"
            out.append((category, bytes(msg)))
    return out


def stdlib_parse(raw: bytes, forms: bool) -> None:
    """What any program reading mail must do, with the standard library only (no mailflow code): the
    tree, every header decoded, every leaf part's content; and the workbook of an .xlsx opened."""
    msg = email.message_from_bytes(raw, policy=policy.default)
    for part in msg.walk():
        for name, value in part.raw_items():
            with contextlib.suppress(Exception):  # real mail has headers the policy cannot parse
                str(msg.policy.header_fetch_parse(name, value))
        if part.is_multipart():
            continue
        try:
            content = part.get_content()
        except Exception:
            continue
        if forms and (part.get_filename() or "").endswith(".xlsx"):
            load_workbook(io.BytesIO(content), read_only=True, data_only=True, keep_links=False).close()


def floor(server: DovecotServer, user: str, password: str, uids: list[int], forms: bool) -> float:
    """Seconds to FETCH (batched) and parse these UIDs with the standard library (stdlib_parse)."""
    client = IMAPClient(server.host, port=server.port, ssl=False, timeout=60)
    client._imap.debug = 0
    client.login(user, password)
    client.select_folder("INBOX", readonly=True)
    started = time.perf_counter()
    for i in range(0, len(uids), BATCH):
        chunk = uids[i : i + BATCH]
        for data in client.fetch(chunk, ["BODY.PEEK[]"]).values():
            stdlib_parse(bytes(data[b"BODY[]"]), forms)
    took = time.perf_counter() - started
    client.logout()
    return took


def _timed(
    func: Callable[..., Any], sink: list[tuple[Any, float]], key: Callable[[tuple[Any, ...], Any], Any]
) -> Callable[..., Any]:
    """``func`` recording (key(args, result), seconds) of every call in ``sink``."""

    def wrapper(*args: Any) -> Any:
        started = time.perf_counter()
        result = func(*args)
        sink.append((key(args, result), time.perf_counter() - started))
        return result

    return wrapper


def _append(server: DovecotServer, user: str, password: str, raws: list[bytes]) -> list[int]:
    """APPEND these mails to the inbox; their UIDs."""
    with server.client(user, password) as client:
        client.select_folder("INBOX", readonly=True)
        before = set(client.search(["ALL"]))
        for raw in raws:
            client.append("INBOX", raw)
        client.select_folder("INBOX", readonly=True)  # selected again: the new UIDs are seen
        return sorted(set(client.search(["ALL"])) - before)


def _drain_inbox(deps: Any, statuses: Counter[str]) -> None:
    while True:
        report = poll.poll_once(deps, batch=BATCH)
        statuses.update(report.statuses)
        if report.fetched == 0:
            return


def run(count: int, profile: str | None) -> dict[str, Any]:
    """Two timed phases on one inbox: the requests (which open the cases), then every other mail (the
    replies to those cases among them); each against the floor of the same mails."""
    server = start_dovecot()
    work = Path(tempfile.mkdtemp(prefix="mailflow-backlog-"))
    try:
        user, password = server.new_user()
        today = date.today()
        generated = build_mails(count, today.year, today)
        phases = {
            "form": [raw for cat, raw in generated if cat == "request"],
            "other": [raw for cat, raw in generated if cat != "request"],
        }
        del generated
        settings = Settings(
            base_dir=work,
            mailbox=MailboxSettings(
                kind="imap", host=server.host, port=server.port, security="none", username=user, idle=False
            ),
            smtp=SmtpSettings(kind="file", path=str(work / "outbox")),
            database=DatabaseSettings(url=f"sqlite:///{work / 'mailflow.db'}"),
        )
        settings.mailbox.password = password
        deps = build_deps(settings)
        originals = (poll._fetch_and_store, poll.ingest_one, poll._move)
        profiler = cProfile.Profile() if profile else None
        statuses: Counter[str] = Counter()
        floors: dict[str, float] = {}
        seconds: dict[str, float] = {}
        parts: dict[str, dict[str, float]] = {}
        n = {name: len(raws) for name, raws in phases.items()}
        rss_before = rss_now_mb()
        rss_reset()
        for name, raws in phases.items():
            uids = _append(server, user, password, raws)
            floors[name] = floor(server, user, password, uids, name == "form")
            spans: dict[str, list[tuple[Any, float]]] = {"fetch": [], "ingest": [], "move": []}
            poll._fetch_and_store = _timed(originals[0], spans["fetch"], lambda a, r: len(r))  # type: ignore[assignment]
            poll.ingest_one = _timed(originals[1], spans["ingest"], lambda a, r: a[1])  # type: ignore[assignment]
            poll._move = _timed(originals[2], spans["move"], lambda a, r: len(a[2]))  # type: ignore[assignment]
            if profiler:
                profiler.enable()
            started = time.perf_counter()
            _drain_inbox(deps, statuses)
            seconds[name] = time.perf_counter() - started
            if profiler:
                profiler.disable()
            parts[name] = {part: 1000 * sum(t for _, t in spans[part]) / n[name] for part in spans}
        poll._fetch_and_store, poll.ingest_one, poll._move = originals  # type: ignore[assignment]
        started = time.perf_counter()
        drained = drain_once(deps)
        drain_seconds = time.perf_counter() - started
        peak = rss_peak_mb()
        if profiler and profile:
            profiler.dump_stats(profile)
        deps.store.dispose()
        ingest_seconds = sum(seconds.values())
        return {
            "count": count,
            "statuses": dict(statuses),
            "ingest_seconds": ingest_seconds,
            "total_seconds": ingest_seconds + drain_seconds,
            "sent": drained.sent,
            "drain_seconds": drain_seconds,
            "rate": {k: n[k] / seconds[k] for k in n},
            "floor_rate": {k: n[k] / floors[k] for k in n},
            "n": n,
            "ms_per_msg": parts,
            "floor_ms_per_msg": {k: 1000 * floors[k] / n[k] for k in n},
            "peak_rss_mb": peak,
            "rss_before_mb": rss_before,
        }
    finally:
        server.remove()


def describe(r: dict[str, Any]) -> str:
    lines = [
        f"{r['count']} mails: poll_once to the end {r['ingest_seconds']:.1f} s "
        f"({r['count'] / r['ingest_seconds']:.0f} msg/s); outbox {r['sent']} mails in {r['drain_seconds']:.1f} s; "
        f"statuses {r['statuses']}",
    ]
    for key, label in (("other", "without forms"), ("form", "requests with forms")):
        rate, base = r["rate"][key], r["floor_rate"][key]
        ms = r["ms_per_msg"][key]
        lines.append(
            f"{label} (n={r['n'][key]}): mailflow {rate:.0f} msg/s, floor {base:.0f} msg/s, ratio {rate / base:.2f}"
            f" (ms per message: {1000 / rate:.2f} in all, of which fetch+store {ms['fetch']:.2f},"
            f" ingest {ms['ingest']:.2f}, move {ms['move']:.2f}; floor {r['floor_ms_per_msg'][key]:.2f})"
        )
    lines.append(
        f"peak RSS during processing: {r['peak_rss_mb']:.0f} MB (before: {r['rss_before_mb']:.0f} MB)"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--write", type=Path, default=None, help="append the figures to this file")
    parser.add_argument("--profile", default=None, help="write cProfile stats of mailflow's phase here")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON (for memory.py)")
    args = parser.parse_args()
    configure_logging()  # as `mailflow run` without -v: warnings only
    result = run(args.count, args.profile)
    if args.json:
        print(json.dumps(result))
        return
    text = describe(result)
    print(text)
    if args.profile:
        pstats.Stats(args.profile).sort_stats("cumulative").print_stats(25)
    if args.write:
        machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
        block = "\n".join(f"    {line}" for line in text.splitlines())
        with args.write.open("a", encoding="utf-8") as fh:
            fh.write(f"\n### Backlog ingest ({stamp}; {machine})\n\n{block}\n")


if __name__ == "__main__":
    main()
