"""Which card a member gets next, and which of its questions to ask next.

Pure functions over what the caller already knows; no database, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from content.cards import Card, CardText, Curriculum

__all__ = ["CardHistory", "choose_next_card", "choose_next_question"]


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


def choose_next_card(curriculum: Curriculum, history: Iterable[CardHistory]) -> Card:
    """The card to send a member next.

    Cards never shown come first, in curriculum order, so a new member starts with the
    intro and sees every card once before any repeats. After that the principle or rule
    (the card's theme) with the least recent evidence comes next: evidence is a reflection
    on any of its cards or a commitment made from one, never first. Within a theme the
    card with the least recent evidence wins, ties going to the card shown least recently,
    then to curriculum order. The card shown last time is skipped whenever there is
    another one. History for cards no longer in the curriculum is ignored.
    """
    seen = {
        key: entry
        for key, entry in _merge(curriculum, history).items()
        if entry.last_shown_at is not None or entry.last_reflected_at is not None
    }
    for card in curriculum:
        if card.key not in seen:
            return card

    shown = [entry for entry in seen.values() if entry.last_shown_at is not None]
    last_key = max(shown, key=lambda entry: _recency(entry.last_shown_at)).card_key if shown else ""
    candidates = [card for card in curriculum if card.key != last_key] or list(curriculum)
    position = {card.key: index for index, card in enumerate(curriculum)}
    theme_evidence: dict[str, datetime | None] = {}
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


def choose_next_question(card_text: CardText, asked_indexes: Sequence[int]) -> int:
    """Index of the question to ask next, given the indexes asked so far, oldest first.

    Questions come in order and none repeats until all were asked; a new round then
    starts without repeating the question just asked. Out-of-range indexes (say, from a
    language with more questions) are ignored.
    """
    count = len(card_text.questions)
    if count == 0:
        raise ValueError("the card has no questions")
    asked = [index for index in asked_indexes if 0 <= index < count]
    this_round: set[int] = set()
    for index in asked:
        this_round.add(index)
        if len(this_round) == count:
            this_round = set()
    remaining = [index for index in range(count) if index not in this_round]
    if not this_round and asked and count > 1:
        remaining.remove(asked[-1])
    return remaining[0]
