"""Fair limits: a member's contacts, open commitments and every free text are bounded.

Reaching a limit gets an answer in the member's language that says the limit and what
to do, and nothing is half-saved: no contact for a commitment that is then refused, no
interaction for a refused note.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.domain import availability, broadcasts, commitment_actions, commitments, contacts
from bot.domain.limits import TEXT_LIMITS, Limit, LimitReached
from bot.domain.members import Identity
from bot.domain.onboarding import choose_timezone
from bot.domain.runtime import Runtime
from bot.screens.limits import limit_text
from bot.settings import SettingsError, load_settings
from content.i18n import LANGUAGES
from simulator import TelegramSimulator
from storage.models import Commitment, Contact, ConversationState, Interaction
from tests.support.contacts import chat_saying_yes, commit_saying_yes, met_saying_yes
from tests.support.harness import bot_against, chat
from tests.support.members import add_members

LATER = datetime(2030, 1, 1, tzinfo=UTC)


def _limited(runtime: Runtime, **limits: int) -> Runtime:
    return replace(runtime, settings=runtime.settings.model_copy(update=limits))


async def _member(runtime: Runtime, telegram_id: int = 1, language: str = "de") -> Identity:
    await add_members(runtime, [telegram_id], language=language, next_prompt_at=LATER)
    return Identity(telegram_id, telegram_id, language)


async def _count(runtime: Runtime, model: type[object]) -> int:
    async with runtime.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def _contact_names(runtime: Runtime) -> list[str]:
    async with runtime.sessions() as session:
        return sorted(c.name for c in (await session.execute(select(Contact))).scalars())


def test_every_limit_is_said_with_its_number_in_german_and_english() -> None:
    for language in LANGUAGES:
        for limit in Limit:
            text = limit_text(language, LimitReached(limit, 12345))
            assert "12345" in text, (language, limit)


async def test_a_new_name_beyond_the_contacts_limit_is_refused_and_nothing_is_half_saved(
    runtime: Runtime,
) -> None:
    runtime = _limited(runtime, max_contacts=2)
    who = await _member(runtime)
    for line in ("Anna anrufen bis Freitag", "Ben anrufen bis Freitag"):
        step = await commit_saying_yes(runtime, who, line)
        assert step is not None and step.created is not None
    step = await commit_saying_yes(runtime, who, "Cara anrufen bis Freitag")
    assert step is not None and step.created is None
    assert step.limit == LimitReached(Limit.CONTACTS, 2)
    assert step.ask is commitments.Ask.WHO  # pick someone known, or nobody in particular
    assert {name for _, name in step.contacts} == {"Anna", "Ben"}
    assert await _contact_names(runtime) == ["Anna", "Ben"]
    assert await _count(runtime, Commitment) == 2

    made = await commitments.choose_contact(runtime, who, 0)
    assert made is not None and made.created is not None and made.created.contact is None
    assert await _contact_names(runtime) == ["Anna", "Ben"]
    again = await commit_saying_yes(runtime, who, "Anna schreiben bis Montag")
    assert again is not None and again.created is not None and again.created.contact == "Anna"

    met = await met_saying_yes(runtime, who, "Dora beim Kaffee")
    assert met is not None and met.limit == LimitReached(Limit.CONTACTS, 2)
    cadence = await contacts.set_cadence(runtime, who, "Dora alle 2 Wochen")
    assert cadence is not None and cadence.limit == LimitReached(Limit.CONTACTS, 2)
    assert await _contact_names(runtime) == ["Anna", "Ben"]
    assert await _count(runtime, Interaction) == 0
    met = await met_saying_yes(runtime, who, "Ben beim Kaffee")
    assert met is not None and met.contact == "Ben" and met.limit is None


async def test_at_the_open_commitments_limit_the_member_is_asked_to_close_or_release_one(
    sim: TelegramSimulator, runtime: Runtime
) -> None:
    async with bot_against(sim, _limited(runtime, max_open_commitments=2)):
        ben = sim.user("Ben", language_code="en")
        await add_members(runtime, [ben.id], language="en", next_prompt_at=LATER)
        await chat_saying_yes(ben, "/commit call Anna by Friday")
        await chat_saying_yes(ben, "/commit email Tom by Friday")
        (refused,) = await chat(ben, "/commit call Cara by Friday")
        assert refused.text == (
            "You already have 2 open commitments – that's as many as I take on. "
            "Close or release one, then there's room again: /commitments"
        )
        (guided,) = await chat(ben, "/commit")  # no questions asked to be refused after
        assert guided.text == refused.text
        assert await _contact_names(runtime) == ["Anna", "Tom"]

        (listing,) = await chat(ben, "/commitments")
        await ben.press(listing, "1. call Anna")
        item = await ben.next_message()
        await ben.wait_callback_answer(await ben.press(item, "🕊 Release"))
        made = await chat_saying_yes(ben, "/commit call Cara by Friday")
        assert (made.text or "").startswith("Got it ✓")
    assert await _contact_names(runtime) == ["Anna", "Cara", "Tom"]


async def test_at_the_contacts_limit_a_new_name_is_refused_in_the_question_who_it_is(
    sim: TelegramSimulator, runtime: Runtime
) -> None:
    async with bot_against(sim, _limited(runtime, max_contacts=2)):
        eva = sim.user("Eva", language_code="de")
        await add_members(runtime, [eva.id], language="de", next_prompt_at=LATER)
        await chat_saying_yes(eva, "/met Anna")
        await chat_saying_yes(eva, "/met Ben")
        (who,) = await chat(eva, "/commit Cara anrufen bis Freitag")  # one message, its buttons
        assert (who.text or "").startswith("Du hast schon 2 Kontakte")
        assert "Um wen geht es?" in (who.text or "")
        assert [b.text for b in who.buttons] == [
            "Ben", "Anna", "Niemand Bestimmtes", "✖ Abbrechen",
        ]  # fmt: skip
        await eva.press(who, "Anna")
        made = await eva.next_message()
        assert "Cara anrufen\nAnna · fällig" in (made.text or "")
    assert await _contact_names(runtime) == ["Anna", "Ben"]


async def test_every_free_text_step_refuses_text_over_its_limit_and_keeps_the_question(
    runtime: Runtime,
) -> None:
    who = await _member(runtime)

    def over(limit: Limit) -> str:
        return "x" * (TEXT_LIMITS[limit] + 1)

    def refused(limit: Limit) -> LimitReached:
        return LimitReached(limit, TEXT_LIMITS[limit])

    async def step_now() -> str | None:
        async with runtime.sessions() as session:
            state = (await session.execute(select(ConversationState))).scalar_one_or_none()
            return state.step if state is not None else None

    line = await commit_saying_yes(runtime, who, over(Limit.COMMITMENT_TEXT))
    assert line is not None and line.limit == refused(Limit.COMMITMENT_TEXT)
    await commitments.start_guided(runtime, who)
    for step, limit in (
        ("who", Limit.CONTACT_NAME),
        ("what", Limit.COMMITMENT_TEXT),
        ("when", Limit.DUE_TEXT),
    ):
        answer = await commitments.answer_text(runtime, who, over(limit))
        assert answer is not None and answer.limit == refused(limit)
        assert await step_now() == step  # the same question is still open
        fitting = {"who": "Anna", "what": "Anna anrufen", "when": "Freitag"}[step]
        await commitments.answer_text(runtime, who, fitting)
        if step == "who":  # "new contact: Anna?" – yes
            await commitments.confirm_contact(runtime, who, "yes")
    (made,) = await _commitment_ids(runtime)
    await commitment_actions.renegotiate(runtime, who, made)
    moved = await commitments.answer_text(runtime, who, over(Limit.DUE_TEXT))
    assert moved is not None and moved.limit == refused(Limit.DUE_TEXT)
    assert await step_now() == "move"

    met = await met_saying_yes(runtime, who, "Anna " + over(Limit.NOTE))
    assert met is not None and met.limit == refused(Limit.NOTE)
    met = await met_saying_yes(runtime, who, over(Limit.CONTACT_NAME))
    assert met is not None and met.limit == refused(Limit.CONTACT_NAME)
    cadence = await contacts.set_cadence(runtime, who, over(Limit.CONTACT_NAME) + " alle 2 Wochen")
    assert cadence is not None and cadence.limit == refused(Limit.CONTACT_NAME)
    cadence = await contacts.set_cadence(runtime, who, "x" * 4000 + " alle 2 Wochen")
    assert cadence is not None and cadence.limit == refused(Limit.CONTACT_NAME)
    paused = await availability.pause(runtime, who, over(Limit.PAUSE_TEXT))
    assert paused is not None and paused.limit == refused(Limit.PAUSE_TEXT)
    assert paused.member.status == "active"
    place = await choose_timezone(runtime, who, over(Limit.PLACE))
    assert place.limit == refused(Limit.PLACE) and place.member.timezone == "Europe/Berlin"
    assert await _count(runtime, Interaction) == 0
    assert await _contact_names(runtime) == ["Anna"]


async def _commitment_ids(runtime: Runtime) -> list[int]:
    async with runtime.sessions() as session:
        return list((await session.execute(select(Commitment.id))).scalars())


async def test_a_name_longer_than_any_name_in_a_commit_line_is_asked_for_instead(
    runtime: Runtime,
) -> None:
    who = await _member(runtime)
    names = " ".join(["Annabella"] * 8)  # 79 characters of "name" after a cue
    step = await commit_saying_yes(runtime, who, f"Kaffee mit {names} bis Freitag")
    assert step is not None and step.created is None and step.ask is commitments.Ask.WHO
    assert await _contact_names(runtime) == []


async def test_a_member_has_one_draft_at_most_whatever_they_start(runtime: Runtime) -> None:
    who = await _member(runtime)
    await commitments.start_guided(runtime, who)
    await commitments.answer_text(runtime, who, "Anna")
    await commit_saying_yes(runtime, who, "Ben anrufen")  # asks "by when?"
    await commitments.start_guided(runtime, who)
    assert await _count(runtime, ConversationState) == 1


@pytest.mark.parametrize(("emoji", "refused"), [(1749, False), (1751, True)])
async def test_a_broadcast_is_measured_as_telegram_counts_emoji(
    runtime: Runtime, emoji: int, refused: bool
) -> None:
    who = await _member(runtime, language="en")
    # 1,751 emoji are 3,502 UTF-16 units: under 3,500 characters, over what fits.
    preview = await broadcasts.prepare_broadcast(runtime, who, "🎉" * emoji)
    assert preview.too_long is refused


def test_the_count_limits_are_settings_with_sensible_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = load_settings(_env_file=None)
    assert (settings.max_contacts, settings.max_open_commitments) == (500, 100)
    monkeypatch.setenv("NETCOACH_MAX_CONTACTS", "50")
    assert load_settings(_env_file=None).max_contacts == 50
    for variable, value, complaint in (
        ("NETCOACH_MAX_CONTACTS", "0", "greater than or equal to 1"),
        ("NETCOACH_MAX_OPEN_COMMITMENTS", "lots", "valid integer"),
    ):
        monkeypatch.setenv(variable, value)
        with pytest.raises(SettingsError, match=f"^{variable}: .*{complaint}"):
            load_settings(_env_file=None)
        monkeypatch.delenv(variable)
