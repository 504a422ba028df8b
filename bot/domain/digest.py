"""One digest: what falls due for a member within a short window, as one set of deliveries.

The delivery queue leases a member's first due row and, with it, their other rows due
within `NETCOACH_DIGEST_WINDOW_MINUTES` (at most `MAX_DIGEST_ITEMS` in all). They are
sent together, as one message with a section each (split into a few messages only when
Telegram's limits ask for it), and their outcomes are recorded together: one send in
flight per member, and a crash repeats no more than was in flight, as for any delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.domain.prompts import Outgoing

__all__ = ["MAX_DIGEST_ITEMS", "Digest"]

# A member's rows in one digest, at most: beyond this the rest comes in the next one.
MAX_DIGEST_ITEMS = 8


@dataclass(frozen=True, slots=True)
class Digest:
    """Two or more leased deliveries of one member, in the order they fell due."""

    user_id: int
    items: tuple[Outgoing, ...]

    @property
    def chat_id(self) -> int:
        """The member's chat."""
        return self.items[0].chat_id

    @property
    def language(self) -> str:
        """The member's language."""
        return self.items[0].language
