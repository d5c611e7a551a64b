"""Shared test set-up: every module in tests/fixtures/ is loaded as a pytest plugin.

Servers (PostgreSQL, later Dovecot and aiosmtpd) are started by those fixtures. When
MAILFLOW_REQUIRE_SERVICES=1 (set by .ci/run), a server that cannot be started is an error, not a skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = sorted(
    f"tests.fixtures.{p.stem}"
    for p in (Path(__file__).parent / "fixtures").glob("*.py")
    if p.stem != "__init__"
)

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


def require_services() -> bool:
    return os.environ.get("MAILFLOW_REQUIRE_SERVICES") == "1"


def service_unavailable(what: str) -> None:
    """Skip loudly on a developer machine; fail in CI."""
    if require_services():
        pytest.fail(f"{what} is required (MAILFLOW_REQUIRE_SERVICES=1) but unavailable", pytrace=False)
    pytest.skip(f"SKIPPED LOUDLY: {what} unavailable on this machine")
