"""How much imapclient's default imaplib debug level costs on a big FETCH (MAIL.md §1).

imapclient sets ``client._imap.debug = 5``: imaplib then builds a ``repr()`` of every literal it reads,
even when no logger prints it. mailflow's ImapMailbox sets it to 0 right after connecting.

Run from the project root (starts a private Dovecot, like the tests):

    .venv/bin/python -m benchmarks.imap_debug [--messages 200] [--size 60000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from imapclient import IMAPClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fixtures.dovecot import DovecotServer, start_dovecot


def _message(n: int, size: int) -> bytes:
    line = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n"
    body = line * (size // len(line) + 1)
    head = f"From: a@example.org\r\nTo: b@example.org\r\nSubject: bench {n}\r\nMessage-ID: <b{n}@x>\r\n\r\n"
    return head.encode() + body[: max(0, size - len(head))]


def _fetch_seconds(server: DovecotServer, user: str, password: str, debug: int | None, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        client = IMAPClient(server.host, port=server.port, ssl=False, timeout=30)
        if debug is not None:
            client._imap.debug = debug
        client.login(user, password)
        client.select_folder("INBOX", readonly=True)
        uids = client.search(["ALL"])
        started = time.perf_counter()
        data = client.fetch(uids, ["BODY.PEEK[]"])
        times.append(time.perf_counter() - started)
        assert len(data) == len(uids)
        client.logout()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--size", type=int, default=60_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    server = start_dovecot()
    try:
        user, password = server.new_user()
        with server.client(user, password) as client:
            for n in range(args.messages):
                client.append("INBOX", _message(n, args.size))
        slow = _fetch_seconds(server, user, password, None, args.rounds)  # imapclient's default: 5
        fast = _fetch_seconds(server, user, password, 0, args.rounds)
        total_mb = args.messages * args.size / 1e6
        print(
            f"FETCH BODY.PEEK[] of {args.messages} x {args.size // 1000} KB ({total_mb:.0f} MB), median of {args.rounds}:"
        )
        print(f"  debug=5 (imapclient default): {slow:.3f} s  ({args.messages / slow:,.0f} msg/s)")
        print(f"  debug=0 (mailflow)          : {fast:.3f} s  ({args.messages / fast:,.0f} msg/s)")
        print(f"  speed-up: {slow / fast:.1f}x")
    finally:
        server.remove()


if __name__ == "__main__":
    main()
