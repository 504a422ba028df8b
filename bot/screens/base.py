"""The building blocks of a screen."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CALLBACK_DATA_LIMIT", "Button", "ReplyButton", "Screen"]

CALLBACK_DATA_LIMIT = 64


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button; `data` comes back in the callback query."""

    label: str
    data: str

    def __post_init__(self) -> None:
        if len(self.data.encode()) > CALLBACK_DATA_LIMIT:
            # The data is left out: a message that may end up in a log holds no content.
            raise ValueError(f"callback data over {CALLBACK_DATA_LIMIT} bytes for one button")


@dataclass(frozen=True, slots=True)
class ReplyButton:
    """A keyboard button that sends its label as text, or the member's location."""

    label: str
    request_location: bool = False


@dataclass(frozen=True, slots=True)
class Screen:
    """One message: HTML text, inline buttons or a reply keyboard (Telegram allows one)."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    reply_buttons: tuple[tuple[ReplyButton, ...], ...] = ()
    remove_reply_keyboard: bool = False

    def __post_init__(self) -> None:
        if self.buttons and (self.reply_buttons or self.remove_reply_keyboard):
            raise ValueError("a message has either inline buttons or a reply keyboard")
