"""Service fixtures: real domain and renderer, a SQLite store in a temp file, fake mailbox and transport."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailflow.adapters.clock import FixedClock
from mailflow.adapters.db.store import SqlStore
from mailflow.adapters.formbuild import build_partner_sheet, build_request_form
from mailflow.adapters.holidays import HolidaysCalendar
from mailflow.adapters.mime_out import serialize
from mailflow.adapters.render import JinjaRenderer
from mailflow.config import PROJECT_ROOT, Settings, load_directory
from mailflow.domain.ids import MessageIdSigner, ThreadIndexer
from mailflow.runtime.wiring import identity
from mailflow.services.deps import Deps
from tests.service.fakes import FakeMailbox, RecordingTransport

START = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))  # a Monday


@pytest.fixture
def deps(tmp_path: Path) -> Deps:
    settings = Settings()
    store = SqlStore(f"sqlite:///{tmp_path / 'mailflow.db'}")
    store.upgrade()
    deps = Deps(
        store=store,
        transport=RecordingTransport(),
        renderer=JinjaRenderer(PROJECT_ROOT / "templates"),
        serializer=serialize,
        clock=FixedClock(START),
        holidays=HolidaysCalendar(),
        identity=identity(settings),
        policy=settings.domain_policy(),
        directory=load_directory(settings),
        signer=MessageIdSigner(b"test-secret", "ac-strasbourg.fr"),
        threads=ThreadIndexer(b"test-secret", "APP"),
        secret=b"test-secret",
        mailbox=FakeMailbox(),
        partner_sheet=build_partner_sheet(),
        request_form=build_request_form(),
    )
    yield deps
    store.dispose()
