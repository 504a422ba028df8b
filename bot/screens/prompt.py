"""The weekly prompt as a member sees it: card title, explanation, one question, buttons."""

from __future__ import annotations

from dataclasses import replace

from bot.domain.memory import CardMemory
from bot.domain.prompts import Prompt
from bot.screens.base import Button, Screen
from bot.screens.callbacks import encode
from bot.screens.fitting import utf16_length
from bot.screens.memory import card_lists, card_note
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
    if prompt.memory is not None:
        body = _with_memory(body, prompt, prompt.memory)
    if prompt.all_questions_shown:
        body = Markup(body + "\n\n" + t.plural("prompt.all_questions", len(text.questions)))
    if prompt.review is not None and review_fits_inline(prompt):
        body = Markup(review_section(prompt.review, prompt.language) + "\n\n" + body)
    if prompt.catch_up:
        # A catch-up comes days after its slot at most: the slot is the year to compare with.
        when = format_local_datetime(
            prompt.slot_at, prompt.timezone, prompt.language, now=prompt.slot_at
        )
        body = Markup(t("prompt.catch_up", when=when) + "\n\n" + body)
    if prompt.skipped:
        body = Markup(body + "\n\n" + t("prompt.skipped"))
    if prompt.memory is not None and utf16_length(body) > TELEGRAM_MESSAGE_LIMIT:
        # A long card and a long review leave no room: the card goes without its memory.
        return prompt_screen(replace(prompt, memory=None))
    if prompt.skipped:
        return Screen(body)
    delivery = prompt.delivery_id
    first_row: tuple[Button, ...] = (Button(t("button.reflect"), encode(REFLECT, delivery)),)
    if not prompt.all_questions_shown:
        first_row += (Button(t("button.another_question"), encode(ANOTHER_QUESTION, delivery)),)
    buttons = (
        first_row,
        (
            Button(t("button.commit"), encode(COMMIT, delivery)),
            Button(t("button.skip"), encode(SKIP, delivery)),
        ),
    )
    return Screen(body, buttons=buttons)


def _with_memory(body: Markup, prompt: Prompt, memory: CardMemory) -> Markup:
    """The card with the member's earlier note before its question and its lists after."""
    note = card_note(memory, prompt.language)
    lists = card_lists(memory, prompt.language, prompt.timezone)
    if note is not None:
        # The question is the body's last paragraph: the note goes right before it.
        head, _, question = body.rpartition("\n\n")
        body = Markup(f"{head}\n\n{note}\n\n{question}")
    if lists is not None:
        body = Markup(f"{body}\n\n{lists}")
    return body
