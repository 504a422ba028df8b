"""The weekly review in words and the progress pictures' labels, in the member's language."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date

from bot.charts import ProgressChart, WeeklyBarsChart
from bot.domain.network_stats import NetworkWeek
from bot.domain.review import (
    OverdueCommitment,
    ProgressPicture,
    ReviewResult,
    ThemeCoverage,
    ThemeGap,
    WeeklyReview,
)
from bot.screens.base import Screen
from bot.screens.fitting import shorten
from content.cards import Card
from content.i18n import Catalog, Markup, catalog, format_local_date

__all__ = [
    "CAPTION_LIMIT",
    "REVIEW_PLACEMENT",
    "ReviewPhoto",
    "network_caption",
    "network_chart",
    "progress_chart",
    "review_photo",
    "review_screen",
    "review_section",
    "theme_name",
    "variant",
    "week_label",
]

REVIEW_PLACEMENT = "rvp"  # settings button: where the weekly review goes
CAPTION_LIMIT = 1024  # Telegram's limit for a photo caption
# Members' own words in the review, shortened to one line of about this many units.
QUOTE_UNITS = 100
ACTION_UNITS = 60
NAME_UNITS = 32


@dataclass(frozen=True, slots=True)
class ReviewPhoto:
    """`/review`: a picture with its caption, and text that did not fit in the caption."""

    chart: ProgressChart
    caption: str
    follow_up: Screen | None = None


def theme_name(t: Catalog, theme: str, card: Card) -> str:
    """A short name (HTML) for a principle or rule; its card's title when the catalog has none."""
    key = f"theme.{theme}"
    if key in t:
        return str(t(key))
    return html.escape(card.text(t.language).title, quote=False)


def week_label(start: date, language: str) -> str:
    """A week as its Monday, short: "23.11." or "23 Nov"."""
    pattern = "d.M." if language == "de" else "d MMM"
    return str(format_date(start, pattern, locale=language))


def _commitment_parts(t: Catalog, review: WeeklyReview) -> list[str]:
    counts = (
        ("review.kept", review.kept),
        ("review.renegotiated", review.renegotiated),
        ("review.released", review.released),
        ("review.open", review.open),
    )
    return [str(t(key, count=count)) for key, count in counts if count]


def variant(t: Catalog, key: str, week: int, **values: object) -> Markup:
    """One of the wordings `key_1`, `key_2`, … for this week: the next one each week."""
    count = 1
    while f"{key}_{count + 1}" in t:
        count += 1
    return t(f"{key}_{week % count + 1}", **values)


def _more(text: str, more: int) -> Markup:
    """A list's names, and "+N" for the ones left out."""
    return Markup(f"{text} +{more}" if more else text)


def _one_line(text: str, units: int) -> str:
    """A member's text on one line, cut to `units`."""
    return shorten(" ".join(text.split()), units)


def _overdue_line(t: Catalog, review: WeeklyReview, item: OverdueCommitment) -> Markup:
    action = _one_line(item.action, ACTION_UNITS) if item.action.strip() else item.action
    if item.contact:
        named = t("review.item", action=action, contact=shorten(item.contact, NAME_UNITS))
    else:
        named = t("review.item_nobody", action=action)
    when = format_local_date(item.due_at, review.timezone, t.language, now=review.now)
    return variant(t, "review.overdue", review.week, when=when, item=named)


def _gap_lines(t: Catalog, review: WeeklyReview, gap: ThemeGap) -> list[Markup]:
    """The theme left aside longest, and one of its card's suggested actions as an idea."""
    name = Markup(theme_name(t, gap.theme, gap.card))
    if gap.weeks is None:
        lines = [variant(t, "review.gap_never", review.week, theme=name)]
    else:
        lines = [variant(t, "review.gap_weeks", review.week, theme=name, weeks=gap.weeks)]
    # Actions naming a contact ("{contact} anrufen") need one; the others stand alone.
    ideas = [a for a in gap.card.text(t.language).actions if "{" not in a]
    if ideas:
        idea = ideas[review.week % len(ideas)]
        lines.append(variant(t, "review.idea", review.week, idea=idea))
    return lines


def review_section(review: WeeklyReview, language: str) -> Markup:
    """The review as a few short lines (HTML), title first; worded anew each week.

    Nothing of the member's own text in the first line: a notification shows it.
    """
    t = catalog(language)
    week = review.week
    lines = [t("review.title")]
    if review.reflections:
        lines.append(variant(t, "review.reflections", week, count=review.reflections))
    if review.named.quote:
        quote = _one_line(review.named.quote, QUOTE_UNITS)
        lines.append(variant(t, "review.quote", week, quote=quote))
    parts = _commitment_parts(t, review)
    if parts:
        lines.append(variant(t, "review.commitments", week, parts=Markup(" · ".join(parts))))
    lines += [_overdue_line(t, review, item) for item in review.named.overdue]
    if review.named.more_overdue:
        lines.append(t.plural("review.overdue_more", review.named.more_overdue))
    if review.checkins:
        names = _more(html.escape(", ".join(review.checkins), quote=False), review.more_checkins)
        lines.append(variant(t, "review.checkins", week, names=names))
    if review.gap is not None:
        lines += _gap_lines(t, review, review.gap)
    if review.streak >= 2:
        lines.append(variant(t, "review.streak", week, weeks=review.streak))
    return Markup("\n".join(lines))


def review_screen(review: WeeklyReview, language: str) -> Screen:
    """The review as a message of its own, sent right before the weekly prompt."""
    return Screen(review_section(review, language))


def _chart_text(t: Catalog, key: str) -> str:
    """Catalog text for a picture: plain text, not HTML."""
    return html.unescape(str(t(key)))


def _themes(t: Catalog, coverage: Sequence[ThemeCoverage]) -> list[str]:
    return [html.unescape(theme_name(t, item.theme, item.card)) for item in coverage]


def progress_chart(picture: ProgressPicture, language: str) -> ProgressChart:
    """What the member's picture says, in their language."""
    t = catalog(language)
    labels = [week_label(week.start, language) for week in picture.weeks]
    if labels:
        labels[-1] = _chart_text(t, "chart.this_week")
    return ProgressChart(
        title=_chart_text(t, "chart.title"),
        weeks_title=_chart_text(t, "chart.weeks_title"),
        week_labels=labels,
        kept=[week.kept for week in picture.weeks],
        open=[week.open for week in picture.weeks],
        kept_label=_chart_text(t, "chart.kept"),
        open_label=_chart_text(t, "chart.open"),
        coverage_title=_chart_text(t, "chart.coverage_title"),
        themes=_themes(t, picture.coverage),
        reflections=[item.reflections for item in picture.coverage],
        commitments=[item.commitments for item in picture.coverage],
        reflections_label=_chart_text(t, "chart.reflections"),
        commitments_label=_chart_text(t, "chart.commitments"),
        empty_note=_chart_text(t, "chart.empty"),
    )


def review_photo(result: ReviewResult) -> ReviewPhoto:
    """`/review`: the picture, with the review as its caption when it fits."""
    language = result.member.language
    t = catalog(language)
    chart = progress_chart(result.picture, language)
    if not result.picture.has_data:
        return ReviewPhoto(chart, str(t("review.caption_empty")))
    heading = str(t("review.caption"))
    if result.review is None:
        return ReviewPhoto(chart, heading)
    section = review_section(result.review, language)
    caption = f"{heading}\n\n{section}"
    if len(caption) <= CAPTION_LIMIT:
        return ReviewPhoto(chart, caption)
    return ReviewPhoto(chart, heading, Screen(section))


def network_chart(weeks: Sequence[NetworkWeek], language: str) -> WeeklyBarsChart:
    """Operators' picture: members active and commitments kept per week."""
    t = catalog(language)
    labels = [week_label(week.start, language) for week in weeks]
    if labels:
        labels[-1] = _chart_text(t, "chart.this_week")
    return WeeklyBarsChart(
        title=_chart_text(t, "stats.chart_title"),
        week_labels=labels,
        panels=(
            (_chart_text(t, "stats.chart_active"), [week.active_members for week in weeks]),
            (_chart_text(t, "stats.chart_kept"), [week.kept for week in weeks]),
        ),
    )


def network_caption(language: str) -> str:
    """The caption (HTML) of the operators' picture."""
    return str(catalog(language)("stats.chart_title"))
