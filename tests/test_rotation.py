"""Which card a member gets next, and which question when they ask for another one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import pytest

from bot.clock import ShiftableClock
from bot.domain import reflections as reflection_flow
from bot.domain.members import Identity
from bot.domain.prompts import (
    Outcome,
    Prompt,
    SendOutcome,
    claim_deliveries,
    record_outcomes,
    schedule_due_prompts,
)
from bot.domain.runtime import Runtime
from content.cards import Card, CardText, Curriculum, load_cards
from content.rotation import (
    QUESTION_REST,
    CardHistory,
    another_question,
    choose_next_card,
    choose_next_question,
    exhausted_cards,
    fresh_questions,
)
from storage.users import get_user_by_telegram_id
from tests.support.members import add_members

MONDAY = datetime(2025, 1, 6, 9, tzinfo=UTC)


def week(number: int) -> datetime:
    """The weekly prompt slot `number` weeks after the first one."""
    return MONDAY + timedelta(weeks=number)


def make_card(key: str, order: int, kind: str = "rule", questions: int = 3) -> Card:
    """A small card with `questions` numbered questions."""
    text = CardText(
        title=key,
        explanation="Explanation.",
        questions=tuple(f"Question {n}?" for n in range(questions)),
        actions=("Act", "Act again"),
    )
    return Card(key, kind, order, key, "test", MappingProxyType({"de": text}))


def record(history: dict[str, CardHistory], key: str, shown: datetime) -> None:
    """Note that `key` was sent at `shown`, keeping its reflection."""
    earlier = history.get(key, CardHistory(key))
    history[key] = CardHistory(key, shown, earlier.last_reflected_at)


def test_a_new_member_starts_with_the_intro() -> None:
    curriculum = load_cards()

    assert choose_next_card(curriculum, []) == curriculum.intro
    assert choose_next_card(curriculum, []).key == "intro-relationships"


def test_a_member_sees_all_nine_cards_in_order_before_any_repeats() -> None:
    curriculum = load_cards()
    history: dict[str, CardHistory] = {}
    sent = []
    for number in range(10):
        card = choose_next_card(curriculum, history.values())
        sent.append(card.key)
        record(history, card.key, week(number))

    assert tuple(sent[:9]) == curriculum.keys
    assert sent[9] in curriculum.keys


def test_a_card_added_mid_way_is_shown_before_any_repeat() -> None:
    curriculum = Curriculum((make_card("intro", 0, "intro"), make_card("a", 1), make_card("b", 3)))
    grown = Curriculum((*curriculum.cards, make_card("new", 2)))
    history = [CardHistory("intro", week(0)), CardHistory("a", week(1)), CardHistory("b", week(2))]

    assert choose_next_card(grown, history).key == "new"


def test_after_the_round_the_card_not_reflected_on_longest_comes_next() -> None:
    curriculum = load_cards()
    history = [
        CardHistory(key, last_shown_at=week(n), last_reflected_at=week(n) + timedelta(hours=2))
        for n, key in enumerate(curriculum.keys)
    ]
    # The member came back to the intro in week 9 and reflected on trust in week 10.
    history[0] = CardHistory("intro-relationships", week(0), week(9))
    history[2] = CardHistory("principle-trust", week(2), week(10))

    assert choose_next_card(curriculum, history).key == "principle-cooperation"


def test_a_card_never_reflected_on_comes_before_old_reflections() -> None:
    curriculum = load_cards()
    history = [
        CardHistory(key, last_shown_at=week(n), last_reflected_at=week(n))
        for n, key in enumerate(curriculum.keys)
    ]
    history[6] = CardHistory("rule-discretion", week(6), None)

    assert choose_next_card(curriculum, history).key == "rule-discretion"


def test_equal_reflections_go_to_the_card_shown_longest_ago() -> None:
    curriculum = load_cards()
    history = [
        CardHistory(key, last_shown_at=week(20 - n)) for n, key in enumerate(curriculum.keys)
    ]

    assert choose_next_card(curriculum, history).key == "rule-give-and-take"


def test_the_card_shown_last_time_is_not_sent_again_if_there_is_another() -> None:
    curriculum = load_cards()
    history = [
        CardHistory(key, last_shown_at=week(n), last_reflected_at=week(n))
        for n, key in enumerate(curriculum.keys)
    ]
    # Never reflected on, so it would be first, but it was the last card sent.
    history[4] = CardHistory("principle-negotiation", week(12), None)

    assert choose_next_card(curriculum, history).key == "intro-relationships"


def test_a_one_card_curriculum_repeats_its_only_card() -> None:
    only = Curriculum((make_card("intro", 0, "intro"),))

    assert choose_next_card(only, [CardHistory("intro", week(0))]).key == "intro"


def test_history_of_retired_cards_is_ignored() -> None:
    curriculum = load_cards()
    history = [CardHistory(key, last_shown_at=week(n)) for n, key in enumerate(curriculum.keys)]
    history.append(CardHistory("rule-retired", last_shown_at=week(30)))

    # rule-give-and-take was the last card still in the curriculum, so it is skipped.
    assert choose_next_card(curriculum, history).key == "intro-relationships"
    assert choose_next_card(curriculum, [CardHistory("rule-retired", week(0))]).key == (
        "intro-relationships"
    )


def test_a_long_run_never_sends_the_same_card_twice_in_a_row() -> None:
    curriculum = load_cards()
    history: dict[str, CardHistory] = {}
    previous = ""
    for number in range(60):
        card = choose_next_card(curriculum, history.values())
        assert card.key != previous, number
        record(history, card.key, week(number))
        if number % 3:  # the member reflects on two prompts out of three
            history[card.key] = CardHistory(card.key, week(number), week(number) + timedelta(1))
        previous = card.key


def test_questions_come_in_the_cards_order_and_none_again_within_a_year() -> None:
    text = make_card("a", 0, questions=3).text("de")
    asked: dict[int, datetime] = {}
    order = []
    for number in range(3):
        index = choose_next_question(text, asked, week(number))
        order.append(index)
        asked[index] = week(number)

    assert order == [0, 1, 2]
    assert fresh_questions(text, asked, week(3)) == []
    # A year after it was asked, the first question is fresh again.
    assert fresh_questions(text, asked, week(0) + QUESTION_REST) == [0]


def test_never_asked_questions_come_before_those_asked_more_than_a_year_ago() -> None:
    text = make_card("a", 0, questions=4).text("de")
    now = week(100)
    asked = {2: week(10), 0: week(5), 3: week(99)}

    assert fresh_questions(text, asked, now) == [1, 0, 2]
    assert choose_next_question(text, asked, now) == 1


def test_when_every_question_was_asked_this_year_the_one_asked_longest_ago_comes() -> None:
    text = make_card("a", 0, questions=3).text("de")
    asked = {0: week(3), 1: week(1), 2: week(2)}

    assert choose_next_question(text, asked, week(4)) == 1


def test_another_question_skips_those_asked_this_year_and_ends_when_all_were() -> None:
    text = make_card("a", 0, questions=4).text("de")
    asked = {0: week(0), 2: week(1)}  # question 2 is on screen now

    assert another_question(text, asked, week(1), current=2) == 1
    asked[1] = week(1)
    assert another_question(text, asked, week(1), current=1) == 3
    asked[3] = week(1)
    assert another_question(text, asked, week(1), current=3) is None


def test_questions_asked_in_another_language_with_more_questions_are_ignored() -> None:
    text = make_card("a", 0, questions=2).text("de")

    assert choose_next_question(text, {2: week(0)}, week(1)) == 0
    assert choose_next_question(text, {0: week(0), 2: week(0)}, week(1)) == 1


def test_a_card_without_questions_is_refused() -> None:
    text = CardText("t", "e", (), ())

    with pytest.raises(ValueError, match="no questions"):
        choose_next_question(text, {}, week(0))


def test_a_card_whose_questions_were_all_asked_this_year_is_passed_over() -> None:
    curriculum = Curriculum(
        (make_card("intro", 0, "intro"), make_card("a", 1, questions=2), make_card("b", 2))
    )
    history = [CardHistory("intro", week(0)), CardHistory("a", week(1)), CardHistory("b", week(2))]
    asked = {"a": {0: week(1), 1: week(1)}, "b": {0: week(2)}}
    exhausted = exhausted_cards(curriculum, "de", asked, week(3))

    assert exhausted == {"a"}
    # "a" has the least recent evidence and "b" was shown last, yet "a" has nothing new.
    assert choose_next_card(curriculum, history, exhausted).key == "intro"
    # A year later its questions are fresh again.
    assert exhausted_cards(curriculum, "de", asked, week(1) + QUESTION_REST) == set()


def test_a_year_of_weekly_cards_and_another_question_presses_never_repeats_a_question() -> None:
    curriculum = load_cards()
    for language in ("de", "en"):
        history: dict[str, CardHistory] = {}
        asked: dict[str, dict[int, datetime]] = {}
        seen: list[tuple[str, int]] = []
        for number in range(52):
            now = week(number)
            card = choose_next_card(
                curriculum, history.values(), exhausted_cards(curriculum, language, asked, now)
            )
            text = card.text(language)
            index = choose_next_question(text, asked.get(card.key, {}), now)
            asked.setdefault(card.key, {})[index] = now
            seen.append((card.key, index))
            record(history, card.key, now)
            if number % 5 == 2:  # every fifth week the member wants another question
                pressed = another_question(text, asked[card.key], now, index)
                if pressed is not None:  # None: "you have seen them all", no repeat
                    asked[card.key][pressed] = now
                    seen.append((card.key, pressed))
            if number % 3 == 0:  # and reflects on every third card
                history[card.key] = CardHistory(card.key, now, now + timedelta(hours=1))

        assert len(seen) > 52 + 5
        assert len(set(seen)) == len(seen), language


async def test_a_members_year_through_the_dispatcher_never_repeats_a_question(
    runtime: Runtime, clock: ShiftableClock
) -> None:
    """52 weekly prompts as the dispatcher schedules them, "another question" pressed now
    and then, notes written, German for half a year and English after: no question twice."""
    who = Identity(7, 7, "de")
    await add_members(runtime, [who.telegram_id], next_prompt_at=clock.now())
    seen: list[tuple[str, int]] = []
    all_shown = 0
    for number in range(52):
        if number == 26:
            async with runtime.sessions.begin() as session:
                user = await get_user_by_telegram_id(session, who.telegram_id)
                assert user is not None
                user.language = "en"
        assert await schedule_due_prompts(runtime) == 1
        (prompt,) = await claim_deliveries(runtime, 10, timedelta(minutes=1))
        assert isinstance(prompt, Prompt)
        await record_outcomes(runtime, [SendOutcome(prompt.delivery_id, Outcome.SENT, 1)])
        seen.append((prompt.card.key, prompt.question_index))
        if number % 5 == 2:
            pressed = await reflection_flow.another_question(runtime, who, prompt.delivery_id)
            assert pressed is not None
            if pressed.all_questions_shown:
                all_shown += 1
            else:
                seen.append((pressed.card.key, pressed.question_index))
        if number % 3 == 0:
            await reflection_flow.ask_for_reflection(runtime, who, prompt.delivery_id)
            await reflection_flow.save_reflection(runtime, who, f"Woche {number}")
        clock.advance(timedelta(weeks=1))

    assert len(seen) + all_shown == 52 + 10
    assert len(set(seen)) == len(seen)
