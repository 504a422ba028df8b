"""The weekly review in numbers and words: what a member did, what waits, what was left aside."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

from bot.domain.review import (
    CommitmentFact,
    History,
    Named,
    OverdueCommitment,
    WeeklyReview,
    build_review,
    least_recent_theme,
    progress_picture,
    streak_weeks,
    theme_coverage,
    week_start,
    weekly_review,
)
from bot.domain.runtime import Runtime
from bot.screens.review import review_section
from content.cards import load_cards
from content.rotation import CardHistory, choose_next_card
from storage.models import CommitmentStatus as Status
from storage.users import get_user_by_telegram_id
from tests.support.history import HistoryBuilder, member

# Thursday 26 November 2026, 08:00 UTC, as in the stories.
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
BERLIN = "Europe/Berlin"
CURRICULUM = load_cards()
PRINCIPLES = [card.key for card in CURRICULUM if card.kind != "intro"]


def days_ago(days: float) -> datetime:
    """A moment `days` before now."""
    return NOW - timedelta(days=days)


def weekly_practice(weeks: int, *, skip: str = "") -> History:
    """A reflection a week for `weeks` weeks, cycling through the principles (but `skip`)."""
    keys = [key for key in PRINCIPLES if key != skip]
    return History(
        reflections=tuple((keys[n % len(keys)], days_ago(7 * n + 2)) for n in range(weeks))
    )


def review(history: History, checkins: tuple[str, ...] = ()) -> WeeklyReview | None:
    """The review at the member's Thursday prompt, in Berlin."""
    return weekly_review(CURRICULUM, history, checkins, NOW, BERLIN)


def test_a_member_with_nothing_to_report_gets_no_review() -> None:
    assert review(History()) is None


def test_last_weeks_reflections_and_commitments_are_counted_older_ones_are_not() -> None:
    history = History(
        reflections=(("principle-trust", days_ago(2)), ("rule-fairness", days_ago(9))),
        commitments=(
            CommitmentFact("principle-trust", Status.DONE, days_ago(10), closed_at=days_ago(3)),
            CommitmentFact("rule-fairness", Status.DONE, days_ago(20), closed_at=days_ago(12)),
            CommitmentFact(None, Status.RELEASED, days_ago(5), closed_at=days_ago(1)),
            CommitmentFact(None, Status.OPEN, days_ago(6), renegotiated_at=days_ago(4)),
            CommitmentFact("principle-trust", Status.OPEN, days_ago(1)),
        ),
    )

    found = review(history)

    assert found is not None
    assert (found.reflections, found.kept, found.renegotiated, found.released, found.open) == (
        1,
        1,
        1,
        1,
        2,
    )


def test_the_principle_left_aside_longest_is_named_with_its_weeks() -> None:
    # Negotiation had one reflection six and a half weeks ago; every other card since.
    history = weekly_practice(12, skip="principle-negotiation")
    history = History(
        reflections=(*history.reflections, ("principle-negotiation", days_ago(46))),
    )

    found = review(history)

    assert found is not None and found.gap is not None
    assert (found.gap.theme, found.gap.weeks) == ("negotiation", 6)
    german = review_section(found, "de")
    english = review_section(found, "en")
    assert "Verhandeln" in german and "6 Wochen" in german
    assert "Negotiation" in english and "6 weeks" in english


def test_a_commitment_from_a_card_counts_as_evidence_for_its_principle() -> None:
    history = weekly_practice(12, skip="principle-negotiation")
    with_commitment = History(
        reflections=history.reflections,
        commitments=(CommitmentFact("principle-negotiation", Status.OPEN, days_ago(3)),),
    )
    coverage = theme_coverage(CURRICULUM, with_commitment, days_ago(84))

    negotiation = next(item for item in coverage if item.theme == "negotiation")
    assert (negotiation.reflections, negotiation.commitments) == (0, 1)
    assert negotiation.last_evidence_at == days_ago(3)
    gap = least_recent_theme(coverage, NOW, days_ago(80))
    assert gap is None or gap.theme != "negotiation"


def test_a_new_member_is_not_told_about_principles_they_have_not_reached_yet() -> None:
    history = weekly_practice(2)

    found = review(history)

    assert found is not None and found.gap is None


def test_untouched_principles_are_mentioned_once_the_member_has_practised_a_while() -> None:
    history = weekly_practice(6, skip="rule-discretion")

    found = review(history)

    assert found is not None and found.gap is not None
    assert found.gap.weeks is None  # never touched, named as such
    assert "Diskretion" in review_section(found, "de")


def test_weeks_in_a_row_make_a_streak_and_the_unfinished_week_does_not_break_it() -> None:
    # Reflections in each of the last four calendar weeks, none yet this week (Thursday).
    history = History(reflections=tuple(("rule-fairness", days_ago(7 * n + 4)) for n in range(4)))

    assert streak_weeks(history, NOW, BERLIN) == 4
    found = review(history)
    assert found is not None and found.streak == 4
    assert "4 Wochen" in review_section(found, "de")


def test_a_kept_commitment_keeps_a_streak_going_too() -> None:
    history = History(
        reflections=(("rule-fairness", days_ago(4)), ("rule-fairness", days_ago(18))),
        commitments=(CommitmentFact(None, Status.DONE, days_ago(14), closed_at=days_ago(11)),),
    )

    assert streak_weeks(history, NOW, BERLIN) == 3


def test_a_broken_streak_is_never_mentioned() -> None:
    # Busy for months, then a gap of three weeks, then one reflection two days ago.
    history = History(
        reflections=(
            ("rule-fairness", days_ago(2)),
            *(("rule-fairness", days_ago(7 * n + 28)) for n in range(10)),
        )
    )

    found = review(history)

    assert found is not None and found.streak == 1
    for language in ("de", "en"):
        text = review_section(found, language).lower()
        assert "folge" not in text and "in a row" not in text
        assert "verpasst" not in text and "missed" not in text


def test_check_ins_due_this_week_are_listed_three_at_most() -> None:
    found = review(History(), ("Anna", "Tom", "Priya", "Jonas", "Mia"))

    assert found is not None
    text = review_section(found, "en")
    assert "Anna, Tom, Priya" in text and "Jonas" not in text and "+2" in text


def test_names_in_the_review_are_escaped_for_telegram_html() -> None:
    found = review(History(), ("<b>Ben</b>",))

    assert found is not None
    assert "&lt;b&gt;Ben&lt;/b&gt;" in review_section(found, "de")


def test_weeks_begin_on_monday_in_the_members_own_time_zone() -> None:
    # Sunday 29 Nov 2026, 23:30 in Berlin is already Monday in Tokyo.
    late_sunday = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)

    assert week_start(late_sunday, BERLIN) == date(2026, 11, 23)
    assert week_start(late_sunday, "Asia/Tokyo") == date(2026, 11, 30)


def test_the_picture_counts_kept_in_the_week_kept_and_open_at_the_weeks_end() -> None:
    history = History(
        commitments=(
            # Made three weeks ago, kept two weeks ago.
            CommitmentFact(None, Status.DONE, days_ago(21), closed_at=days_ago(14)),
            # Made last week, still open.
            CommitmentFact(None, Status.OPEN, days_ago(6)),
        )
    )

    picture = progress_picture(CURRICULUM, history, NOW, BERLIN)

    assert len(picture.weeks) == 12
    assert picture.weeks[-1].start == date(2026, 11, 23)
    kept = [week.kept for week in picture.weeks]
    still_open = [week.open for week in picture.weeks]
    assert kept[-3:] == [1, 0, 0]
    assert still_open[-4:] == [1, 0, 1, 1]


def test_once_every_card_was_seen_the_principle_with_the_least_recent_evidence_comes_next() -> None:
    # Every card shown once, all reflected on in the same order as shown...
    week = timedelta(weeks=1)
    history = [
        CardHistory(key, last_shown_at=days_ago(70) + n * week, last_reflected_at=None)
        for n, key in enumerate(CURRICULUM.keys)
    ]
    # ...and commitments made from all of them except negotiation, recently.
    history = [
        CardHistory(
            entry.card_key,
            entry.last_shown_at,
            None,
            None if entry.card_key == "principle-negotiation" else days_ago(3),
        )
        for entry in history
    ]

    assert choose_next_card(CURRICULUM, history).key == "principle-negotiation"


def test_a_principle_left_aside_for_weeks_is_never_worded_the_same_two_weeks_running() -> None:
    # The issue saw "🧭 Vertrauen: noch keine Notiz und kein Vorhaben" six weeks in a row.
    history = weekly_practice(10, skip="principle-trust")
    texts = []
    for week in range(6):
        moment = NOW + timedelta(weeks=week)
        found = weekly_review(CURRICULUM, history, (), moment, BERLIN)
        assert found is not None and found.gap is not None and found.gap.theme == "trust"
        texts.append(review_section(found, "de"))
    for before, after in pairwise(texts):
        gap_before = [line for line in before.splitlines() if "Vertrauen" in line]
        gap_after = [line for line in after.splitlines() if "Vertrauen" in line]
        assert gap_before and gap_after and gap_before != gap_after
        # Every line but the title reads differently from the week before.
        assert set(before.splitlines()[1:]).isdisjoint(after.splitlines()[1:])
    # With an idea from the principle's own card, not only a count.
    assert all("💡" in text for text in texts)


def test_the_review_names_an_overdue_commitment_and_quotes_a_reflection_shortened() -> None:
    long_note = "Von Tom habe ich lange nichts gehört. " * 10
    named = Named(
        overdue=(
            OverdueCommitment(1, "Lea das Buch zurückgeben", "Lea", days_ago(10)),
            OverdueCommitment(2, "<i>Angebot</i> schicken", None, days_ago(4)),
        ),
        more_overdue=3,
        quote=long_note,
    )
    found = weekly_review(CURRICULUM, History(), (), NOW, BERLIN, named)

    assert found is not None
    text = review_section(found, "de")
    lines = text.splitlines()
    assert lines[0] == "<b>Dein Wochenrückblick</b>"  # nothing of the member's in a preview
    assert "<b>Lea das Buch zurückgeben</b> (Lea)" in text and "Mo., 16. Nov." in text
    assert "&lt;i&gt;Angebot&lt;/i&gt; schicken" in text
    assert "3 weitere überfällige Vorhaben" in text
    (quoted,) = [line for line in lines if "Von Tom" in line]
    assert quoted.endswith("…“") and len(quoted) < 160


async def test_the_week_s_latest_reflection_is_quoted_in_a_private_chat_only(
    runtime: Runtime,
) -> None:
    history = HistoryBuilder(runtime, await member(runtime, 7))
    now = runtime.clock.now()
    await history.reflection("principle-trust", now - timedelta(days=9), "Zu alt")
    await history.reflection("principle-trust", now - timedelta(days=3), "Ben hat mir geholfen")
    await history.reflection("principle-trust", now - timedelta(days=1), "Tom anrufen, bald")
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, 7)
        assert user is not None
        found = await build_review(session, CURRICULUM, user, now)
        assert found is not None and found.named.quote == "Tom anrufen, bald"
        user.chat_id = -1001234  # the same member, but in a group
        in_group = await build_review(session, CURRICULUM, user, now)
        assert in_group is not None and in_group.named.quote is None
