"""The digest's HTML as a person sees it: rendered by a real headless browser (Debian's Chromium) to a PNG.

Set MAILFLOW_DIGEST_PNG=path/to/file.png to keep the picture and look at it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mailflow.services.digest import preview_digest
from tests.conftest import service_unavailable
from tests.service.conftest import deps  # noqa: F401  (the service fixture: SQLite store, fake mailbox)
from tests.service.test_digest import realistic_day, writer

pytestmark = pytest.mark.e2e
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]  # fmt: skip


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
        if found:
            return found
    return None


def screenshot(html_file: Path, png: Path, profile: Path, size: str = "900,1800") -> None:
    """Chromium --headless --screenshot, without network, sync nor first-run noise."""
    browser = _chromium()
    if browser is None:
        service_unavailable("Chromium (Debian package `chromium`)")
        return
    flags = [f"--user-data-dir={profile}", f"--screenshot={png}", f"--window-size={size}"]
    subprocess.run(
        [browser, *FLAGS, *flags, html_file.as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
    )


def test_digest_renders_as_a_readable_page_when_opened_in_a_real_browser(deps, tmp_path):  # noqa: F811
    realistic_day(deps)
    view, rendered = preview_digest(deps, writer())
    page = tmp_path / "digest.html"
    page.write_text(rendered.html, encoding="utf-8")
    png = tmp_path / "digest.png"
    screenshot(page, png, tmp_path / "profile")
    assert png.exists() and png.stat().st_size > 30_000, "the screenshot is missing or nearly empty"
    image = pytest.importorskip("PIL.Image").open(png).convert("RGB")
    assert image.size == (900, 1800)
    colours = image.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 200, "the page looks blank"  # text, tiles, cards, bars
    header = image.getpixel((450, 40))
    assert header == (0, 0, 145), f"the blue header band is not where expected: {header}"
    keep = os.environ.get("MAILFLOW_DIGEST_PNG")
    if keep:
        shutil.copyfile(png, keep)
        Path(keep).with_suffix(".html").write_text(rendered.html, encoding="utf-8")
    assert view.to_handle and view.overdue and view.bars
