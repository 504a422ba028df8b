"""Which card a member gets next, and which question when they ask for another one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from types import MappingProxyType

import pytest

from content.cards import Card, CardText, Curriculum, load_cards
from content.rotation import CardHistory, choose_next_card, choose_next_question

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


def test_another_question_cycles_through_all_questions_before_repeating() -> None:
    text = make_card("a", 0, questions=3).text("de")
    asked: list[int] = []
    for _ in range(9):
        asked.append(choose_next_question(text, asked))

    assert asked[:3] == [0, 1, 2]
    assert sorted(asked[3:6]) == [0, 1, 2]
    assert sorted(asked[6:9]) == [0, 1, 2]
    assert all(first != second for first, second in pairwise(asked))


def test_a_new_round_of_questions_does_not_start_with_the_one_just_asked() -> None:
    text = make_card("a", 0, questions=3).text("de")

    assert choose_next_question(text, []) == 0
    assert choose_next_question(text, [2, 1, 0]) == 1
    assert choose_next_question(text, [0, 1, 2]) == 0


def test_questions_asked_in_another_language_with_more_questions_are_ignored() -> None:
    text = make_card("a", 0, questions=2).text("de")

    assert choose_next_question(text, [2]) == 0
    assert choose_next_question(text, [0, 2]) == 1


def test_a_card_without_questions_is_refused() -> None:
    text = CardText("t", "e", (), ())

    with pytest.raises(ValueError, match="no questions"):
        choose_next_question(text, [])
