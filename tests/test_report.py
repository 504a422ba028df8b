"""`netcoach report`: a page operators can open anywhere, checked in a real browser."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from bot.charts import BLUE, GREEN
from bot.cli import main
from bot.domain.runtime import Runtime
from bot.report import write_report
from tests.support.history import HistoryBuilder, member

CHROMIUM = Path("/usr/bin/chromium")
HAVE_CHROMIUM = CHROMIUM.exists()


async def _network(runtime: Runtime) -> None:
    """Three members; two active this week, one kept a commitment last week."""
    now = runtime.clock.now()
    anna = HistoryBuilder(runtime, await member(runtime, 701))
    ben = HistoryBuilder(runtime, await member(runtime, 702))
    await member(runtime, 703)
    await anna.reflection("rule-fairness", now - timedelta(hours=2), text="Anna's secret")
    await ben.reflection("principle-trust", now - timedelta(hours=1))
    await ben.commitment(
        "principle-trust", now - timedelta(days=10), kept=now - timedelta(days=6), contact="Tom"
    )


def _chromium(*arguments: str, profile: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            *arguments,
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )


async def test_the_report_is_one_self_contained_page_without_member_data(
    runtime: Runtime, tmp_path: Path
) -> None:
    await _network(runtime)
    out = tmp_path / "report.html"

    await write_report(runtime, out, "en")

    page = out.read_text(encoding="utf-8")
    assert "data:image/png;base64," in page
    # Nothing to fetch: no scripts, no external images, styles or links.
    assert "<script" not in page
    assert not re.search(r"""(?:src|href)=["'](?!data:)""", page)
    # (Outside the picture's base64, where any three letters may turn up by chance.)
    words = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)
    assert "Anna" not in words and "Tom" not in words and "secret" not in words
    rows = re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td><td>(\d+)</td></tr>", page)
    assert len(rows) == 12
    assert rows[-1][1:] == ("2", "0") and rows[-2][1:] == ("1", "1")


@pytest.mark.skipif(
    not HAVE_CHROMIUM,
    reason="headless browser check needs /usr/bin/chromium (apt-get install chromium)",
)
async def test_a_browser_shows_the_reports_chart_and_table(
    runtime: Runtime, tmp_path: Path
) -> None:
    await _network(runtime)
    out = tmp_path / "report.html"
    await write_report(runtime, out, "de")

    dom = _chromium("--dump-dom", out.as_uri(), profile=tmp_path / "profile").stdout.decode()
    assert "<h1>Netzwerk-Bericht</h1>" in dom
    assert dom.count("<tr><td>") == 12

    shot = tmp_path / "report.png"
    _chromium(
        f"--screenshot={shot}",
        "--window-size=1100,1600",
        "--hide-scrollbars",
        out.as_uri(),
        profile=tmp_path / "profile",
    )
    image = Image.open(io.BytesIO(shot.read_bytes())).convert("RGB")
    colours = {colour for count, colour in image.getcolors(maxcolors=4_000_000) or [] if count > 50}
    # The inlined chart was decoded and drawn: its blue and green bars are on screen.
    for hex_colour in (BLUE, GREEN):
        assert tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)) in colours


def test_netcoach_report_writes_the_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NETCOACH_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'n.db'}")
    out = tmp_path / "report.html"
    assert main(["db", "upgrade"]) == 0

    assert main(["report", "--out", str(out), "--language", "en"]) == 0

    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    assert str(out) in capsys.readouterr().out
