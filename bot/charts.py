"""Progress pictures as PNG bytes, drawn with Pillow.

Made to be read on a phone: portrait, one idea per panel, large type, numbers written on
the bars instead of an axis, and the Okabe–Ito colours, which stay apart for every common
kind of colour blindness. The callers pass every word already translated. Pillow is
imported on the first picture, so start-up does not pay for it.

The type is DejaVu Sans, shipped in `bot/fonts` (cut down to Latin, Latin-1, Latin
Extended-A and the usual punctuation; see its README): Pillow's own scalable font has no
umlauts, no ß and no dashes, and a system font may not be there (a slim container has
none).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from PIL import Image, ImageDraw, ImageFont

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

# 7.2 inches at 150 dpi: Telegram shows it sharp on a phone without scaling it down.
_WIDTH: Final = 1080
_PROGRESS_HEIGHT: Final = 1575
_NETWORK_TITLE_HEIGHT: Final = 120
_NETWORK_PANEL_HEIGHT: Final = 540
_MARGIN: Final = 36
_GAP: Final = 14
_TITLE_SIZE: Final = 46
_TEXT_SIZE: Final = 35
_SMALL_SIZE: Final = 31
_LEAST_SIZE: Final = 16
_LEAST_BAR: Final = 3  # pixels: a one among thousands is still seen
_LABEL_SHARE: Final = 0.45  # of the width, at most, for theme names


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


@dataclass(frozen=True, slots=True)
class _Box:
    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top


@functools.cache
def _font_file(bold: bool) -> bytes:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return (resources.files("bot") / "fonts" / name).read_bytes()


@functools.lru_cache(maxsize=64)
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(io.BytesIO(_font_file(bold)), size)


def _fitting(text: str, width: float, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """The font of `size`, or smaller until `text` fits in `width` (not below a floor)."""
    while size > _LEAST_SIZE and _font(size, bold).getlength(text) > width:
        size -= 1
    return _font(size, bold)


def _wrapped(text: str, font: ImageFont.FreeTypeFont, width: float, lines: int) -> list[str]:
    """`text` in at most `lines` lines of `width`; what still does not fit ends in "…"."""
    words = text.split()
    wrapped: list[str] = []
    while words and len(wrapped) < lines:
        line = words.pop(0)
        while words and font.getlength(f"{line} {words[0]}") <= width:
            line = f"{line} {words.pop(0)}"
        wrapped.append(line)
    if words:
        wrapped[-1] = " ".join([wrapped[-1], *words])
    return [_cut(line, font, width) for line in wrapped]


def _cut(line: str, font: ImageFont.FreeTypeFont, width: float) -> str:
    """`line`, or as much of it as fits in `width` followed by "…"."""
    if font.getlength(line) <= width:
        return line
    while len(line) > 1 and font.getlength(f"{line}…") > width:
        line = line[:-1]
    return f"{line.rstrip()}…"


def _line_height(font: ImageFont.FreeTypeFont) -> int:
    ascent, descent = font.getmetrics()
    return ascent + descent


def _canvas(height: int) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (_WIDTH, height), "white")
    return image, ImageDraw.Draw(image)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    # zlib's level 3 instead of 6: a third less CPU for a fifth more bytes (~90 KB).
    image.save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()


def _title(draw: ImageDraw.ImageDraw, text: str) -> int:
    """The picture's title, centred on top; returns where the content begins."""
    font = _fitting(text, _WIDTH - 2 * _MARGIN, _TITLE_SIZE, bold=True)
    draw.text((_WIDTH // 2, _GAP), text, font=font, fill=_INK, anchor="ma")
    return _GAP + _line_height(font) + _GAP


def _heading(draw: ImageDraw.ImageDraw, text: str, left: int, top: int) -> int:
    """A panel's title on the left; returns the line below it."""
    font = _fitting(text, _WIDTH - left - _MARGIN, _TEXT_SIZE)
    draw.text((left, top), text, font=font, fill=_INK)
    return top + _line_height(font) + _GAP // 2


def _legend(
    draw: ImageDraw.ImageDraw, items: Sequence[tuple[str, str]], left: int, top: int
) -> int:
    """Coloured squares with their names in one row; returns the line below it."""
    font = _font(_SMALL_SIZE)
    height = _line_height(font)
    square = _SMALL_SIZE * 3 // 4
    x = left
    for label, colour in items:
        middle = top + height // 2
        draw.rectangle((x, middle - square // 2, x + square, middle + square // 2), fill=colour)
        x += square + _GAP
        draw.text((x, middle), label, font=font, fill=_INK, anchor="lm")
        x += int(font.getlength(label)) + 3 * _GAP
    return top + height + _GAP


def _note(draw: ImageDraw.ImageDraw, box: _Box, text: str) -> None:
    """A short message in the middle of an empty panel, wrapped to stay inside it."""
    font = _font(_TEXT_SIZE)
    lines = _wrapped(text, font, box.width * 0.8, lines=4)
    step = _line_height(font) + 4
    top = (box.top + box.bottom) // 2 - step * len(lines) // 2
    for number, line in enumerate(lines):
        y = top + number * step + step // 2
        draw.text(((box.left + box.right) // 2, y), line, font=font, fill=_MUTED, anchor="mm")


def _sparse(labels: Sequence[str]) -> list[str]:
    """Every third week label, counted back from the last (the current week)."""
    last = len(labels) - 1
    return [label if (last - index) % 3 == 0 else "" for index, label in enumerate(labels)]


def _week_columns(
    draw: ImageDraw.ImageDraw,
    box: _Box,
    week_labels: Sequence[str],
    series: Sequence[tuple[Sequence[int], str]],
) -> None:
    """Grouped columns per week with their numbers on top, and every third week named.

    A lone series writes its zeros too (an operator asks "none at all?"); pairs write only
    what is there, so a member's quiet weeks stay quiet.
    """
    count = len(week_labels)
    if any(len(values) != count for values, _ in series):
        raise ValueError(f"{count} weeks named, and not as many values in every series")
    number_size = _SMALL_SIZE * 9 // 10
    baseline = box.bottom - _line_height(_font(_SMALL_SIZE)) - _GAP
    tallest = baseline - box.top - _line_height(_font(number_size, bold=True))
    top = max((max(values, default=0) for values, _ in series), default=0)
    step = box.width / max(count, 1)
    share = 0.65 if len(series) == 1 else 0.8
    bar = step * share / len(series)
    for index in range(count):
        left = box.left + index * step + step * (1 - share) / 2
        for offset, (values, colour) in enumerate(series):
            value = values[index]
            if not value and len(series) > 1:
                continue
            x0 = left + offset * bar
            height = max(tallest * value / top, _LEAST_BAR) if value else 0
            if value:
                corners = (round(x0), round(baseline - height), round(x0 + bar) - 1, baseline)
                draw.rectangle(corners, fill=colour)
            font = _fitting(str(value), step / len(series), number_size, bold=True)
            at = (x0 + bar / 2, baseline - height - 4)
            draw.text(at, str(value), font=font, fill=colour, anchor="md")
    draw.line((box.left, baseline, box.right, baseline), fill=_MUTED, width=2)
    _week_names(draw, _Box(box.left, baseline, box.right, box.bottom), week_labels)


def _week_names(draw: ImageDraw.ImageDraw, box: _Box, week_labels: Sequence[str]) -> None:
    """Every third week's name under its column, kept inside the picture."""
    font = _font(_SMALL_SIZE)
    step = box.width / max(len(week_labels), 1)
    for index, label in enumerate(_sparse(week_labels)):
        if not label:
            continue
        half = font.getlength(label) / 2
        centre = min(max(box.left + (index + 0.5) * step, box.left + half), box.right - half)
        draw.text((centre, box.top + _GAP // 2), label, font=font, fill=_INK, anchor="ma")


def _theme_rows(draw: ImageDraw.ImageDraw, box: _Box, chart: ProgressChart) -> int:
    """A row per theme: its name on the left, then its two bars. Returns where bars begin."""
    if not len(chart.themes) == len(chart.reflections) == len(chart.commitments):
        raise ValueError("one number of reflections and of commitments per theme")
    font = _font(_TEXT_SIZE)
    names = [_wrapped(theme, font, _WIDTH * _LABEL_SHARE, lines=2) for theme in chart.themes]
    widest = max((font.getlength(line) for lines in names for line in lines), default=0)
    axis = box.left + int(widest) + _GAP
    row = box.height / max(len(names), 1)
    step = _line_height(font)
    for index, lines in enumerate(names):
        middle = box.top + (index + 0.5) * row
        first = middle - step * (len(lines) - 1) / 2
        for number, line in enumerate(lines):
            at = (axis - _GAP, first + number * step)
            draw.text(at, line, font=font, fill=_INK, anchor="rm")
    if any(chart.reflections) or any(chart.commitments):
        _theme_bars(draw, _Box(axis, box.top, box.right, box.bottom), chart)
    draw.line((axis, box.top, axis, box.bottom), fill=_MUTED, width=2)
    return axis


def _theme_bars(draw: ImageDraw.ImageDraw, box: _Box, chart: ProgressChart) -> None:
    """Per theme, reflections above commitments, each with its number at its end."""
    font = _font(_SMALL_SIZE, bold=True)
    top = max([*chart.reflections, *chart.commitments])
    longest = box.width - font.getlength(str(top)) - _GAP
    row = box.height / len(chart.themes)
    bar = row * 0.38
    for index, pair in enumerate(zip(chart.reflections, chart.commitments, strict=True)):
        middle = box.top + (index + 0.5) * row
        for value, colour, y0 in zip(pair, (BLUE, VERMILLION), (middle - bar, middle), strict=True):
            end = box.left + max(longest * value / top, _LEAST_BAR) if value else box.left
            if value:
                draw.rectangle((box.left, round(y0), round(end), round(y0 + bar) - 1), colour)
            at = (end + _GAP // 2, y0 + bar / 2)
            draw.text(at, str(value), font=font, fill=colour, anchor="lm")


def progress_chart_png(chart: ProgressChart) -> bytes:
    """A member's progress picture (portrait, for a phone screen)."""
    image, draw = _canvas(_PROGRESS_HEIGHT)
    top = _title(draw, chart.title)
    split = top + (image.height - top) * 2 // 5

    y = _heading(draw, chart.weeks_title, _MARGIN, top)
    y = _legend(draw, ((chart.kept_label, GREEN), (chart.open_label, ORANGE)), _MARGIN + 20, y)
    weeks = _Box(_MARGIN, y, _WIDTH - _MARGIN, split)
    _week_columns(draw, weeks, chart.week_labels, ((chart.kept, GREEN), (chart.open, ORANGE)))
    if not any(chart.kept) and not any(chart.open):
        _note(draw, weeks, chart.empty_note)

    y = _heading(draw, chart.coverage_title, _MARGIN, split + 2 * _GAP)
    legend = ((chart.reflections_label, BLUE), (chart.commitments_label, VERMILLION))
    y = _legend(draw, legend, _MARGIN + 20, y)
    themes = _Box(_MARGIN, y, _WIDTH - _MARGIN, image.height - _GAP)
    axis = _theme_rows(draw, themes, chart)
    if not any(chart.reflections) and not any(chart.commitments):
        _note(draw, _Box(axis, themes.top, themes.right, themes.bottom), chart.empty_note)
    return _png(image)


def network_chart_png(chart: WeeklyBarsChart) -> bytes:
    """Operators' weekly aggregates, one bar panel per series."""
    colours = (BLUE, GREEN, ORANGE, VERMILLION)
    image, draw = _canvas(_NETWORK_TITLE_HEIGHT + _NETWORK_PANEL_HEIGHT * len(chart.panels))
    top = _title(draw, chart.title)
    for index, (title, values) in enumerate(chart.panels):
        y = _heading(draw, title, _MARGIN, top + index * _NETWORK_PANEL_HEIGHT + _GAP)
        box = _Box(_MARGIN, y, _WIDTH - _MARGIN, top + (index + 1) * _NETWORK_PANEL_HEIGHT)
        _week_columns(draw, box, chart.week_labels, ((values, colours[index % len(colours)]),))
    return _png(image)
