"""Which card a member gets next, and which of its questions to ask next.

Pure functions over what the caller already knows; no database, no clock.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from content.cards import Card, CardText, Curriculum

__all__ = [
    "QUESTION_REST",
    "CardHistory",
    "another_question",
    "choose_next_card",
    "choose_next_question",
    "exhausted_cards",
    "fresh_questions",
]

# A question asked is not asked again for this long: 52 weekly prompts and the "another
# question" presses between them never meet one twice (the nine cards hold 63).
QUESTION_REST = timedelta(days=365)


@dataclass(frozen=True)
class CardHistory:
    """What a member has done with one card. Use timezone-aware datetimes."""

    card_key: str
    last_shown_at: datetime | None = None
    last_reflected_at: datetime | None = None
    last_committed_at: datetime | None = None

    @property
    def last_evidence_at(self) -> datetime | None:
        """The latest reflection on the card or commitment made from it."""
        return _latest(self.last_reflected_at, self.last_committed_at)


def _latest(first: datetime | None, second: datetime | None) -> datetime | None:
    if first is None or second is None:
        return first or second
    return max(first, second)


def _recency(moment: datetime | None) -> tuple[int, float]:
    """Sort key: never (None) before any moment, then oldest first."""
    return (0, 0.0) if moment is None else (1, moment.timestamp())


def _merge(curriculum: Curriculum, history: Iterable[CardHistory]) -> dict[str, CardHistory]:
    """One entry per card still in the curriculum; duplicates keep the latest moments."""
    merged: dict[str, CardHistory] = {}
    for entry in history:
        if entry.card_key not in curriculum:
            continue
        earlier = merged.get(entry.card_key)
        if earlier is not None:
            entry = CardHistory(
                entry.card_key,
                _latest(earlier.last_shown_at, entry.last_shown_at),
                _latest(earlier.last_reflected_at, entry.last_reflected_at),
                _latest(earlier.last_committed_at, entry.last_committed_at),
            )
        merged[entry.card_key] = entry
    return merged


def choose_next_card(
    curriculum: Curriculum, history: Iterable[CardHistory], exhausted: Collection[str] = ()
) -> Card:
    """The card to send a member next.

    Cards never shown come first, in curriculum order, so a new member starts with the
    intro and sees every card once before any repeats. After that the principle or rule
    (the card's theme) with the least recent evidence comes next: evidence is a reflection
    on any of its cards or a commitment made from one, never first. Within a theme the
    card with the least recent evidence wins, ties going to the card shown least recently,
    then to curriculum order. The card shown last time is skipped whenever there is
    another one, and so are `exhausted` cards (every question asked within a year, see
    `exhausted_cards`). History for cards no longer in the curriculum is ignored.
    """
    seen = {
        key: entry
        for key, entry in _merge(curriculum, history).items()
        if entry.last_shown_at is not None or entry.last_reflected_at is not None
    }
    for card in curriculum:
        if card.key not in seen and card.key not in exhausted:
            return card

    shown = [entry for entry in seen.values() if entry.last_shown_at is not None]
    last_key = max(shown, key=lambda entry: _recency(entry.last_shown_at)).card_key if shown else ""
    candidates = (
        [card for card in curriculum if card.key != last_key and card.key not in exhausted]
        or [card for card in curriculum if card.key != last_key]
        or list(curriculum)
    )
    position = {card.key: index for index, card in enumerate(curriculum)}
    theme_evidence: dict[str, datetime | None] = {}
    # An exhausted card may have no history left (its prompts deleted by retention).
    seen = {card.key: seen.get(card.key, CardHistory(card.key)) for card in curriculum}
    for card in curriculum:
        evidence = seen[card.key].last_evidence_at
        theme_evidence[card.theme] = _latest(theme_evidence.get(card.theme), evidence)

    def priority(
        card: Card,
    ) -> tuple[tuple[int, float], tuple[int, float], tuple[int, float], int]:
        entry = seen[card.key]
        return (
            _recency(theme_evidence[card.theme]),
            _recency(entry.last_evidence_at),
            _recency(entry.last_shown_at),
            position[card.key],
        )

    return min(candidates, key=priority)


def _asked_lately(asked: Mapping[int, datetime], count: int, now: datetime) -> dict[int, datetime]:
    """The card's questions asked within `QUESTION_REST` before `now`; others are dropped."""
    return {
        index: at for index, at in asked.items() if 0 <= index < count and now - at < QUESTION_REST
    }


def fresh_questions(card_text: CardText, asked: Mapping[int, datetime], now: datetime) -> list[int]:
    """The card's questions not asked within a year, in the order they are to be asked.

    Never-asked questions come first, in the card's order, then those asked more than a
    year ago, longest ago first. `asked` maps a question's index to when it was last
    asked; indexes the card (in this language) does not have are ignored.
    """
    count = len(card_text.questions)
    lately = _asked_lately(asked, count, now)
    never = [index for index in range(count) if index not in asked]
    long_ago = sorted(
        (index for index in range(count) if index in asked and index not in lately),
        key=lambda index: (asked[index], index),
    )
    return never + long_ago


def choose_next_question(card_text: CardText, asked: Mapping[int, datetime], now: datetime) -> int:
    """Index of the question to ask next on this card.

    The first of `fresh_questions`: no question is asked twice within a year while the
    card has one that was not. Only when every question was asked within the year (a
    member who pressed "another question" through all of them) does one come again:
    the one asked longest ago.
    """
    count = len(card_text.questions)
    if count == 0:
        raise ValueError("the card has no questions")
    fresh = fresh_questions(card_text, asked, now)
    if fresh:
        return fresh[0]
    lately = _asked_lately(asked, count, now)
    return min(lately, key=lambda index: (lately[index], index))


def another_question(
    card_text: CardText, asked: Mapping[int, datetime], now: datetime, current: int
) -> int | None:
    """The question "another question" moves on to; None when the card has none left.

    None means every question of the card but `current` was asked within a year: the
    member has seen them all, and is told so rather than sent round again.
    """
    fresh = [index for index in fresh_questions(card_text, asked, now) if index != current]
    return fresh[0] if fresh else None


def exhausted_cards(
    curriculum: Curriculum,
    language: str,
    asked: Mapping[str, Mapping[int, datetime]],
    now: datetime,
) -> set[str]:
    """Keys of the cards whose every question (in `language`) was asked within a year."""
    return {
        card.key
        for card in curriculum
        if card.key in asked and not fresh_questions(card.text(language), asked[card.key], now)
    }
