"""A coach that remembers (issue 16): cards, check-ins and follow-ups recall the member's own data.

Weeks of earlier prompts, notes, commitments and contacts are made through the domain (as
the buttons would make them); what the member then reads arrives through the simulator.
The clock starts on Thursday 26 Nov 2026, 08:00 UTC (09:00 in Berlin, 08:00 in London).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from bot.clock import ShiftableClock
from bot.domain.members import Identity
from bot.domain.prompts import Outcome, SendOutcome, next_prompt_now, record_outcomes
from bot.domain.reflections import ask_for_reflection, save_reflection
from bot.domain.runtime import Runtime
from content.i18n import catalog
from handlers.context import NetcoachApplication
from simulator import SimMessage, SimUser, TelegramSimulator
from storage.crypto import FieldCipher, generate_key, using_cipher
from storage.users import get_user_by_telegram_id
from tests.support.contacts import cadence_saying_yes, commit_saying_yes, met_saying_yes
from tests.support.harness import chat, edited, labels, texts_until_quiet
from tests.support.members import add_members

_LATER = datetime(2030, 1, 1, tzinfo=UTC)
_LEASE = timedelta(minutes=1)


@dataclass(frozen=True)
class _Story:
    """What a member writes and reads in one language."""

    language: str
    zone: str
    # One note for each of the nine cards, the first long enough to be cut when quoted.
    notes: tuple[str, ...]
    nine_weeks_ago: str
    commitments: tuple[str, ...]
    open_title: str
    overdue_anna: str
    due_ben: str
    two_more: str
    cadences: tuple[str, ...]
    met_hanna: str
    checkins_title: str
    never_met_fritz: str
    one_more_contact: str
    met_tom: str
    tom_back: str
    someone_back: str
    made_from_reliability: str
    due_title: str
    checkin_title: str
    last_note_on_tom: str
    all_seen: str


_TOM_NOTE = {
    "de": "Kaffee mit Tom, er sucht nach dem Umzug eine neue Stelle in Hamburg",
    "en": "Coffee with Tom, he is looking for a new job in Hamburg after the move",
}

STORIES = {
    "de": _Story(
        language="de",
        zone="Europe/Berlin",
        notes=(
            "Ich will mich bei Tom öfter von selbst melden, nicht nur wenn ich etwas brauche. " * 4,
            *(f"Notiz Nummer {n} zur Woche" for n in range(2, 10)),
        ),
        nine_weeks_ago="Vor 9 Wochen hast du dazu geschrieben: „Ich will mich bei Tom öfter",
        commitments=(
            "Anna anrufen morgen",
            "Ben zurückrufen in 3 Tagen",
            "Cem besuchen in 5 Tagen",
            "Dora schreiben in 2 Wochen",
            "Emil anrufen in 3 Wochen",
        ),
        open_title="🤝 Noch offen bei dir:",
        overdue_anna="• Anna anrufen – ⏰ seit 27. Nov. überfällig",
        due_ben="• Ben zurückrufen – bis 29. Nov.",
        two_more="… und 2 weitere: /commitments",
        cadences=(
            "Fritz alle 2 Wochen",
            "Gina jede Woche",
            "Hanna jede Woche",
            "Jan jede Woche",
            "Ida alle 4 Wochen",
        ),
        met_hanna="Hanna Mittagessen",
        checkins_title="👋 Mal wieder melden könntest du dich bei:",
        never_met_fritz="• Fritz – noch kein Kontakt festgehalten",
        one_more_contact="… und einem weiteren: /contacts",
        met_tom="Tom " + _TOM_NOTE["de"],
        tom_back="Tom zurückrufen",
        someone_back="Jemanden zurückrufen",
        made_from_reliability="Am 26. Nov. zur Karte „Verlässlichkeit“ vorgenommen.",
        due_title="⏰ Ein Vorhaben ist fällig.",
        checkin_title="👋 Zeit für ein Lebenszeichen?",
        last_note_on_tom=f"📓 Deine letzte Notiz dazu (26. Nov.): „{_TOM_NOTE['de']}“",
        all_seen="Du kennst jetzt alle 7 Fragen dieser Karte.",
    ),
    "en": _Story(
        language="en",
        zone="Europe/London",
        notes=(
            "I want to get in touch with Tom more often of my own accord, not only when I "
            "need something. " * 4,
            *(f"Note number {n} of the week" for n in range(2, 10)),
        ),
        nine_weeks_ago="9 weeks ago you wrote about this: “I want to get in touch with Tom",
        commitments=(
            "call Anna tomorrow",
            "email Ben in 3 days",
            "visit Cem in 5 days",
            "text Dora in 2 weeks",
            "call Emil in 3 weeks",
        ),
        open_title="🤝 Still open for you:",
        overdue_anna="• call Anna – ⏰ overdue since 27 Nov",
        due_ben="• email Ben – by 29 Nov",
        two_more="…and 2 more: /commitments",
        cadences=(
            "Fritz every 2 weeks",
            "Gina every week",
            "Hanna every week",
            "Jan every week",
            "Ida every 4 weeks",
        ),
        met_hanna="Hanna lunch",
        checkins_title="👋 You could get back in touch with:",
        never_met_fritz="• Fritz – no contact noted yet",
        one_more_contact="…and one more: /contacts",
        met_tom="Tom " + _TOM_NOTE["en"],
        tom_back="Call Tom back",
        someone_back="Call someone back",
        made_from_reliability="Made on 26 Nov, from the card “Reliability”.",
        due_title="⏰ A commitment is due.",
        checkin_title="👋 Time to get back in touch?",
        last_note_on_tom=f"📓 Your last note on this (26 Nov): “{_TOM_NOTE['en']}”",
        all_seen="You have now seen all 7 questions on this card.",
    ),
}

languages = pytest.mark.parametrize("story", STORIES.values(), ids=list(STORIES))


async def _tick(bot: NetcoachApplication) -> None:
    """What the repeating job does, run to completion."""
    dispatcher = bot.bot_data.dispatcher
    dispatcher.kick()
    await dispatcher.idle()


async def _member(sim: TelegramSimulator, runtime: Runtime, story: _Story) -> SimUser:
    user = sim.user(f"Member {story.language}", language_code=story.language)
    await add_members(
        runtime, [user.id], timezone=story.zone, language=story.language, next_prompt_at=_LATER
    )
    return user


def _who(user: SimUser, story: _Story) -> Identity:
    return Identity(user.id, user.id, story.language)


async def _cards_shown(runtime: Runtime, who: Identity, count: int) -> list[int]:
    """`count` cards sent as `/next` sends them, a minute apart; their delivery ids."""
    assert isinstance(runtime.clock, ShiftableClock)
    shown = []
    for _ in range(count):
        runtime.clock.advance(timedelta(minutes=1))
        prompt = await next_prompt_now(runtime, who, _LEASE)
        assert prompt is not None
        await record_outcomes(runtime, [SendOutcome(prompt.delivery_id, Outcome.SENT, 1)])
        shown.append(prompt.delivery_id)
    runtime.clock.advance(timedelta(minutes=1))
    return shown


def _title(runtime: Runtime, key: str, language: str) -> str:
    return runtime.curriculum.by_key(key).text(language).title


async def _message_starting(user: SimUser, command: str, first_line: str) -> SimMessage:
    """Send `command`; the next message of the bot's whose first line is `first_line`."""
    await user.send(command)
    for _ in range(20):
        message = await user.next_message(timeout=10)
        if _first_line(message) == first_line:
            return message
    raise AssertionError(f"no message starting {first_line!r}")


def _first_line(message: SimMessage) -> str:
    return (message.text or "").split("\n")[0]


@languages
async def test_a_card_recalls_what_the_member_wrote_on_its_principle_nine_weeks_ago(
    sim: TelegramSimulator,
    bot: NetcoachApplication,
    runtime: Runtime,
    clock: ShiftableClock,
    story: _Story,
) -> None:
    user = await _member(sim, runtime, story)
    await _nine_weeks_of_notes(runtime, _who(user, story), clock, story)

    (card,) = await chat(user, "/next")

    text = card.text or ""
    assert _first_line(card) == _title(runtime, "intro-relationships", story.language)
    assert "📓 " + story.nine_weeks_ago in text
    quote = next(line for line in text.split("\n") if line.startswith("📓"))
    assert quote.endswith("…“" if story.language == "de" else "…”")  # cut short
    assert len(quote) < 220
    # The note stands before the question, which still ends the card.
    question = text.split("\n")[-1]
    assert text.index(quote) < text.index(question) and question.endswith("?")
    assert story.notes[1] not in text  # notes on other principles are not recalled


@languages
async def test_the_reliability_and_contact_care_cards_answer_their_questions_from_memory(
    sim: TelegramSimulator,
    bot: NetcoachApplication,
    runtime: Runtime,
    clock: ShiftableClock,
    story: _Story,
) -> None:
    user = await _member(sim, runtime, story)
    who = _who(user, story)
    for line in story.commitments:
        step = await commit_saying_yes(runtime, who, line)
        assert step is not None and step.created is not None, (line, step)
    for line in story.cadences:
        assert await cadence_saying_yes(runtime, who, line) is not None
    assert await met_saying_yes(runtime, who, story.met_hanna) is not None
    await _cards_shown(runtime, who, 3)  # intro, cooperation, trust
    clock.advance(timedelta(days=2))  # Anna's call was due yesterday

    (reliability,) = await chat(user, "/next")

    text = reliability.text or ""
    assert _first_line(reliability) == _title(runtime, "principle-reliability", story.language)
    listed = text.split("\n")
    start = listed.index(story.open_title)
    assert listed[start + 1 : start + 5] == [
        story.overdue_anna,
        story.due_ben,
        listed[start + 3],  # Cem
        story.two_more,
    ]
    assert "Cem" in listed[start + 3] and "Dora" not in text and "Emil" not in text

    await _cards_shown(runtime, who, 3)  # negotiation, fairness, discretion
    clock.advance(timedelta(days=15))  # Gina, Hanna, Jan and Fritz are overdue; Ida is not
    title = _title(runtime, "rule-contact-care", story.language)
    # Follow-ups and check-ins fall due meanwhile: the card comes among them.
    care = await _message_starting(user, "/next", title)

    text = care.text or ""
    listed = text.split("\n")
    start = listed.index(story.checkins_title)
    shown = listed[start + 1 : start + 4]
    assert [line.split(" – ")[0] for line in shown] == ["• Gina", "• Hanna", "• Jan"]
    assert "26. Nov." in shown[1] or "26 Nov" in shown[1]  # Hanna: met at the start
    assert listed[start + 4] == story.one_more_contact
    assert story.never_met_fritz not in text and "Ida" not in text


@languages
async def test_a_check_in_quotes_the_last_note_about_the_contact_below_its_first_line(
    sim: TelegramSimulator,
    bot: NetcoachApplication,
    runtime: Runtime,
    clock: ShiftableClock,
    story: _Story,
) -> None:
    user = await _member(sim, runtime, story)
    who = _who(user, story)
    weekly = story.cadences[1].replace("Gina", "Tom")
    assert await cadence_saying_yes(runtime, who, weekly) is not None
    assert await met_saying_yes(runtime, who, story.met_tom) is not None
    clock.advance(timedelta(days=8))

    await _tick(bot)

    (checkin,) = [m for m in user.messages if m.buttons and "Tom" in (m.text or "")]
    text = checkin.text or ""
    assert _first_line(checkin) == story.checkin_title
    assert text.split("\n")[-1] == story.last_note_on_tom


@languages
async def test_a_follow_up_says_when_the_commitment_was_made_and_from_which_card(
    sim: TelegramSimulator,
    bot: NetcoachApplication,
    runtime: Runtime,
    clock: ShiftableClock,
    story: _Story,
) -> None:
    user = await _member(sim, runtime, story)
    who = _who(user, story)
    assert await met_saying_yes(runtime, who, "Tom") is not None
    await _cards_shown(runtime, who, 3)
    (card,) = await chat(user, "/next")
    t = catalog(story.language)

    # Nobody in particular: the card's suggestions speak of "someone".
    await user.press(card, t.raw("button.commit"))
    who_asked = await user.next_message()
    await user.press(who_asked, t.raw("button.nobody"))
    what = await user.next_message()
    assert story.someone_back in labels(what)
    await user.press(what, t.raw("button.cancel_flow"))
    await edited(user, what)
    # Tom: the same suggestions name him.
    await user.press(card, t.raw("button.commit"))
    who_asked = await user.next_message()
    await user.press(who_asked, "Tom")
    what = await user.next_message()
    assert story.tom_back in labels(what) and story.someone_back not in labels(what)
    await user.press(what, story.tom_back)
    when = await user.next_message()
    await user.press(when, t.raw("button.due_tomorrow"))
    await user.next_message()  # made
    clock.advance(timedelta(days=1, hours=1))

    await _tick(bot)

    (followup,) = [m for m in user.messages if m.text and m.text.startswith(story.due_title)]
    text = followup.text or ""
    assert story.tom_back in text.split("\n")[1]  # the commitment, below the first line
    assert text.split("\n")[2] == story.made_from_reliability


@languages
async def test_another_question_says_when_the_member_has_seen_all_of_the_cards_questions(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, story: _Story
) -> None:
    user = await _member(sim, runtime, story)
    t = catalog(story.language)
    (card,) = await chat(user, "/next")
    questions = [(card.text or "").split("\n")[-1]]
    for _ in range(6):
        await user.press(card, t.raw("button.another_question"))
        card = await edited(user, card)
        questions.append((card.text or "").split("\n")[-1])
    assert len(set(questions)) == 7
    assert t.raw("button.another_question") in labels(card)

    await user.press(card, t.raw("button.another_question"))
    card = await edited(user, card)

    text = card.text or ""
    assert story.all_seen in text
    assert questions[-1] in text  # it stays on the last question instead of going round
    assert t.raw("button.another_question") not in labels(card)
    assert t.raw("button.reflect") in labels(card)


async def test_a_group_chat_never_shows_a_members_words(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    story = STORIES["de"]
    user = await _member(sim, runtime, story)
    who = _who(user, story)
    await _nine_weeks_of_notes(runtime, who, clock, story)
    assert await commit_saying_yes(runtime, who, story.commitments[0]) is not None
    assert await cadence_saying_yes(runtime, who, "Tom jede Woche") is not None
    assert await met_saying_yes(runtime, who, story.met_tom) is not None
    group = sim.group("Stammtisch", members=[user])
    group.add_bot(user)
    words = ("Tom", "Anna", "Hamburg", "melden", "Notiz")

    for command in ("/next", "/commitments", "/journal", "/review", "/contacts", "/reflect"):
        await group.send(user, command)
        await group.next_message()
    assert {m.text for m in group.messages} == {str(catalog("de")("fallback.group"))}

    # Should a member's chat ever be a group, their card comes without their words.
    async with runtime.sessions.begin() as session:
        member = await get_user_by_telegram_id(session, user.id)
        assert member is not None
        member.chat_id = group.chat_id
        member.next_prompt_at = clock.now()
    await _tick(bot)
    card = await group.next_message()
    assert _first_line(card) == _title(runtime, "intro-relationships", "de")
    assert "📓" not in (card.text or "")
    shown = " ".join(m.text or "" for m in group.messages)
    assert not [word for word in words if word in shown]


async def _nine_weeks_of_notes(
    runtime: Runtime, who: Identity, clock: ShiftableClock, story: _Story
) -> None:
    """Nine weeks, nine cards, a note on each: the first card's note is the oldest."""
    for note in story.notes:
        (delivery_id,) = await _cards_shown(runtime, who, 1)
        assert await ask_for_reflection(runtime, who, delivery_id) is not None
        assert await save_reflection(runtime, who, note) is not None
        clock.advance(timedelta(weeks=1))


async def test_with_encryption_on_cards_and_check_ins_still_quote_and_list_in_clear(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    story = STORIES["en"]
    with using_cipher(FieldCipher(generate_key())):
        writer = await _member(sim, runtime, story)
        await _nine_weeks_of_notes(runtime, _who(writer, story), clock, story)
        async with runtime.sessions() as session:
            raw = (await session.execute(text("SELECT text FROM reflections"))).scalars().all()
        assert len(raw) == 9 and not [value for value in raw if "Tom" in value]
        keeper = sim.user("Keeper", language_code="en")
        await add_members(
            runtime, [keeper.id], timezone=story.zone, language="en", next_prompt_at=_LATER
        )
        who = _who(keeper, story)
        for line in story.commitments:
            assert (await commit_saying_yes(runtime, who, line)) is not None
        assert await cadence_saying_yes(runtime, who, "Tom every week") is not None
        assert await met_saying_yes(runtime, who, story.met_tom) is not None
        await _cards_shown(runtime, who, 3)

        (card,) = await chat(writer, "/next")
        (listing,) = await chat(keeper, "/commitments")
        (reliability,) = await chat(keeper, "/next")
        clock.advance(timedelta(days=8))
        await _tick(bot)
        texts = await texts_until_quiet(keeper)

    assert story.nine_weeks_ago in (card.text or "")
    # /commitments showed the contacts' names as stored (encrypted) before.
    assert "\nAnna · due" in (listing.text or "") and "enc" not in (listing.text or "")
    listed = (reliability.text or "").split("\n")
    start = listed.index(story.open_title)
    assert listed[start + 1].startswith("• call Anna – by ")
    assert listed[start + 4] == story.two_more
    # Due with the follow-ups, the check-in comes in their digest, its note below it.
    (digest,) = [text for text in texts if "Your last contact with Tom" in text]
    after = digest[digest.index("Your last contact with Tom") :].split("\n")
    assert after[2].startswith("📓 Your last note on this (")
    assert after[2].endswith(f"): “{_TOM_NOTE['en']}”")
    assert "Tom" not in digest.split("\n")[0]
