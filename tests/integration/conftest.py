"""The store on both databases for the integration tests: a SQLite file and a private PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mailflow.adapters.db import SqlStore


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/var/mailflow.db"  # var/ does not exist yet: upgrade() creates it
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(db_url: str) -> Iterator[SqlStore]:
    """A store brought up to the latest schema."""
    s = SqlStore(db_url)
    s.upgrade()
    yield s
    s.dispose()
