"""Digest and export on 10,000 cases: time to build + render the digest (with its .xlsx), and `export`.

Builds a SQLite file with N cases (states spread over the lifecycle, one in ten waiting for staff, some
overdue, reminders, a day of inbound mail), then times each step with the real adapters. Target: < 3 s.

    .venv/bin/python -m benchmarks.digest_export [--cases 10000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openpyxl

from mailflow.adapters.clock import FixedClock
from mailflow.adapters.reports import DigestWriter, export_workbook, year_report
from mailflow.config import load_settings
from mailflow.domain.case import Case, CaseEvent, InboundRecord, InboundStatus
from mailflow.domain.effects import Party
from mailflow.domain.forms import REQUEST_FORM
from mailflow.domain.ids import MailboxKey
from mailflow.domain.states import CaseState
from mailflow.runtime.wiring import build_deps
from mailflow.services.deps import Deps
from mailflow.services.digest import all_cases, build_view, digest_context

NOW = datetime(2027, 3, 15, 6, 30, tzinfo=UTC)
STATES = [s for s in CaseState]
COUNTRIES = ("DE", "IT", "ES", "GB", "AT", "PL", "CZ", "PT")
STATUSES = ("claimed", "claimed", "claimed", "ignored", "not_ours", "unmatched", "quarantined", "duplicate")


def _form(n: int) -> dict[str, object]:
    form: dict[str, object] = {f.key: f"{f.label} {n}" for f in REQUEST_FORM.fields}
    form |= {"signed_on": "2027-01-10", "pupils_count": 20 + n % 10, "existing_partner": False,
             "languages_taught": ["allemand", "anglais"], "school_type": ("collège", "lycée professionnel")[n % 2]}  # fmt: skip
    return form


def populate(deps: Deps, count: int) -> None:
    """``count`` cases with events, and a day of inbound mail, in one transaction."""
    with deps.store.transaction() as tx:
        for n in range(1, count + 1):
            state = STATES[n % len(STATES)]
            opened = NOW - timedelta(days=n % 400, hours=n % 24)
            case = tx.add_case(
                Case(
                    ref=f"APP-2026-{n:05d}", state=state, opened_at=opened, updated_at=opened + timedelta(days=1),
                    school_address=f"ce.{n:07d}x@ac-strasbourg.fr", school_uai=f"{n:07d}X",
                    school_name=f"Lycée numéro {n}", target_country=COUNTRIES[n % len(COUNTRIES)],
                    embassy_address=f"scac{n % 20}@ambafrance.example", form=_form(n), form_version=1,
                    waiting_for=Party.EMBASSY if n % 3 else Party.SCHOOL,
                    due_on=(NOW + timedelta(days=(n % 40) - 10)).date(),
                    review_reason="réponse de l'ambassade à lire" if n % 10 == 0 else None,
                )
            )  # fmt: skip
            assert case.id is not None
            for _ in range(n % 3):
                tx.add_event(CaseEvent(case_id=case.id, at=opened, kind="remind", actor="system"))
            if n % 50 == 0:
                tx.add_event(CaseEvent(case_id=case.id, at=NOW - timedelta(hours=3), kind="embassy_replied",
                                       actor="scac@ambafrance.example", detail="lecture suggérée : question"))  # fmt: skip
        for uid in range(1, 301):
            inbound_id = tx.add_inbound(
                InboundRecord(key=MailboxKey("INBOX", 1, uid), message_id=f"<b{uid}@x>",
                              fetched_at=NOW - timedelta(minutes=uid), raw=b"From: a@b.example\r\nSubject: s\r\n\r\nx",
                              from_addr="a@b.example", subject=f"message {uid}")
            )  # fmt: skip
            assert inbound_id is not None
            tx.update_inbound(inbound_id, status=InboundStatus(STATUSES[uid % len(STATUSES)]), reason="x")


def _timed(label: str, action):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    print(f"{label:42} {seconds:6.2f} s")
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, default=None, help="leave the database and files here")
    parser.add_argument("--write", type=Path, default=None, help="append the figures to this file")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="mailflow-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "mailflow.toml"
    config.write_text("# benchmark: embedded defaults\n", encoding="utf-8")
    settings = load_settings(config, environ={})
    deps = build_deps(settings, clock=FixedClock(NOW), with_mailbox=False)
    writer = DigestWriter(Path(settings.paths.templates), deps.identity.timezone)
    _timed(f"populate {args.cases} cases (setup)", lambda: populate(deps, args.cases))

    def digest() -> tuple[int, int]:
        view = build_view(deps, since=NOW - timedelta(days=1))
        rendered = writer.render(digest_context(deps, view))
        return len(rendered.html), len(writer.workbook(view))

    (html, xlsx), t_digest = _timed("digest: build + render + .xlsx", digest)
    print(f"{'':42} html {html / 1024:.0f} KiB, xlsx {xlsx / 1024:.0f} KiB")

    def export() -> tuple[int, float]:
        started = time.perf_counter()
        cases = all_cases(deps)
        read = time.perf_counter() - started
        return len(export_workbook(cases, deps.identity.timezone)), read

    (size, t_read), t_export = _timed("export: read all cases + write .xlsx", export)
    print(f"{'':42} read {t_read:.2f} s + write {t_export - t_read:.2f} s, xlsx {size / 1024:.0f} KiB")
    _, t_report = _timed("report --year 2026", lambda: len(year_report(all_cases(deps), 2026)))
    verdict = "OK" if max(t_digest, t_export) < 3 else "SLOWER THAN THE 3 s TARGET"
    print(f"target < 3 s each: {verdict}  ({folder})")
    if args.write:
        machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
        block = (
            f"    digest: build + render + .xlsx               {t_digest:.2f} s   html {html / 1024:.0f} KiB, "
            f"xlsx {xlsx / 1024:.0f} KiB\n"
            f"    export: read all cases + write .xlsx         {t_export:.2f} s   read {t_read:.2f} s + write "
            f"{t_export - t_read:.2f} s, xlsx {size / 1024:.0f} KiB\n"
            f"    report --year 2026                           {t_report:.2f} s\n"
        )
        with args.write.open("a", encoding="utf-8") as fh:
            fh.write(f"\n### Digest and export, {args.cases} cases ({stamp}; {machine})\n\n{block}")
    if not openpyxl.LXML:
        print("note: lxml is not installed; openpyxl then serialises cells in pure Python (report slower)")


if __name__ == "__main__":
    main()
