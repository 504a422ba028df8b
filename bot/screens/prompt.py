"""The weekly prompt as a member sees it: card title, explanation, one question, buttons."""

from __future__ import annotations

from bot.domain.prompts import Prompt
from bot.screens.base import Button, Screen
from bot.screens.callbacks import encode
from bot.screens.review import review_section
from content.cards import TELEGRAM_MESSAGE_LIMIT, prompt_length
from content.i18n import Markup, catalog, format_local_datetime

__all__ = [
    "ANOTHER_QUESTION",
    "COMMIT",
    "REFLECT",
    "SKIP",
    "prompt_screen",
    "review_fits_inline",
]

REFLECT = "rf"
ANOTHER_QUESTION = "aq"
SKIP = "sk"
COMMIT = "cm"  # commit to a step, guided, with the card's suggested actions


def review_fits_inline(prompt: Prompt) -> bool:
    """The weekly review goes inside the prompt: the member chose so, and it fits."""
    if prompt.review is None or prompt.review_separate:
        return False
    section = review_section(prompt.review, prompt.language)
    # Long contact names could push the message past Telegram's limit.
    return len(section) + prompt_length(prompt.card.text(prompt.language)) <= (
        TELEGRAM_MESSAGE_LIMIT
    )


def prompt_screen(prompt: Prompt) -> Screen:
    """The prompt message; once skipped it keeps its text and loses its buttons."""
    t = catalog(prompt.language)
    text = prompt.card.text(prompt.language)
    body = t(
        "prompt.body",
        title=text.title,
        explanation=text.explanation,
        question=text.questions[prompt.question_index % len(text.questions)],
    )
    if prompt.review is not None and review_fits_inline(prompt):
        body = Markup(review_section(prompt.review, prompt.language) + "\n\n" + body)
    if prompt.catch_up:
        # A catch-up comes days after its slot at most: the slot is the year to compare with.
        when = format_local_datetime(
            prompt.slot_at, prompt.timezone, prompt.language, now=prompt.slot_at
        )
        body = Markup(t("prompt.catch_up", when=when) + "\n\n" + body)
    if prompt.skipped:
        return Screen(Markup(body + "\n\n" + t("prompt.skipped")))
    delivery = prompt.delivery_id
    buttons = (
        (
            Button(t("button.reflect"), encode(REFLECT, delivery)),
            Button(t("button.another_question"), encode(ANOTHER_QUESTION, delivery)),
        ),
        (
            Button(t("button.commit"), encode(COMMIT, delivery)),
            Button(t("button.skip"), encode(SKIP, delivery)),
        ),
    )
    return Screen(body, buttons=buttons)
