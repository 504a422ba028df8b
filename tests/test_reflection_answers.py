"""The pieces of a reflection's answer: which receipt, whether a text says anything,
which names are offered, a line for every theme, and nothing named outside a private chat.
"""

from __future__ import annotations

import random

import pytest

from bot.domain.contact_names import name_runs, offered_name, sentence_words
from bot.domain.members import Identity
from bot.domain.reflection_answers import (
    FULL_RECEIPTS,
    SHORT_RECEIPTS,
    has_substance,
    keep_and_answer,
    next_receipt,
)
from bot.domain.runtime import Runtime
from content.cards import load_cards
from content.i18n import LANGUAGES, catalog
from storage.contacts import get_or_create_contact
from storage.users import get_user_by_telegram_id
from tests.support.members import add_members, sealed  # noqa: F401 (a fixture)


@pytest.mark.parametrize(
    ("note", "says_something"),
    [
        ("ok", False),
        ("asdf", False),
        ("ok ok ok", False),
        ("asdf jklö qwer", False),
        ("Tom anrufen", False),  # two words: an answer names Tom if he is a contact
        ("👍", False),
        ("Das war ein guter Tag", True),
        ("Had a great chat today", True),
    ],
)
def test_a_text_says_something_from_three_different_words(note: str, says_something: bool) -> None:
    assert has_substance(sentence_words(note)) is says_something


def test_a_receipt_is_never_the_one_before_even_when_old_notes_are_purged() -> None:
    chance = random.Random(16)
    count, previous = 0, None
    for _ in range(2000):
        # Retention deletes old notes now and then: the count goes down, the latest stays.
        count = max(0, count - chance.choice((0, 0, 0, 1, 2))) + 1
        substantial = chance.random() < 0.7
        receipt = next_receipt(previous, count, substantial)
        assert receipt != previous
        if substantial:
            assert 0 <= receipt < FULL_RECEIPTS
        else:
            assert FULL_RECEIPTS <= receipt < FULL_RECEIPTS + SHORT_RECEIPTS
        previous = receipt


@pytest.mark.parametrize(
    ("note", "offered"),
    [
        ("Von Lisa habe ich lange nichts gehört", "Lisa"),
        ("Lisa hat angerufen", "Lisa"),
        ("Heute hat Frau Weber zurückgeschrieben", "Frau Weber"),
        ("Had a long talk with Sarah Miller about the conference.", "Sarah Miller"),
        ("Mit Tom Becker war es gut", "Tom"),  # German nouns follow names too: no surname
        ("Das Meeting mit Freude und Energie war gut", None),
        ("Ich habe mit dem Team über Vertrauen gesprochen", None),
        ("Can we meet? Will do.", None),
        ("asdf", None),
    ],
)
def test_a_name_is_offered_only_when_it_surely_is_one(note: str, offered: str | None) -> None:
    assert offered_name(sentence_words(note)) == offered


def test_names_are_looked_for_in_a_bounded_number_of_runs() -> None:
    words = sentence_words("Anna Berta Carla Dora " * 500)
    assert len(words) == 60
    assert len(name_runs(words)) == 60 + 59 + 58
    # Runs never cross a sentence's end, nor begin or end with a function word, and a
    # run of several words is capitalised but for a particle ("Anna von Berg").
    runs = [run.text for run in name_runs(sentence_words("Mit Tom. Anna von Berg kam"))]
    assert runs == ["Anna von Berg", "Tom", "Anna", "Berg", "kam"]
    runs = [run.text for run in name_runs(sentence_words("mit tom becker gesprochen"))]
    assert runs == ["tom", "becker"]  # "gesprochen" is a frequent word: no edge of a name


def test_every_theme_of_the_cards_has_its_line_in_both_languages() -> None:
    themes = {card.theme for card in load_cards()}
    for language in LANGUAGES:
        t = catalog(language)
        missing = sorted(theme for theme in themes if f"reflection.theme.{theme}" not in t)
        assert missing == [], language


@pytest.mark.usefixtures("sealed")
async def test_a_reflection_sent_from_a_group_names_nobody(runtime: Runtime) -> None:
    await add_members(runtime, [7])
    card = runtime.curriculum.intro
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, 7)
        assert user is not None
        await get_or_create_contact(session, user.id, "Tom", now)
        texts = ("Von Tom habe ich lange nichts gehört", "Lisa hat sich gemeldet, schön")
        private, group = Identity(telegram_id=7, chat_id=7), Identity(telegram_id=7, chat_id=-42)
        named = await keep_and_answer(session, user, private, card, texts[0], now=now, **_NO_PROMPT)
        assert named.contact is not None and named.contact.name == "Tom"
        for note in texts:
            answer = await keep_and_answer(session, user, group, card, note, now=now, **_NO_PROMPT)
            assert answer.contact is None and answer.new_name is None


_NO_PROMPT: dict[str, None] = {"delivery_id": None, "question_index": None, "message_id": None}
