"""The exception tree of mailflow.

    MailflowError
    ├── DomainError                 a rule of the procedure was broken (pure core)
    │   ├── IllegalTransition       (state, event) has no row in the transition table
    │   └── InvalidReference        text that is not a case reference
    ├── ConfigError                 configuration missing or wrong (explained in plain words)
    ├── ExtractError                a message or a file could not be read
    │   └── UnreadableForm          an attachment looked like a form but could not be opened
    └── TransportError              talking to a server failed
        ├── TransientError          retry later (network, 4xx, server restarting)
        └── PermanentError          do not retry (5xx, refused recipient)

Adapters map library errors onto TransientError / PermanentError; services never see a socket error.
"""

from __future__ import annotations


class MailflowError(Exception):
    """Root of every error mailflow raises on purpose."""


class DomainError(MailflowError):
    """A rule of the procedure was broken."""


class IllegalTransition(DomainError):
    """The transition table has no row for this (state, event) pair."""

    def __init__(self, state: str, event: str) -> None:
        super().__init__(f"no transition from {state} on {event}")
        self.state = state
        self.event = event


class InvalidReference(DomainError):
    """Text that is not a case reference."""


class ConfigError(MailflowError):
    """Configuration missing or wrong."""


class ExtractError(MailflowError):
    """A message or an attached file could not be read."""


class UnreadableForm(ExtractError):
    """An attachment looked like a form but could not be opened."""


class TransportError(MailflowError):
    """Talking to a mail or database server failed."""


class TransientError(TransportError):
    """Worth retrying later."""


class PermanentError(TransportError):
    """Not worth retrying."""
