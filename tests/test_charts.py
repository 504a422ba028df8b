"""Progress pictures: drawn for no data, one week and a year, readable on a phone."""

from __future__ import annotations

import dataclasses
import io
import subprocess
import sys
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from importlib import resources

import pytest
from PIL import Image, ImageChops, ImageFont

from bot.charts import (
    BLUE,
    GREEN,
    ORANGE,
    VERMILLION,
    ProgressChart,
    WeeklyBarsChart,
    network_chart_png,
    progress_chart_png,
)
from bot.domain.network_stats import NetworkWeek
from bot.domain.review import CommitmentFact, History, progress_picture
from bot.screens.review import network_chart, progress_chart
from content.cards import load_cards
from storage.models import CommitmentStatus as Status

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
CURRICULUM = load_cards()
PRINCIPLES = [card.key for card in CURRICULUM if card.kind != "intro"]


def one_week() -> History:
    """A new member: one reflection and one commitment, two days ago."""
    made = NOW - timedelta(days=2)
    return History(
        reflections=(("principle-trust", made),),
        commitments=(CommitmentFact("principle-trust", Status.OPEN, made),),
    )


def a_year() -> History:
    """A reflection most weeks, a commitment every other week (most kept), for 52 weeks."""
    reflections = []
    commitments = []
    for week in range(52):
        moment = NOW - timedelta(weeks=week, days=1)
        key = PRINCIPLES[week % len(PRINCIPLES)]
        if week % 4:
            reflections.append((key, moment))
        if week % 2 == 0:
            kept = moment + timedelta(days=3) if week > 2 else None
            status = Status.DONE if kept else Status.OPEN
            commitments.append(CommitmentFact(key, status, moment, closed_at=kept))
    return History(tuple(reflections), tuple(commitments))


def _pixels(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image.convert("RGB")


def _rgb(hex_colour: str) -> tuple[int, ...]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def _mask(image: Image.Image, hex_colour: str) -> Image.Image:
    """White where the picture is exactly this colour, black elsewhere."""
    difference = ImageChops.difference(image, Image.new("RGB", image.size, _rgb(hex_colour)))
    red, green, blue = difference.split()
    summed = ImageChops.add(ImageChops.add(red, green), blue)
    return summed.point(lambda value: 255 if value == 0 else 0)


def _where(image: Image.Image, hex_colour: str, box: tuple[int, int, int, int]) -> list[int]:
    """The bounding box (left, top, right, bottom) of this colour within `box`, or []."""
    found = _mask(image, hex_colour).crop(box).getbbox()
    if found is None:
        return []
    return [found[0] + box[0], found[1] + box[1], found[2] + box[0], found[3] + box[1]]


def _bar(image: Image.Image, hex_colour: str, box: tuple[int, int, int, int], *, tall: bool) -> int:
    """The longest bar of this colour within `box`: its height (`tall`) or its length.

    A bar is the longest unbroken line of the colour; the numbers written beside the bars
    are short strokes, apart from them.
    """
    mask = _mask(image, hex_colour).crop(box)
    if tall:
        mask = mask.transpose(Image.Transpose.ROTATE_90)
    longest = 0
    data = mask.tobytes()
    for row in range(mask.height):
        current = 0
        for value in data[row * mask.width : (row + 1) * mask.width]:
            current = current + 1 if value else 0
            longest = max(longest, current)
    return longest


def _has_colour(image: Image.Image, hex_colour: str) -> bool:
    """Bars of this colour are drawn (more than the legend's little square of it)."""
    wanted = _rgb(hex_colour)
    colours = image.getcolors(maxcolors=4_000_000) or []
    return any(colour == wanted and count > 5000 for count, colour in colours)


@pytest.mark.parametrize(
    ("story", "history"), [("no data", History()), ("one week", one_week()), ("a year", a_year())]
)
@pytest.mark.parametrize("language", ["de", "en"])
def test_a_members_picture_is_drawn_for_any_amount_of_history(
    story: str, history: History, language: str
) -> None:
    picture = progress_picture(CURRICULUM, history, NOW, "Europe/Berlin")

    png = progress_chart_png(progress_chart(picture, language))

    image = _pixels(png)
    # Portrait and wide enough that Telegram shows it sharp on a phone.
    assert image.width >= 1000 and image.height > image.width, story
    if story == "no data":
        assert not _has_colour(image, BLUE) and not _has_colour(image, VERMILLION)
    else:
        assert _has_colour(image, BLUE) and _has_colour(image, ORANGE)
    if story == "a year":
        assert _has_colour(image, GREEN) and _has_colour(image, VERMILLION)


def test_the_picture_speaks_the_members_language() -> None:
    picture = progress_picture(CURRICULUM, a_year(), NOW, "Europe/Berlin")

    german = progress_chart(picture, "de")
    english = progress_chart(picture, "en")

    assert german.themes[:4] == ["Kooperation", "Vertrauen", "Verlässlichkeit", "Verhandeln"]
    assert english.themes[:4] == ["Cooperation", "Trust", "Reliability", "Negotiation"]
    assert (german.kept_label, english.kept_label) == ("eingehalten", "kept")
    assert german.week_labels[-1] == "diese Woche" and english.week_labels[-1] == "this week"
    assert german.week_labels[-2] == "16.11." and english.week_labels[-2] == "16 Nov"


def test_labels_are_plain_text_in_the_picture_not_html() -> None:
    weeks = [NetworkWeek(NOW.date() - timedelta(weeks=n), 3, 1) for n in range(12, 0, -1)]

    chart = network_chart(weeks, "en")

    assert all("&" not in label and "<" not in label for label in chart.week_labels)
    assert "&amp;" not in chart.title


def test_the_operators_picture_shows_both_series() -> None:
    weeks = [
        NetworkWeek(NOW.date() - timedelta(weeks=n), 40 - n, 12 - n) for n in range(11, -1, -1)
    ]

    image = _pixels(network_chart_png(network_chart(weeks, "de")))

    assert image.width >= 1000
    assert _has_colour(image, BLUE) and _has_colour(image, GREEN)


def twelve_weeks(**values: list[int]) -> ProgressChart:
    """A member's picture with the numbers given, everything else empty, in English."""
    empty = [0] * 12
    themes = ["Cooperation", "Trust", "Reliability", "Give and take"]
    return ProgressChart(
        title="Your last 12 weeks",
        weeks_title="Commitments per week",
        week_labels=[f"w{n}" for n in range(11)] + ["this week"],
        kept=values.get("kept", empty),
        open=values.get("open", empty),
        kept_label="kept",
        open_label="open",
        coverage_title="Principles and rules",
        themes=themes,
        reflections=values.get("reflections", [0] * len(themes)),
        commitments=values.get("commitments", [0] * len(themes)),
        reflections_label="reflections",
        commitments_label="commitments",
        empty_note="Nothing to show yet",
    )


def test_each_bar_stands_where_its_week_and_its_theme_are() -> None:
    # Two open in the first week, four kept this week; five reflections on the first theme,
    # one commitment on the last.
    chart = twelve_weeks(
        open=[2] + [0] * 11,
        kept=[0] * 11 + [4],
        reflections=[5, 0, 0, 0],
        commitments=[0, 0, 0, 1],
    )

    image = _pixels(progress_chart_png(chart))

    width, height = image.size
    split = height * 2 // 5  # the weeks above, the themes below
    weeks = height // 8  # below the legend
    last_week = width - 36 - (width - 72) // 12  # twelve weeks side by side within margins
    first_week = 36 + (width - 72) // 12
    kept = _bar(image, GREEN, (last_week, weeks, width, split), tall=True)
    opened = _bar(image, ORANGE, (0, weeks, first_week, split), tall=True)
    assert _bar(image, GREEN, (0, weeks, last_week, split), tall=True) < 40
    assert _bar(image, ORANGE, (first_week, weeks, width, split), tall=True) < 40
    assert abs(opened * 2 - kept) <= 4  # half as many open as kept: half as tall
    # Reflections in the first theme's row, commitments in the last; five against one.
    themes = split + (height - split) // 8  # below the legend
    quarter = (height - themes) // 4
    first_row = (width // 4, themes, width, themes + quarter)
    last_row = (width // 4, height - quarter, width, height)
    reflections = _bar(image, BLUE, first_row, tall=False)
    commitments = _bar(image, VERMILLION, last_row, tall=False)
    assert 4.5 < reflections / commitments < 5.5
    assert _bar(image, BLUE, (width // 4, themes + quarter, width, height), tall=False) < 40
    assert _bar(image, VERMILLION, (width // 4, themes, width, height - quarter), tall=False) < 40


def test_an_empty_picture_draws_no_bars_at_all() -> None:
    image = _pixels(progress_chart_png(twelve_weeks()))

    width, height = image.size
    below_the_legends = (0, height // 8, width, height * 2 // 5)
    assert _where(image, GREEN, below_the_legends) == []
    assert _where(image, ORANGE, below_the_legends) == []
    assert _where(image, BLUE, (width // 3, height // 2, width, height)) == []


def test_the_operators_bars_grow_with_their_numbers() -> None:
    chart = WeeklyBarsChart("Network", [f"w{n}" for n in range(4)], [("active", [10, 20, 30, 40])])

    image = _pixels(network_chart_png(chart))

    quarter = image.width // 4
    heights = [
        _bar(image, BLUE, (week * quarter, 0, (week + 1) * quarter, image.height), tall=True)
        for week in range(4)
    ]
    assert all(abs(height - heights[0] * (n + 1)) <= 4 for n, height in enumerate(heights))


def test_a_picture_whose_numbers_do_not_match_its_weeks_is_refused() -> None:
    with pytest.raises(ValueError, match="weeks named"):
        network_chart_png(WeeklyBarsChart("Network", ["a", "b", "c"], [("series", [1, 2])]))


def test_starting_the_bot_does_not_import_pillow() -> None:
    # Pillow loads with the first picture; start-up and idle memory do not pay for it.
    code = (
        "import sys, bot.cli, bot.wiring, bot.runner, bot.app, bot.report, handlers.registry; "
        "print('PIL' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False"


def _chart_words(language: str) -> set[str]:
    """Every text the pictures can show in `language`: titles, legends, notes, the names
    of all principles and rules, and the label of every week of a year."""
    member = progress_chart(progress_picture(CURRICULUM, a_year(), NOW, "Europe/Berlin"), language)
    weeks = [NetworkWeek(NOW.date() - timedelta(weeks=n), 1, 1) for n in range(53)]
    operators = network_chart(weeks, language)
    texts = [getattr(member, field.name) for field in dataclasses.fields(member)]
    words = {text for text in texts if isinstance(text, str)}
    words |= {*member.week_labels, *member.themes, *operators.week_labels, operators.title}
    words |= {title for title, _ in operators.panels}
    words |= {card.text(language).title for card in CURRICULUM}
    return words


def _without_glyph(letters: Iterable[str], bold: bool) -> list[str]:
    """The letters the shipped font would draw as its "missing" box."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    data = (resources.files("bot") / "fonts" / name).read_bytes()
    font = ImageFont.truetype(io.BytesIO(data), 40)
    missing = bytes(font.getmask("\ue000"))  # a private-use code point: surely no glyph
    return sorted(letter for letter in letters if bytes(font.getmask(letter)) == missing)


@pytest.mark.parametrize("bold", [False, True])
@pytest.mark.parametrize("language", ["de", "en"])
def test_every_letter_the_pictures_show_is_in_the_shipped_font(language: str, bold: bool) -> None:
    letters = {letter for words in _chart_words(language) for letter in words} - {" "}

    assert language == "en" or {"ä", "ß", "–"} <= letters  # the German pictures need them
    assert _without_glyph(letters, bold) == []
    # What German texts and names need beyond today's catalogs, and the usual punctuation.
    assert _without_glyph("ÄÖÜäöüßéèçñøåłčšž–—„“‚‘’…€·", bold) == []


def test_pillows_own_font_would_not_do() -> None:
    """Why a font ships with netcoach: Pillow's bundled one has no umlauts and no ß."""
    font = ImageFont.load_default(size=40)
    missing = bytes(font.getmask("\ue000"))

    assert [bytes(font.getmask(letter)) == missing for letter in "aäß–"] == [
        False,
        True,
        True,
        True,
    ]
