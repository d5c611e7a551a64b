"""Frozen value objects for mail: what came in (InboundMessage) and what goes out (OutboundEmail)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Attachment(_Frozen):
    """One attached file; ``filename`` is already neutralised (no path, no control characters)."""

    filename: str
    content_type: str
    data: bytes = Field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)


class InboundMessage(_Frozen):
    """A parsed incoming message: the headers that matter, the text, the attachments."""

    message_id: str | None = None
    subject: str = ""
    from_addr: str = ""
    from_name: str = ""
    to_addrs: tuple[str, ...] = ()
    cc_addrs: tuple[str, ...] = ()
    date: datetime | None = None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    thread_index: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    text: str = ""
    content_type: str = "text/plain"
    attachments: tuple[Attachment, ...] = ()
    defects: tuple[str, ...] = ()

    def header(self, name: str) -> str | None:
        """The first value of a header (case-insensitive), or None."""
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None

    def header_all(self, name: str) -> list[str]:
        lname = name.lower()
        return [value for key, value in self.headers if key.lower() == lname]


class OutboundEmail(_Frozen):
    """A mail ready to be serialised and sent; stored as-is in the outbox so retries send the same bytes."""

    message_id: str
    from_addr: str
    from_name: str
    to_addrs: tuple[str, ...]
    cc_addrs: tuple[str, ...] = ()
    subject: str
    text: str
    html: str | None = None
    date: datetime
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    extra_headers: tuple[tuple[str, str], ...] = ()
    attachments: tuple[Attachment, ...] = ()
