"""Arrival-to-acknowledgement latency: a request APPENDed to the IMAP inbox -> its acknowledgement at SMTP.

Real servers on loopback: a private Dovecot (the test fixture's scripts) and an aiosmtpd sink; the
daemon `mailflow run` is a separate process under IMAP IDLE. Requests are sent one at a time (this
measures latency, not throughput). Dovecot waits 0.5 s before notifying an IDLE client: that is the floor.

    .venv/bin/python -m benchmarks.latency [--count 60] [--write benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

from aiosmtpd.controller import Controller

from mailflow.extract.mime import parse_message
from mailflow.runtime import demo_mails as mails
from tests.fixtures.dovecot import start_dovecot

WARM_UP = 3


class Sink:
    """Records when each acknowledgement (by the request it answers) reached the SMTP server."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        arrived = time.monotonic()
        msg = parse_message(envelope.content)
        for answered in msg.in_reply_to:
            with self.lock:
                self.arrivals.setdefault(answered, arrived)
        return "250 OK"

    def wait(self, message_id: str, timeout: float) -> float | None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                if message_id in self.arrivals:
                    return self.arrivals[message_id]
            time.sleep(0.002)
        return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(count: int) -> list[float]:
    dovecot = start_dovecot()
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    work = Path(tempfile.mkdtemp(prefix="mailflow-bench-"))
    user, password = dovecot.new_user()
    (work / "mailflow.toml").write_text(
        f'[mailbox]\nkind = "imap"\nhost = "127.0.0.1"\nport = {dovecot.port}\nsecurity = "none"\n'
        f'username = "{user}"\nidle = true\npoll_seconds = 60\n\n[smtp]\nkind = "smtp"\nhost = "127.0.0.1"\n'
        f'port = {port}\nsecurity = "none"\n',
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "MAILFLOW_CONFIG": str(work / "mailflow.toml"),
        "MAILFLOW_MAILBOX_PASSWORD": password,
        "MAILFLOW_SECRET": "bench",
    }
    daemon = subprocess.Popen(
        [sys.executable, "-m", "mailflow.cli", "run"],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    latencies: list[float] = []
    try:
        with dovecot.client(user, password) as imap:
            for i in range(count + WARM_UP):
                mid, raw = mails.numbered_request(i, datetime.now().astimezone())
                start = time.monotonic()
                imap.append("INBOX", raw)
                arrived = sink.wait(mid, timeout=30)
                if arrived is None:
                    raise RuntimeError(f"no acknowledgement for request {i} within 30 s")
                if i >= WARM_UP:
                    latencies.append(arrived - start)
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=30)
        controller.stop()
        dovecot.remove()
    return latencies


def summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    q = statistics.quantiles(ordered, n=100)
    return {
        "n": len(ordered),
        "p50": q[49],
        "p95": q[94],
        "min": ordered[0],
        "max": ordered[-1],
        "mean": statistics.fmean(ordered),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--write", type=Path, default=None, help="append the result section to this file")
    args = parser.parse_args()
    s = summary(run(args.count))
    line = (
        f"n={s['n']:.0f}  p50={s['p50']:.3f} s  p95={s['p95']:.3f} s  min={s['min']:.3f} s  "
        f"max={s['max']:.3f} s  mean={s['mean']:.3f} s"
    )
    print(line)
    if args.write:
        machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
        with args.write.open("a", encoding="utf-8") as fh:
            fh.write(f"\n### Arrival → acknowledgement latency ({stamp}; {machine})\n\n`{line}`\n")


if __name__ == "__main__":
    main()
