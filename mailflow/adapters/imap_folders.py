"""IMAP folder names: "/" in the configuration, the server's delimiter and namespace prefix on the wire.

Used by mailflow.adapters.imap. A server may use "." as delimiter and put personal folders under
"INBOX." (Courier, Cyrus): ``mailflow/traites`` is then ``INBOX.mailflow.traites``.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from mailflow.adapters.imap_connect import server_text

log = structlog.get_logger("mailflow.imap")

_NOT_SELECTABLE = {b"\\Noselect", b"\\NonExistent"}


@dataclass(frozen=True, slots=True)
class Naming:
    prefix: str = ""
    delimiter: str | None = "/"

    @classmethod
    def learn(cls, client: IMAPClient, capabilities: frozenset[str]) -> Naming:
        """The personal namespace (NAMESPACE, RFC 2342), else the delimiter from ``LIST "" ""``."""
        prefix, delimiter = "", None
        if "NAMESPACE" in capabilities:
            personal = client.namespace().personal
            if personal:
                prefix, delimiter = personal[0][0] or "", personal[0][1]
        if delimiter is None:
            listed = client.list_folders("", "")
            delimiter = listed[0][1] if listed else None
        if isinstance(delimiter, bytes):
            delimiter = delimiter.decode()
        return cls(prefix, delimiter or None)

    def server_name(self, folder: str) -> str:
        if folder.upper() == "INBOX":
            return "INBOX"
        name = folder
        if self.delimiter and self.delimiter != "/":
            name = self.delimiter.join(folder.split("/"))
        if self.prefix and not name.startswith(self.prefix):
            name = self.prefix + name
        return name


def folder_exists(client: IMAPClient, name: str) -> bool:
    for flags, _delimiter, listed in client.list_folders("", name):
        if listed == name and not _NOT_SELECTABLE & set(flags):
            return True
    return False


def special_folder(client: IMAPClient, flag: bytes, capabilities: frozenset[str]) -> str | None:
    """A selectable folder the server marks with a special-use attribute (RFC 6154), e.g. \\Sent."""
    if "SPECIAL-USE" not in capabilities:
        return None
    for flags, _delimiter, name in client.list_folders():
        if flag in flags and not _NOT_SELECTABLE & set(flags):
            return str(name)
    return None


def create_folder(client: IMAPClient, name: str) -> None:
    """CREATE (an ALREADYEXISTS answer is fine: someone was quicker), then SUBSCRIBE so that the
    Dareic's mail client shows it."""
    try:
        client.create_folder(name)
        log.info("folder_created", folder=name)
    except IMAPClientError as exc:
        if "ALREADYEXISTS" not in str(exc).upper():
            raise
    try:
        client.subscribe_folder(name)
    except IMAPClientError as exc:
        log.debug("subscribe_failed", folder=name, error=server_text(exc))
