"""A bounded fuzzing run (hypothesis) of the readers of hostile input: mail (MIME) and form files.

Targets, in rounds of hypothesis examples until the time is up:

- ``mime``: ``parse_message`` + classify + visible reply + commands + form scan (the front of the
  ingest pipeline) on random bytes, structured-but-broken MIME and mutated real mail (tests/data/mail
  and ../shared/corpus when present). Only ExtractError may come out.
- ``forms``: ``read_form_file`` + ``check_form`` on mutated official forms (xlsx, pdf) and home-made
  ones: byte flips, and XML-level edits inside the xlsx (values, deleted or duplicated elements, entity
  declarations). Only ExtractError (UnreadableForm) may come out.

A finding is any other exception, a broken invariant, or an input slower than ``--slow`` seconds;
each is saved under ``--out`` to be replayed. Results go in docs/fuzzing.md.

    .venv/bin/python -m benchmarks.fuzz_mime [--minutes 5] [--out var/fuzz] [--share 0.6]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import multiprocessing
import os
import platform
import re
import resource
import time
import traceback
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from mailflow.domain.errors import ExtractError
from mailflow.domain.forms import FORM_SPECS, check_form
from mailflow.extract.forms import read_form_file
from tests.unit.test_property_mime import SEEDS, any_input, check_reader

ROOT = Path(__file__).resolve().parent.parent
FORM_SEEDS = sorted(
    p
    for folder in (ROOT / "forms", ROOT / "tests" / "data" / "forms")
    for p in folder.glob("*")
    if p.suffix in {".xlsx", ".xls", ".pdf", ".ods"}
)
ROUND = 500  # examples per hypothesis round (a new seed each round)


@dataclass
class Stats:
    inputs: int = 0
    bytes: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    slowest: float = 0.0
    findings: dict[str, str] = field(default_factory=dict)  # signature -> saved file


def _xlsx_mutations(data: bytes, draw: st.DrawFn) -> bytes:
    """Re-zip an xlsx with one XML member edited."""
    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        members = {info.filename: zin.read(info) for info in zin.infolist()}
    xml = [n for n in members if n.endswith(".xml") or n.endswith(".rels")]
    name = draw(st.sampled_from(xml))
    text = members[name].decode("utf-8", "replace")
    edit = draw(st.sampled_from(["value", "drop", "dup", "entity", "truncate", "attr"]))
    if edit == "value":
        text = re.sub(
            r"<(v|t)>[^<]*</\1>", lambda m: f"<{m[1]}>{draw(st.text(max_size=30))}</{m[1]}>", text, count=3
        )
    elif edit == "drop":
        tags = re.findall(r"<[a-zA-Z:]+[^>]*/>", text)
        if tags:
            text = text.replace(draw(st.sampled_from(tags)), "", 1)
    elif edit == "dup":
        at = draw(st.integers(0, max(0, len(text) - 1)))
        text = text[:at] + text[at : at + draw(st.integers(1, 2000))] + text[at:]
    elif edit == "entity":
        text = re.sub(
            r"^(<\?xml[^>]*\?>)?",
            r'\1<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>',
            text,
            count=1,
        )
    elif edit == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    else:
        text = re.sub(
            r'(r|ref|sqref|count|t|s)="[^"]*"',
            lambda m: f'{m[1]}="{draw(st.text(max_size=8))}"',
            text,
            count=2,
        )
    members[name] = text.encode("utf-8", "surrogatepass")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for member, content in members.items():
            zout.writestr(member, content)
    return out.getvalue()


@st.composite
def form_files(draw: st.DrawFn) -> bytes:
    path = draw(st.sampled_from(FORM_SEEDS))
    data = path.read_bytes()
    if path.suffix == ".xlsx" and draw(st.booleans()):
        return _xlsx_mutations(data, draw)
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(buf) - 1))
        op = draw(st.sampled_from(["flip", "cut", "dup", "zero"]))
        if op == "flip":
            buf[at] = draw(st.integers(0, 255))
        elif op == "cut":
            del buf[at:]
        elif op == "dup":
            buf[at:at] = buf[at : at + draw(st.integers(1, 4096))]
        else:
            buf[at : at + 64] = bytes(min(64, len(buf) - at))
        if not buf:
            break
    return bytes(buf)


def check_form_file(data: bytes) -> None:
    try:
        raw = read_form_file(data)
    except ExtractError:
        return
    if raw is not None:
        for spec in FORM_SPECS.values():
            check_form(spec, raw.cells)


TARGETS: dict[str, tuple[Callable[[bytes], object], Callable[[], st.SearchStrategy[bytes]]]] = {
    "mime": (check_reader, lambda: any_input),
    "forms": (check_form_file, form_files),
}


def _round(name: str, round_no: int, end: float, out: Path, slow: float, conn: Connection) -> None:
    """One hypothesis round in a child process; its Stats go back through ``conn`` at the end."""
    target, strategy = TARGETS[name]
    stats = Stats()
    current = out / f"{name}-current.bin"  # the input in hand: left behind if the process dies on it

    def one(data: bytes) -> None:
        if time.monotonic() > end:
            return
        current.write_bytes(data)
        stats.inputs += 1
        stats.bytes += len(data)
        started = time.perf_counter()
        try:
            target(data)
            stats.outcomes["ok"] += 1
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # a finding (PyO3 panics are BaseException): save the input, go on
            stats.outcomes[type(exc).__name__] += 1
            where = traceback.extract_tb(exc.__traceback__)[-1]
            message = re.sub(r"\d+", "N", str(exc).splitlines()[0] if str(exc) else "")[:80]
            signature = f"{type(exc).__name__} at {Path(where.filename).name}:{where.lineno}: {message}"
            _save(stats, out, name, signature, data, exc)
        took = time.perf_counter() - started
        stats.slowest = max(stats.slowest, took)
        if took > slow:
            _save(stats, out, name, f"slow input ({took:.1f} s)", data, None)

    run = settings(
        max_examples=ROUND,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )(seed(round_no)(given(strategy())(one)))
    run()
    conn.send(stats)


def _run(name: str, budget: float, out: Path, slow: float) -> Stats:
    """Rounds in forked children until ``budget`` seconds are spent: a parsing library that aborts the
    process (Rust panics on allocation failure) kills one round, and its input is kept as a finding."""
    total = Stats()
    end = time.monotonic() + budget
    fork = multiprocessing.get_context("fork")
    round_no = 0
    while time.monotonic() < end:
        receive, send = fork.Pipe(duplex=False)
        child = fork.Process(target=_round, args=(name, round_no, end, out, slow, send))
        child.start()
        send.close()
        try:
            stats: Stats = receive.recv()
        except EOFError:  # the child died on the input in hand
            child.join()
            data = (out / f"{name}-current.bin").read_bytes()
            total.inputs += 1
            total.outcomes[f"process died (exit {child.exitcode})"] += 1
            _save(total, out, name, f"process died (exit {child.exitcode})", data, None)
        else:
            child.join()
            total.inputs += stats.inputs
            total.bytes += stats.bytes
            total.outcomes.update(stats.outcomes)
            total.slowest = max(total.slowest, stats.slowest)
            for key, where in stats.findings.items():
                total.findings.setdefault(key, where)
        round_no += 1
    return total


def _save(
    stats: Stats, out: Path, target: str, signature: str, data: bytes, exc: BaseException | None
) -> None:
    key = f"{target}: {signature}"
    if key in stats.findings:
        return
    path = out / f"{target}-{hashlib.sha256(signature.encode()).hexdigest()[:12]}.bin"  # one per kind
    path.write_bytes(data)
    stats.findings[key] = str(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--share", type=float, default=0.6, help="share of the time for mail (rest: forms)")
    parser.add_argument("--slow", type=float, default=2.0, help="seconds past which an input is a finding")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "fuzz")
    parser.add_argument("--max-memory-mb", type=int, default=4000, help="address-space limit (MemoryError)")
    args = parser.parse_args()
    limit = args.max_memory_mb * 1024 * 1024
    resource.setrlimit(
        resource.RLIMIT_AS, (limit, limit)
    )  # a memory bomb becomes a finding, not the OOM killer
    os.environ.setdefault("RUST_BACKTRACE", "0")  # a panicking parsing library: its message, not its stack
    total = args.minutes * 60
    started = datetime.now().astimezone()
    print(f"seeds: {len(SEEDS)} mails, {len(FORM_SEEDS)} form files; {args.minutes:g} min")
    args.out.mkdir(parents=True, exist_ok=True)
    results = {
        "mime": _run("mime", total * args.share, args.out, args.slow),
        "forms": _run("forms", total * (1 - args.share), args.out, args.slow),
    }
    print(f"\n{started:%Y-%m-%d %H:%M %Z}; {platform.machine()}, Python {platform.python_version()}")
    for name, s in results.items():
        print(
            f"{name}: {s.inputs} inputs ({s.bytes / 1e6:.1f} MB), outcomes {dict(s.outcomes)}, "
            f"slowest {s.slowest * 1000:.0f} ms, findings {len(s.findings)}"
        )
        for key, where in s.findings.items():
            print(f"  - {key}: {where}")


if __name__ == "__main__":
    main()
