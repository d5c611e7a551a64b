"""Peak memory (RSS) of mailflow's processing: one mail with a 20 MB attachment, and the 2,000-mail backlog.

Each scenario runs in a fresh interpreter. The kernel's peak-RSS counter is reset (``/proc/self/clear_refs``)
once the servers are up and the imports done, so the figure is the peak *during processing* (it includes
the process's resident size at that moment, reported as "before"). tracemalloc's peak of Python
allocations is given for the attachment, from a second run (tracing inflates RSS). Target: under 200 MB.

    .venv/bin/python -m benchmarks.memory [--count 2000] [--size-mb 20] [--write benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import tracemalloc
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from mailflow.adapters.formbuild import build_request_form, fill_form
from mailflow.config import DatabaseSettings, MailboxSettings, Settings, SmtpSettings
from mailflow.runtime import demo_mails as mails
from mailflow.runtime.logging import configure_logging
from mailflow.runtime.wiring import build_deps
from mailflow.services.outbox import drain_once
from mailflow.services.poll import poll_once
from tests.fixtures.dovecot import start_dovecot

TARGET_MB = 200


def rss_reset() -> bool:
    """Reset the kernel's peak-RSS counter (VmHWM) of this process; False when not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def rss_now_mb() -> float:
    """VmRSS (resident size now) in MB; 0 when /proc is not there."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def rss_peak_mb() -> float:
    """VmHWM (peak RSS since the last reset) in MB, else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def big_request(size_mb: int) -> bytes:
    """A school's request with the official form and a scanned annex of ``size_mb`` MB (a PDF)."""
    msg = EmailMessage()
    msg["From"], msg["To"] = mails.SCHOOL, "ce.dareic@ac-strasbourg.fr"
    msg["Subject"], msg["Date"] = (
        "Demande d'appariement et annexes",
        format_datetime(datetime.now().astimezone()),
    )
    msg["Message-ID"] = "<big-annex@ac-strasbourg.fr>"
    msg.set_content("Veuillez trouver notre demande et le projet pédagogique numérisé.")
    form = fill_form(build_request_form(), mails.request_values(date.today()))
    msg.add_attachment(form, *mails.XLSX, filename="demande-appariement.xlsx")
    annex = b"%PDF-1.4\n" + os.urandom(size_mb * 1_000_000)
    msg.add_attachment(annex, "application", "pdf", filename="projet-numerise.pdf")
    return bytes(msg)


def attachment_scenario(size_mb: int, trace: bool) -> dict[str, Any]:
    """In this process: one big mail through poll_once and the outbox; peak RSS, or with ``trace`` the
    peak of Python's allocations (tracemalloc's own bookkeeping inflates RSS: never both at once)."""
    configure_logging()
    server = start_dovecot()
    work = Path(tempfile.mkdtemp(prefix="mailflow-memory-"))
    try:
        user, password = server.new_user()
        raw = big_request(size_mb)
        with server.client(user, password) as client:
            client.append("INBOX", raw)
        wire_mb = len(raw) / 1e6
        del raw
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
        before = rss_now_mb()
        rss_reset()
        if trace:
            tracemalloc.start()
        report = poll_once(deps)
        drain_once(deps)
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        peak = rss_peak_mb()
        deps.store.dispose()
        return {
            "wire_mb": wire_mb,
            "statuses": report.statuses,
            "rss_before_mb": before,
            "peak_rss_mb": peak,
            "tracemalloc_peak_mb": traced_peak / 1e6,
        }
    finally:
        server.remove()


def _child(args: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent.parent,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="mails in the backlog scenario (0: skip it)")
    parser.add_argument("--size-mb", type=int, default=20)
    parser.add_argument("--write", type=Path, default=None)
    parser.add_argument("--scenario", choices=["attachment"], default=None, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scenario == "attachment":
        print(json.dumps(attachment_scenario(args.size_mb, args.trace)))
        return
    scenario = ["benchmarks.memory", "--scenario", "attachment", "--size-mb", str(args.size_mb)]
    big = _child(scenario)
    big["tracemalloc_peak_mb"] = _child([*scenario, "--trace"])["tracemalloc_peak_mb"]
    lines = [
        f"one request with a {args.size_mb} MB attachment ({big['wire_mb']:.0f} MB on the wire, "
        f"{big['statuses']}): peak RSS {big['peak_rss_mb']:.0f} MB (before: {big['rss_before_mb']:.0f} MB; "
        f"Python allocations peak {big['tracemalloc_peak_mb']:.0f} MB); target < {TARGET_MB} MB"
    ]
    if args.count:
        backlog = _child(["benchmarks.backlog", "--count", str(args.count), "--json"])
        lines.append(
            f"backlog of {args.count} mails: peak RSS {backlog['peak_rss_mb']:.0f} MB "
            f"(before: {backlog['rss_before_mb']:.0f} MB); target < {TARGET_MB} MB"
        )
    text = "\n".join(lines)
    print(text)
    if args.write:
        machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
        block = "\n".join(f"    {line}" for line in lines)
        with args.write.open("a", encoding="utf-8") as fh:
            fh.write(f"\n### Peak memory ({stamp}; {machine})\n\n{block}\n")


if __name__ == "__main__":
    main()
