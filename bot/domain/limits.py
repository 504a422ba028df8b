"""Fair limits per member: how many contacts and open commitments, how long each text.

One member's data and input must not cost everyone else: counts are capped by settings
(`NETCOACH_MAX_CONTACTS`, `NETCOACH_MAX_OPEN_COMMITMENTS`), and every free text a member
types is measured against its limit here before anything parses or stores it. A refusal
says the limit and what to do (`bot.screens.limits`), and nothing is half-saved.

Open drafts need no setting: a member has at most one (the conversation state is keyed
by the member), and its texts are bounded by the limits below.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from bot.settings import Settings

__all__ = [
    "TEXT_LIMITS",
    "Limit",
    "LimitReached",
    "count_limit",
    "over_text_limit",
]


class Limit(enum.StrEnum):
    """Something a member can only have or type so much of (the catalog key is `limit.<value>`)."""

    CONTACTS = "contacts"
    OPEN_COMMITMENTS = "open_commitments"
    CONTACT_NAME = "contact_name"
    COMMITMENT_TEXT = "commitment_text"
    DUE_TEXT = "due_text"
    NOTE = "note"
    PLACE = "place"
    PAUSE_TEXT = "pause_text"


# Characters (code points) per free text. A date or a pause is short, and dateparser's
# cost grows with its input, so those are cut well before Telegram's 4,096.
TEXT_LIMITS: Final[dict[Limit, int]] = {
    Limit.CONTACT_NAME: 64,
    Limit.COMMITMENT_TEXT: 300,
    Limit.DUE_TEXT: 100,
    Limit.NOTE: 500,
    Limit.PLACE: 100,
    Limit.PAUSE_TEXT: 40,
}


@dataclass(frozen=True, slots=True)
class LimitReached:
    """A refusal: which limit, and how much it allows."""

    limit: Limit
    maximum: int


def over_text_limit(limit: Limit, text: str) -> LimitReached | None:
    """The refusal for a text longer than its limit, else None."""
    maximum = TEXT_LIMITS[limit]
    return LimitReached(limit, maximum) if len(text) > maximum else None


def count_limit(settings: Settings, limit: Limit) -> LimitReached:
    """The refusal for a count limit set by the operator (contacts or open commitments)."""
    if limit is Limit.CONTACTS:
        return LimitReached(limit, settings.max_contacts)
    if limit is Limit.OPEN_COMMITMENTS:
        return LimitReached(limit, settings.max_open_commitments)
    raise ValueError(f"{limit} is a text limit, not a count")
