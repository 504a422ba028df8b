"""A member with a year of practice: the review and the picture say what the database holds."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.charts import progress_chart_png
from bot.domain.members import Identity
from bot.domain.network_stats import network_weeks
from bot.domain.review import review_for_member
from bot.domain.runtime import Runtime
from bot.screens.review import progress_chart, review_photo
from storage.deliveries import card_history
from storage.models import Commitment, CommitmentStatus, Reflection
from tests.support.history import PRINCIPLE_CARDS, HistoryBuilder, member, year_of_history

BERLIN = ZoneInfo("Europe/Berlin")


async def _count(runtime: Runtime, query: object) -> int:
    async with runtime.sessions() as session:
        return int((await session.execute(query)).scalar_one())  # type: ignore[call-overload]


async def test_a_year_of_practice_gives_a_review_and_a_picture_that_match_the_database(
    runtime: Runtime,
) -> None:
    now = runtime.clock.now()
    user_id = await member(runtime, 501, joined=now - timedelta(weeks=53))
    await year_of_history(HistoryBuilder(runtime, user_id), now)

    result = await review_for_member(runtime, Identity(501, 501))

    assert result is not None and result.review is not None
    picture = result.picture
    assert len(picture.weeks) == 12
    for week in picture.weeks:
        start = datetime.combine(week.start, time(), tzinfo=BERLIN)
        end = datetime.combine(week.start + timedelta(weeks=1), time(), tzinfo=BERLIN)
        kept = await _count(
            runtime,
            select(func.count()).where(
                Commitment.user_id == user_id,
                Commitment.status == CommitmentStatus.DONE,
                Commitment.closed_at >= start,
                Commitment.closed_at < end,
            ),
        )
        still_open = await _count(
            runtime,
            select(func.count()).where(
                Commitment.user_id == user_id,
                Commitment.created_at < end,
                (Commitment.closed_at.is_(None)) | (Commitment.closed_at >= end),
            ),
        )
        assert (week.kept, week.open) == (kept, still_open), week.start

    since = datetime.combine(picture.weeks[0].start, time(), tzinfo=BERLIN)
    for coverage, card_key in zip(picture.coverage, PRINCIPLE_CARDS, strict=True):
        reflections = await _count(
            runtime,
            select(func.count()).where(
                Reflection.user_id == user_id,
                Reflection.card_key == card_key,
                Reflection.created_at >= since,
            ),
        )
        commitments = await _count(
            runtime,
            select(func.count()).where(
                Commitment.user_id == user_id,
                Commitment.card_key == card_key,
                Commitment.created_at >= since,
            ),
        )
        assert (coverage.reflections, coverage.commitments) == (reflections, commitments)

    review = result.review
    last_week = now - timedelta(weeks=1)
    assert review.reflections == await _count(
        runtime,
        select(func.count()).where(
            Reflection.user_id == user_id, Reflection.created_at > last_week
        ),
    )
    assert review.open == await _count(
        runtime,
        select(func.count()).where(
            Commitment.user_id == user_id, Commitment.status == CommitmentStatus.OPEN
        ),
    )
    # Negotiation was left aside after the first weeks of the year.
    assert review.gap is not None and review.gap.theme == "negotiation"
    assert review.gap.weeks is not None and review.gap.weeks >= 39
    assert review.streak >= 2

    # What is drawn is what was counted, with German labels.
    chart = progress_chart(picture, "de")
    assert list(chart.kept) == [week.kept for week in picture.weeks]
    assert list(chart.reflections) == [item.reflections for item in picture.coverage]
    assert "Verhandeln" in chart.themes and chart.week_labels[-1] == "diese Woche"
    assert progress_chart_png(chart).startswith(b"\x89PNG")
    photo = review_photo(result)
    assert "Verhandeln" in photo.caption and photo.follow_up is None


async def test_the_rotation_history_knows_when_a_card_last_led_to_a_commitment(
    runtime: Runtime,
) -> None:
    now = runtime.clock.now()
    user_id = await member(runtime, 502)
    builder = HistoryBuilder(runtime, user_id)
    await builder.reflection("principle-trust", now - timedelta(days=9))
    await builder.commitment("principle-trust", now - timedelta(days=2))
    await builder.commitment("rule-fairness", now - timedelta(days=1))

    async with runtime.sessions() as session:
        rows = {row[0]: row for row in await card_history(session, user_id)}

    assert rows["principle-trust"][2] == now - timedelta(days=9)
    assert rows["principle-trust"][3] == now - timedelta(days=2)
    assert rows["rule-fairness"][1:] == (None, None, now - timedelta(days=1))


async def test_operators_see_members_active_and_commitments_kept_per_week_without_names(
    runtime: Runtime,
) -> None:
    now = runtime.clock.now()
    anna = HistoryBuilder(runtime, await member(runtime, 601))
    ben = HistoryBuilder(runtime, await member(runtime, 602))
    # This week both reflect (Anna twice); last week only Ben keeps a commitment.
    await anna.reflection("rule-fairness", now - timedelta(hours=3))
    await anna.reflection("rule-fairness", now - timedelta(hours=2))
    await ben.reflection("principle-trust", now - timedelta(hours=1))
    await ben.commitment(
        None, now - timedelta(days=10), kept=now - timedelta(days=6), contact="Tom"
    )

    weeks = await network_weeks(runtime)

    assert len(weeks) == 12
    assert (weeks[-1].active_members, weeks[-1].kept) == (2, 0)
    assert (weeks[-2].active_members, weeks[-2].kept) == (1, 1)
    assert sum(week.active_members for week in weeks[:-2]) == 0
