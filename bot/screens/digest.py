"""A member's digest as they see it: one message, a section per kind, each item's buttons.

Every item is drawn by its own screen (the weekly review, a follow-up, a check-in, the
card), so whatever those screens show shows here too. The digest numbers the items (①,
②, …), puts them under a heading per kind (review, follow-ups, last nudges, check-ins,
the card) and gathers their buttons into one keyboard: each label carries its item's
number, each button's data its item's mark (`bot.screens.callbacks.in_digest`), so the
same handlers take them.

Telegram's limits: a message's text is at most 4,096 units, so a long digest is split
into up to `MAX_PARTS` messages, each with its own items' buttons (what does not fit
waits for the next digest); a keyboard is kept to `MAX_ROWS` rows, so an item whose
buttons no longer fit gets one button that sends it on its own, with all of its buttons.
The first line shows no member text: it is what a notification preview shows.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.domain.broadcasts import BroadcastMessage
from bot.domain.digest import MAX_DIGEST_ITEMS, Digest
from bot.domain.followups import CheckIn, FollowUp
from bot.domain.prompts import Outgoing, Prompt
from bot.screens.base import Button, Screen
from bot.screens.callbacks import encode, in_digest
from bot.screens.fitting import telegram_length
from bot.screens.followups import checkin_screen, followup_screen
from bot.screens.prompt import prompt_screen
from bot.screens.review import review_section
from content.cards import TELEGRAM_MESSAGE_LIMIT
from content.i18n import Catalog, Markup, catalog

__all__ = [
    "MAX_PARTS",
    "MAX_ROWS",
    "OPEN_ITEM",
    "DigestLayout",
    "DigestPart",
    "Section",
    "digest_layout",
    "item_number",
]

OPEN_ITEM = "dg"  # one item of a digest, sent on its own with all of its buttons
# Messages one digest may take when its text is too long for one.
MAX_PARTS = 3
# Keyboard rows in one message: about what a phone shows beside the text.
MAX_ROWS = 12

Rows = tuple[tuple[Button, ...], ...]


class Section(enum.IntEnum):
    """The digest's sections, in the order they are shown."""

    REVIEW = 0
    FOLLOWUPS = 1
    NUDGES = 2
    CHECKINS = 3
    CARD = 4


_HEADINGS = {
    Section.FOLLOWUPS: "digest.followups",
    Section.NUDGES: "digest.nudges",
    Section.CHECKINS: "digest.checkins",
    Section.CARD: "digest.card",
}


@dataclass(frozen=True, slots=True)
class _Block:
    """One item's part of the digest (or a prompt's weekly review, which has no number)."""

    item: Outgoing
    section: Section
    text: str
    rows: Rows = ()

    @property
    def is_review(self) -> bool:
        return self.section is Section.REVIEW


@dataclass(frozen=True, slots=True)
class DigestPart:
    """One message of a digest and the deliveries it carries.

    `reviews`: the prompts whose weekly review is in this message (their card may not be).
    """

    screen: Screen
    items: tuple[Outgoing, ...]
    reviews: tuple[Outgoing, ...] = ()


@dataclass(frozen=True, slots=True)
class DigestLayout:
    """How a digest goes out.

    `parts` are its messages, in order; `alone` are items to send as messages of their own
    (one left, or too long to share a message); `later` did not fit this digest; `faults`
    could not be drawn (each with what went wrong), and wait for another try.
    """

    parts: tuple[DigestPart, ...] = ()
    alone: tuple[Outgoing, ...] = ()
    later: tuple[Outgoing, ...] = ()
    faults: tuple[tuple[Outgoing, Exception], ...] = ()


def item_number(number: int) -> str:
    """①, ②, … ⑳ for an item of a digest; (21) beyond."""
    return chr(0x2460 + number - 1) if 1 <= number <= 20 else f"({number})"


def _blocks(item: Outgoing) -> list[_Block]:
    """An item drawn by its own screen, under its section; a prompt's review comes apart."""
    if isinstance(item, FollowUp):
        # The nudges' heading says it once for all of them.
        screen = followup_screen(replace(item, reminder=False), heading=False)
        section = Section.NUDGES if item.reminder else Section.FOLLOWUPS
        return [_Block(item, section, screen.text, screen.buttons)]
    if isinstance(item, CheckIn):
        screen = checkin_screen(replace(item, reminder=False), heading=False)
        section = Section.NUDGES if item.reminder else Section.CHECKINS
        return [_Block(item, section, screen.text, screen.buttons)]
    if isinstance(item, Prompt):
        screen = prompt_screen(replace(item, review=None))
        card = _Block(item, Section.CARD, screen.text, screen.buttons)
        if item.review is None:
            return [card]
        return [_Block(item, Section.REVIEW, review_section(item.review, item.language)), card]
    raise TypeError(f"{type(item).__name__} goes on its own, not in a digest")


def _numbers(blocks: Sequence[_Block]) -> dict[int, int]:
    """Each item's number (by delivery id), in the order shown; reviews have none."""
    numbers: dict[int, int] = {}
    for block in blocks:
        if not block.is_review:
            numbers[block.item.delivery_id] = len(numbers) + 1
    return numbers


def _text(t: Catalog, blocks: Sequence[_Block], numbers: dict[int, int], first_line: str) -> str:
    """A part's text: its first line, then each section's heading over its items."""
    paragraphs = [first_line]
    section: Section | None = None
    for block in blocks:
        if block.is_review:
            paragraphs.append(block.text)
            continue
        item = f"{item_number(numbers[block.item.delivery_id])} {block.text}"
        if block.section is not section:
            section = block.section
            item = f"{t(_HEADINGS[section])}\n{item}"
        paragraphs.append(item)
    return "\n\n".join(paragraphs)


def _first_line(t: Catalog, part: int, count: int) -> str:
    """No member text here: a notification shows this line."""
    return str(t.plural("digest.title", count) if part == 0 else t("digest.continued"))


def _fits(text: str) -> bool:
    return telegram_length(text) <= TELEGRAM_MESSAGE_LIMIT


def _keyboard(t: Catalog, blocks: Sequence[_Block], numbers: dict[int, int]) -> Rows:
    """The part's items' buttons, numbered; past `MAX_ROWS`, one "open" button an item.

    The card keeps its own buttons longest; other items give theirs up from the last.
    """
    with_buttons = [block for block in blocks if block.rows]
    full = {block.item.delivery_id for block in with_buttons}

    def rows_needed() -> int:
        return sum(len(b.rows) if b.item.delivery_id in full else 1 for b in with_buttons)

    while rows_needed() > MAX_ROWS:
        keeping = [b for b in with_buttons if b.item.delivery_id in full and len(b.rows) > 1]
        if not keeping:
            break
        others = [b for b in keeping if b.section is not Section.CARD]
        full.discard((others or keeping)[-1].item.delivery_id)
    rows: list[tuple[Button, ...]] = []
    for block in with_buttons:
        delivery_id = block.item.delivery_id
        number = numbers[delivery_id]
        sign = item_number(number)
        if delivery_id in full:
            rows += [
                tuple(Button(f"{sign} {b.label}", in_digest(b.data, number)) for b in row)
                for row in block.rows
            ]
        else:
            label = t("digest.open_item", number=sign)
            rows.append((Button(label, in_digest(encode(OPEN_ITEM, delivery_id), number)),))
    return tuple(rows)


def _pack(
    t: Catalog, blocks: Sequence[_Block], numbers: dict[int, int]
) -> tuple[list[list[_Block]], list[_Block]]:
    """The blocks in messages of at most Telegram's length, `MAX_PARTS` at most; the rest."""
    parts: list[list[_Block]] = [[]]
    for index, block in enumerate(blocks):
        candidate = [*parts[-1], block]
        first = _first_line(t, len(parts) - 1, len(numbers))
        if _fits(_text(t, candidate, numbers, first)):
            parts[-1] = candidate
        elif len(parts) < MAX_PARTS:
            parts.append([block])
        else:
            return parts, list(blocks[index:])
    return parts, []


def digest_layout(digest: Digest) -> DigestLayout:
    """The digest's messages, each with its text and its items' buttons."""
    t = catalog(digest.language)
    blocks: list[_Block] = []
    alone: list[Outgoing] = []
    faults: list[tuple[Outgoing, Exception]] = []
    for item in digest.items:
        if isinstance(item, BroadcastMessage):
            alone.append(item)
            continue
        try:
            drawn = _blocks(item)
        except Exception as problem:
            faults.append((item, problem))
            continue
        # An item too long to share a message with a first line goes on its own.
        widest = _first_line(t, 0, MAX_DIGEST_ITEMS)
        if all(_fits(_text(t, [b], {item.delivery_id: MAX_DIGEST_ITEMS}, widest)) for b in drawn):
            blocks += drawn
        else:
            alone.append(item)
    items = {block.item.delivery_id for block in blocks}
    if len(items) < 2:
        alone += [b.item for b in blocks if not b.is_review]
        return DigestLayout(alone=tuple(alone), faults=tuple(faults))
    blocks.sort(key=lambda block: block.section)  # stable: first due first within a section
    numbers = _numbers(blocks)
    packed, rest = _pack(t, blocks, numbers)
    shown = {block.item.delivery_id for part in packed for block in part if not block.is_review}
    parts = tuple(
        DigestPart(
            Screen(
                Markup(_text(t, part, numbers, _first_line(t, index, len(shown)))),
                buttons=_keyboard(t, part, numbers),
            ),
            items=tuple(block.item for block in part if not block.is_review),
            reviews=tuple(block.item for block in part if block.is_review),
        )
        for index, part in enumerate(packed)
        if part
    )
    later = [block.item for block in rest if not block.is_review]
    return DigestLayout(parts, tuple(alone), tuple(later), tuple(faults))
