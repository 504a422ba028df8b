"""Progress pictures: drawn for no data, one week and a year, readable on a phone."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from bot.charts import (
    BLUE,
    GREEN,
    ORANGE,
    VERMILLION,
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


def _has_colour(image: Image.Image, hex_colour: str) -> bool:
    """Bars of this colour are drawn (more than the legend's little square of it)."""
    wanted = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
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


def test_starting_the_bot_does_not_import_matplotlib() -> None:
    code = (
        "import sys, bot.charts, bot.screens.review, handlers.registry; "
        "print('matplotlib' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False"
