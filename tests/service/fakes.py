"""In-memory fakes of the mailbox and transport ports, for the fast service tests."""

from __future__ import annotations

from mailflow.domain.errors import PermanentError, TransientError
from mailflow.domain.ids import MailboxKey
from mailflow.domain.message import OutboundEmail
from mailflow.ports import FetchedMessage


class FakeMailbox:
    """An inbox of raw messages with IMAP-like UIDs, plus processed, quarantine and Sent lists."""

    name = "INBOX"

    def __init__(self) -> None:
        self.inbox: dict[int, bytes] = {}
        self.processed: list[bytes] = []
        self.quarantine: list[bytes] = []
        self.sent: list[bytes] = []
        self.next_uid = 1
        self.validity = 7
        self.moves = 0
        self.move_calls = 0  # commands, not messages: poll_once moves a whole batch at once

    def deliver(self, raw: bytes) -> int:
        uid = self.next_uid
        self.inbox[uid] = raw
        self.next_uid += 1
        return uid

    def uidvalidity(self) -> int:
        return self.validity

    def fetch_after(self, uid: int, limit: int = 100, max_bytes: int | None = None) -> list[FetchedMessage]:
        uids = sorted(u for u in self.inbox if u > uid)[:limit]
        return [FetchedMessage(MailboxKey(self.name, self.validity, u), self.inbox[u]) for u in uids]

    def move_to_processed(self, keys: list[MailboxKey]) -> None:
        self.move_calls += 1
        for key in keys:
            if key.uid in self.inbox:
                self.processed.append(self.inbox.pop(key.uid))
                self.moves += 1

    def move_to_quarantine(self, keys: list[MailboxKey]) -> None:
        self.move_calls += 1
        for key in keys:
            if key.uid in self.inbox:
                self.quarantine.append(self.inbox.pop(key.uid))

    def append_sent(self, raw: bytes) -> None:
        self.sent.append(raw)

    def sent_contains(self, message_id: str) -> bool:
        return any(f"Message-ID: {message_id}".encode() in raw for raw in self.sent)

    def wait_for_change(self, timeout: float) -> bool:
        return False

    def close(self) -> None:
        pass


class RecordingTransport:
    """Accepts every mail (or fails as scripted) and keeps what it accepted."""

    def __init__(self) -> None:
        self.sent: list[OutboundEmail] = []
        self.script: list[str] = []  # "ok" | "4xx" | "5xx", consumed per mail

    def send(self, emails: list[OutboundEmail], on_result=None) -> list[Exception | None]:
        results: list[Exception | None] = []
        for index, email in enumerate(emails):
            outcome = self.script.pop(0) if self.script else "ok"
            if outcome == "4xx":
                results.append(TransientError("451 try again later"))
            elif outcome == "5xx":
                results.append(PermanentError("550 no such user"))
            else:
                self.sent.append(email)
                results.append(None)
                if on_result is not None:
                    on_result(index, None)
        return results

    def templates_to(self, address: str) -> list[str]:
        return [e.subject for e in self.sent if address in e.to_addrs]
