"""`netcoach report`: one self-contained HTML page of the network's weekly aggregates.

For people who run the network and are not on Telegram. The chart is inlined as a
base64 PNG and the same numbers stand in a table, so the page needs nothing else: no
scripts, no fonts, no requests. Aggregates only; no member is named.
"""

from __future__ import annotations

import asyncio
import base64
import html
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from bot.charts import network_chart_png
from bot.domain.admin import NetworkCount, network_counts
from bot.domain.network_stats import NetworkWeek, network_weeks
from bot.domain.runtime import Runtime
from bot.screens.review import network_chart, week_label
from content.i18n import catalog, format_local_datetime

__all__ = ["render_report", "report_html", "write_report"]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem;
       padding: 0 1rem; color: #222; }
img { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin-top: 1.5rem; }
th, td { padding: .3rem .8rem; text-align: right; border-bottom: 1px solid #ddd; }
th:first-child, td:first-child { text-align: left; }
"""


def _text(language: str, key: str, **values: object) -> str:
    """Catalog text (already HTML-escaped where it takes values)."""
    return str(catalog(language)(key, **values))


def render_report(
    weeks: Sequence[NetworkWeek],
    png: bytes,
    generated_at: datetime,
    language: str,
    networks: Sequence[NetworkCount] = (),
) -> str:
    """The page for these weeks and their chart, and the members per invite link."""
    title = _text(language, "report.title")
    image = base64.b64encode(png).decode("ascii")
    alt = html.escape(html.unescape(_text(language, "stats.chart_title")))
    rows = "\n".join(
        f"<tr><td>{html.escape(week_label(week.start, language))}</td>"
        f"<td>{week.active_members}</td><td>{week.kept}</td></tr>"
        for week in weeks
    )
    generated = format_local_datetime(generated_at, "UTC", language, now=None)
    return f"""<!DOCTYPE html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>{title}</h1>
<p>{_text(language, "report.intro", when=generated + " UTC")}</p>
<img id="network-chart" alt="{alt}" src="data:image/png;base64,{image}">
<table id="network-weeks">
<thead><tr><th>{_text(language, "report.week")}</th><th>{_text(language, "report.active")}</th>
<th>{_text(language, "report.kept")}</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
{_networks_table(networks, language)}
</body>
</html>
"""


def _networks_table(networks: Sequence[NetworkCount], language: str) -> str:
    if not networks:
        return ""
    rows = "\n".join(
        f"<tr><td>{html.escape(n.code)}</td><td>{html.escape(n.shown_members)}</td>"
        f"<td>{html.escape(n.shown_active)}</td></tr>"
        for n in networks
    )
    return f"""<table id="networks">
<thead><tr><th>{_text(language, "report.network")}</th><th>{_text(language, "report.members")}</th>
<th>{_text(language, "report.active_this_week")}</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>"""


async def report_html(runtime: Runtime, language: str) -> str:
    """The report as of now."""
    networks = await network_counts(runtime)
    weeks = await network_weeks(runtime)
    png = await asyncio.to_thread(network_chart_png, network_chart(weeks, language))
    return render_report(weeks, png, runtime.clock.now(), language, networks)


async def write_report(runtime: Runtime, out: Path, language: str) -> None:
    """Write the report to `out`."""
    page = await report_html(runtime, language)
    await asyncio.to_thread(out.write_text, page, encoding="utf-8")
