"""A digest's layout: sections, numbered buttons, Telegram's length and keyboard limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.digest import MAX_DIGEST_ITEMS, Digest
from bot.domain.followups import CheckIn, FollowUp
from bot.domain.prompts import Outgoing, Prompt
from bot.screens.callbacks import parse
from bot.screens.digest import MAX_PARTS, MAX_ROWS, OPEN_ITEM, digest_layout
from bot.screens.fitting import telegram_length
from content.cards import TELEGRAM_MESSAGE_LIMIT, load_cards
from storage.models import DeliveryKind

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
CURRICULUM = load_cards()


def follow_up(delivery_id: int, action: str, *, reminder: bool = False) -> FollowUp:
    return FollowUp(
        delivery_id, 1, "de", "Europe/Berlin", delivery_id, action, "Anna", NOW, reminder, NOW
    )


def check_in(delivery_id: int, name: str) -> CheckIn:
    return CheckIn(
        delivery_id, 1, "de", "Europe/Berlin", delivery_id, name, 14, NOW - timedelta(days=20),
        reminder=False, slot_at=NOW,
    )  # fmt: skip


def card(delivery_id: int) -> Prompt:
    return Prompt(
        delivery_id, 1, 1, "de", "Europe/Berlin", CURRICULUM.intro, 0, NOW, catch_up=False,
        kind=DeliveryKind.PROMPT,
    )  # fmt: skip


def _item_of(data: str) -> int | None:
    callback = parse(data)
    assert callback is not None
    return callback.digest_item


def test_sections_come_in_order_and_a_reminder_goes_under_the_last_nudge() -> None:
    items: tuple[Outgoing, ...] = (
        card(1),
        check_in(2, "Ben"),
        follow_up(3, "Anna anrufen", reminder=True),
        follow_up(4, "Tom schreiben"),
    )
    (part,) = digest_layout(Digest(1, items)).parts
    text = part.screen.text
    headings = ["Fällige Vorhaben", "Ein letzter Stups", "In Kontakt bleiben", "Dein Impuls"]
    assert [text.index(h) for h in headings] == sorted(text.index(h) for h in headings)
    assert "① ⏰ <b>Tom schreiben</b>" in text and "② ⏰ <b>Anna anrufen</b>" in text
    # The nudge's own line is the heading now, said once.
    assert "Noch ein sanfter Stups" not in text
    assert [i.delivery_id for i in part.items] == [4, 3, 2, 1]


def test_a_long_digest_is_split_within_telegram_s_limit_each_part_with_its_own_buttons() -> None:
    # Eight follow-ups of about 900 characters each: no one message holds them.
    items = tuple(follow_up(n, f"Aufgabe {n}: " + "sehr lang " * 90) for n in range(1, 9))
    layout = digest_layout(Digest(1, items))
    assert 1 < len(layout.parts) <= MAX_PARTS
    shown = [item.delivery_id for part in layout.parts for item in part.items]
    later = [item.delivery_id for item in layout.later]
    assert sorted(shown + later) == list(range(1, 9)) and not layout.alone
    for number, part in enumerate(layout.parts):
        assert telegram_length(part.screen.text) <= TELEGRAM_MESSAGE_LIMIT
        first_line = part.screen.text.splitlines()[0]
        assert "Aufgabe" not in first_line  # a preview names nothing of the member's
        assert ("Fortsetzung" in first_line) == (number > 0)
        assert len(part.screen.buttons) <= MAX_ROWS
        # The buttons of this message are those of its own items, and all of theirs.
        numbers = {_item_of(b.data) for row in part.screen.buttons for b in row}
        assert len(numbers) == len(part.items)


def test_past_a_dozen_rows_an_item_gets_one_button_that_shows_it_on_its_own() -> None:
    items = (*(check_in(n, f"Kontakt {n}") for n in range(1, MAX_DIGEST_ITEMS)), card(99))
    (part,) = digest_layout(Digest(1, items)).parts
    rows = part.screen.buttons
    assert len(rows) <= MAX_ROWS
    labels = [b.label for row in rows for b in row]
    # The card keeps its own buttons; the last check-ins give theirs up first.
    assert "⑧ ✍️ Gedanken notieren" in labels and "① ✓ Wir hatten Kontakt" in labels
    compact = [b for row in rows for b in row if b.data.startswith(f"{OPEN_ITEM}:")]
    assert compact and compact[-1].label == "⑦ Einzeln zeigen"
    assert compact[-1].data == f"{OPEN_ITEM}:7~7"
    # Every item is reachable: its own buttons, or the one that shows it.
    assert {_item_of(b.data) for row in rows for b in row} == set(range(1, 9))


def test_one_item_left_goes_on_its_own_as_it_would_without_a_digest() -> None:
    layout = digest_layout(Digest(1, (follow_up(1, "Anna anrufen"),)))
    assert not layout.parts and [i.delivery_id for i in layout.alone] == [1]
