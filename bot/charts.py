"""Progress pictures as PNG bytes, drawn with matplotlib's Agg backend.

Made to be read on a phone: one idea per panel, large type, numbers written on the
bars instead of grid lines, and the Okabe–Ito colours, which stay apart for every
common kind of colour blindness. matplotlib is imported inside the functions, so
start-up does not pay for it. The callers pass every word already translated.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "BLUE",
    "GREEN",
    "ORANGE",
    "VERMILLION",
    "ProgressChart",
    "WeeklyBarsChart",
    "network_chart_png",
    "progress_chart_png",
]

# Okabe & Ito (2008), "Color Universal Design".
BLUE: Final = "#0072B2"
GREEN: Final = "#009E73"
ORANGE: Final = "#E69F00"
VERMILLION: Final = "#D55E00"
_INK: Final = "#222222"
_MUTED: Final = "#666666"

_WIDTH_INCHES: Final = 7.2
_DPI: Final = 150
_TITLE_SIZE: Final = 22
_TEXT_SIZE: Final = 17
_SMALL_SIZE: Final = 15


@dataclass(frozen=True, slots=True)
class ProgressChart:
    """A member's picture: weekly kept vs open commitments, and principle coverage."""

    title: str
    weeks_title: str
    week_labels: Sequence[str]
    kept: Sequence[int]
    open: Sequence[int]
    kept_label: str
    open_label: str
    coverage_title: str
    themes: Sequence[str]
    reflections: Sequence[int]
    commitments: Sequence[int]
    reflections_label: str
    commitments_label: str
    empty_note: str


@dataclass(frozen=True, slots=True)
class WeeklyBarsChart:
    """Operators' picture: one bar panel per series over the same weeks."""

    title: str
    week_labels: Sequence[str]
    panels: Sequence[tuple[str, Sequence[int]]]


def _figure(height_inches: float) -> Figure:
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    figure = Figure(figsize=(_WIDTH_INCHES, height_inches), dpi=_DPI, layout="constrained")
    figure.set_facecolor("white")
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, facecolor="white")
    return buffer.getvalue()


def _plain(axes: Axes) -> None:
    """No box, no grid: only what carries information."""
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.spines["bottom"].set_color(_MUTED)
    axes.tick_params(colors=_INK, labelsize=_SMALL_SIZE, length=0)


def _sparse_labels(labels: Sequence[str]) -> list[str]:
    """Every third week label, counted back from the last (the current week)."""
    last = len(labels) - 1
    return [label if (last - index) % 3 == 0 else "" for index, label in enumerate(labels)]


def _note(axes: Axes, text: str) -> None:
    """A short message in the middle of an empty panel, wrapped to stay inside it."""
    axes.text(
        0.5,
        0.5,
        textwrap.fill(text, 30),
        ha="center",
        va="center",
        fontsize=_TEXT_SIZE,
        color=_MUTED,
        transform=axes.transAxes,
    )


def _legend_above(axes: Axes) -> None:
    """The legend in one row between the panel's title and its bars."""
    axes.legend(
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        borderaxespad=0.3,
        fontsize=_SMALL_SIZE,
        frameon=False,
        ncols=2,
        handlelength=1.0,
        columnspacing=1.5,
    )


def _count_axis(axes: Axes, top: int) -> None:
    """A few whole-number ticks and faint guide lines, so bars can be read off."""
    from matplotlib.ticker import MaxNLocator

    axes.set_ylim(0, max(top * 1.1, 1))
    axes.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    axes.grid(axis="y", color="#DDDDDD", linewidth=1)
    axes.set_axisbelow(True)


def _weekly_pairs(axes: Axes, chart: ProgressChart) -> None:
    count = len(chart.week_labels)
    width = 0.4
    axes.bar([i - width / 2 for i in range(count)], chart.kept, width, color=GREEN)
    axes.bar([i + width / 2 for i in range(count)], chart.open, width, color=ORANGE)
    axes.containers[0].set_label(chart.kept_label)
    axes.containers[1].set_label(chart.open_label)
    axes.set_xticks(range(count), _sparse_labels(chart.week_labels))
    _count_axis(axes, max([*chart.kept, *chart.open], default=0))
    axes.set_title(chart.weeks_title, fontsize=_TEXT_SIZE, color=_INK, loc="left", pad=40)
    _legend_above(axes)
    _plain(axes)


def _coverage_bars(axes: Axes, chart: ProgressChart) -> None:
    count = len(chart.themes)
    height = 0.38
    upper = [index - height / 2 for index in range(count)]
    lower = [index + height / 2 for index in range(count)]
    axes.barh(upper, chart.reflections, height, color=BLUE, label=chart.reflections_label)
    axes.barh(lower, chart.commitments, height, color=VERMILLION, label=chart.commitments_label)
    top = max([*chart.reflections, *chart.commitments], default=0)
    for ys, values, color in (
        ()
        if top == 0
        else (
            (upper, chart.reflections, BLUE),
            (lower, chart.commitments, VERMILLION),
        )
    ):
        for y, value in zip(ys, values, strict=True):
            axes.text(
                value + top * 0.02,
                y,
                str(value),
                va="center",
                fontsize=_SMALL_SIZE,
                color=color,
                fontweight="bold",
            )
    axes.set_yticks(range(count), chart.themes, fontsize=_TEXT_SIZE)
    axes.invert_yaxis()  # curriculum order, top to bottom
    axes.set_xticks([])
    axes.set_xlim(0, max(top * 1.15, 1))
    axes.set_title(chart.coverage_title, fontsize=_TEXT_SIZE, color=_INK, loc="left", pad=40)
    _legend_above(axes)
    _plain(axes)
    axes.spines["bottom"].set_visible(False)
    axes.spines["left"].set_visible(True)
    axes.spines["left"].set_color(_MUTED)


def progress_chart_png(chart: ProgressChart) -> bytes:
    """A member's progress picture (portrait, for a phone screen)."""
    figure = _figure(10.5)
    figure.suptitle(chart.title, fontsize=_TITLE_SIZE, color=_INK, fontweight="bold")
    # Two subfigures, so each panel uses the full width whatever its labels need.
    parts = figure.subfigures(2, 1, height_ratios=(1, 1.5), hspace=0.04, squeeze=False)
    weeks_axes = parts[0, 0].subplots()
    coverage_axes = parts[1, 0].subplots()
    _weekly_pairs(weeks_axes, chart)
    _coverage_bars(coverage_axes, chart)
    if not any(chart.kept) and not any(chart.open):
        _note(weeks_axes, chart.empty_note)
    if not any(chart.reflections) and not any(chart.commitments):
        _note(coverage_axes, chart.empty_note)
    return _png(figure)


def network_chart_png(chart: WeeklyBarsChart) -> bytes:
    """Operators' weekly aggregates, one bar panel per series."""
    colors = (BLUE, GREEN, ORANGE, VERMILLION)
    figure = _figure(3.6 * len(chart.panels) + 0.8)
    figure.suptitle(chart.title, fontsize=_TITLE_SIZE, color=_INK, fontweight="bold")
    panels = figure.subplots(len(chart.panels), 1, squeeze=False)[:, 0]
    figure.get_layout_engine().set(hspace=0.08)  # type: ignore[union-attr, call-arg]
    count = len(chart.week_labels)
    for index, (axes, (title, values)) in enumerate(zip(panels, chart.panels, strict=True)):
        color = colors[index % len(colors)]
        axes.bar(range(count), values, 0.65, color=color)
        axes.set_xticks(range(count), _sparse_labels(chart.week_labels))
        _count_axis(axes, max(values, default=0))
        axes.set_title(title, fontsize=_TEXT_SIZE, color=_INK, loc="left", pad=10)
        _plain(axes)
    return _png(figure)
