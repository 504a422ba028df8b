"""Hostile input: thousands of random and malformed updates through the real Application.

Hypothesis builds batches of updates — huge, empty and strange text, commands with junk
arguments, edited messages, channel posts, group and supergroup chats, messages without
a sender, update kinds the bot has never heard of, and forged callback data of every
shape — and feeds them to netcoach through the simulator. One simulator and one running
bot serve every example; after each batch a member asks for /help, and once that is
answered and the bot has handled as many updates as the simulator made, the whole batch
was handled.

After every batch: nothing failed (no ERROR log, which is where the error handler puts
an unhandled exception), the simulator rejected no request (Telegram's flood limits
aside: they are not the story here), and a group only ever heard the one line that the
bot works in private chats.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.commitments import COMMITMENT_FLOW
from bot.domain.runtime import Runtime
from bot.screens import admin as admin_screens
from bot.screens import contact_page as contact_page_screens
from bot.screens import digest as digest_screens
from bot.screens import journal as journal_screens
from bot.screens import privacy as privacy_screens
from bot.screens import prompt as prompt_screens
from bot.screens import reflection as reflection_screens
from bot.screens import reflection_answers as reflection_answer_screens
from bot.screens import review as review_screens
from bot.screens import setup as setup_screens
from bot.screens import stray as stray_screens
from bot.screens import undo as undo_screens
from content.i18n import LANGUAGES, catalog
from handlers import commitments
from handlers.context import NetcoachApplication
from handlers.registry import COMMANDS
from simulator import RecordedRequest, SimGroup, SimUser, TelegramSimulator
from storage.conversations import set_state
from storage.users import get_user_by_telegram_id
from tests.support.conformance import assert_requests_conform
from tests.support.harness import UNPACED_CHAT_RATE, all_updates_handled, bot_against
from tests.support.members import add_members
from tests.support.processes import wait_until

# Examples per backend, and updates per example: a few thousand updates in all.
EXAMPLES = 100

# Every button kind the bot registers, so forged data reaches every handler's parsing.
BUTTON_KINDS = sorted(
    {
        setup_screens.LANGUAGE,
        setup_screens.TIMEZONE,
        setup_screens.WEEKDAY,
        setup_screens.TIME,
        setup_screens.CHANGE,
        prompt_screens.REFLECT,
        prompt_screens.ANOTHER_QUESTION,
        prompt_screens.SKIP,
        prompt_screens.COMMIT,
        reflection_screens.JOURNAL,
        *journal_screens.BUTTON_KINDS,
        *contact_page_screens.BUTTON_KINDS,
        undo_screens.UNDO,
        *stray_screens.BUTTON_KINDS,
        *reflection_answer_screens.BUTTON_KINDS,
        privacy_screens.DELETE,
        admin_screens.BROADCAST,
        review_screens.REVIEW_PLACEMENT,
        digest_screens.OPEN_ITEM,
        *commitments.BUTTON_KINDS,
    }
)

# Telegram sends valid UTF-8 only, so lone surrogates cannot arrive; everything else can.
ANY_CHARACTER = st.characters(codec="utf-8")
NASTY_TEXTS = (
    "",
    " ",
    "\n\n\n",
    "\u200b",
    "\u200b\u200c\u200d\ufeff",
    "\u202eevil\u202c",
    "\u200fשלום עולם",
    "مرحبا بالعالم",
    "\x00\x01\x07\x1b[31m\x7f",
    "👩‍👩‍👧‍👦🏳️‍🌈" * 200,
    "a" * 4096,
    "ä" * 5000,
    "<b>unclosed",
    "&amp; &lt; <script>alert(1)</script>",
    "*_`[]()~>#+-=|{}.!",
    "call Anna about the project by Friday",
    "Anna anrufen bis Freitag",
    "1",
    "99999999999999999999",
    "Europe/Berlin",
    "Mars/Olympus_Mons",
    "/",
    "//",
    "/ü",
    "/start@netcoach_bot",
    "/start@other_bot",
    "/help@netcoach_bot extra",
    "/stats",
    "/broadcast hello everyone",
    "/definitely_not_a_command",
)
ARGUMENTS = (
    "",
    "0",
    "-1",
    "1",
    "2147483648",
    "9223372036854775808",
    "99999999999999999999",
    "9" * 64,
    "²",
    "٣",
    "１２",
    "1-",
    "1-x",
    "1-99999999999999999999",
    "99999999999999999999-1",
    "1-²",
    "de",
    "en",
    "xx",
    "Europe/Berlin",
    "Mars/Olympus",
    "yes",
    "no",
    "send",
    "cancel",
    "own",
    "inside",
    "language",
    "timezone",
)

texts = st.one_of(
    st.sampled_from(NASTY_TEXTS),
    st.text(ANY_CHARACTER, max_size=200),
    st.builds(lambda c, n: c * n, ANY_CHARACTER, st.integers(min_value=3000, max_value=6000)),
    st.builds(
        lambda name, argument: f"/{name} {argument}",
        st.sampled_from((*COMMANDS, "stats", "broadcast", "nope")),
        st.one_of(st.sampled_from(NASTY_TEXTS), st.text(ANY_CHARACTER, max_size=80)),
    ),
    st.sampled_from(COMMANDS).map(lambda name: f"/{name}"),
)
callback_data = st.one_of(
    st.builds(
        lambda kind, argument: f"{kind}:{argument}",
        st.sampled_from(BUTTON_KINDS),
        st.one_of(
            st.sampled_from(ARGUMENTS),
            st.integers(min_value=-(2**80), max_value=2**80).map(str),
            st.text(ANY_CHARACTER, max_size=40),
        ),
    ),
    st.text(ANY_CHARACTER, max_size=100),
    st.sampled_from(("", ":", "::", "sk:99999999999999999999", "jr:99999999999999999999")),
)
names = st.text(ANY_CHARACTER, min_size=1, max_size=64)
language_codes = st.sampled_from((None, "de", "en", "fr", "pt-br", "zz-ZZ", "x" * 30))


@dataclass(frozen=True)
class Say:
    """A member writes text in their private chat."""

    who: int
    text: str


@dataclass(frozen=True)
class Edit:
    """A member edits an earlier message of theirs."""

    who: int
    text: str


@dataclass(frozen=True)
class Press:
    """A member sends callback data for one of the bot's messages in their chat."""

    who: int
    data: str


@dataclass(frozen=True)
class SayInGroup:
    """A member writes in a group or supergroup the bot is in."""

    group: int
    text: str


@dataclass(frozen=True)
class PressInGroup:
    """Someone sends callback data for the bot's line in a group."""

    group: int
    data: str


@dataclass(frozen=True)
class Stranger:
    """Someone new with a strange name, language and a large id writes for the first time."""

    first_name: str
    last_name: str | None
    language_code: str | None
    text: str


@dataclass(frozen=True)
class Raw:
    """An update Telegram could send that no ordinary client action makes."""

    shape: str
    who: int
    text: str


RAW_SHAPES = (
    "message_without_from",
    "message_without_text",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "unknown_kind",
    "poll_answer",
    "message_reaction",
    "anonymous_group_admin",
    "callback_without_data",
)

MEMBERS = 5  # onboarded members 0..4; 5..7 have never talked to the bot
STRANGERS = 3
GROUPS = 2

actions = st.one_of(
    st.builds(Say, st.integers(0, MEMBERS + STRANGERS - 1), texts),
    st.builds(Edit, st.integers(0, MEMBERS + STRANGERS - 1), texts),
    st.builds(Press, st.integers(0, MEMBERS + STRANGERS - 1), callback_data),
    st.builds(SayInGroup, st.integers(0, GROUPS - 1), texts),
    st.builds(PressInGroup, st.integers(0, GROUPS - 1), callback_data),
    st.builds(Stranger, names, st.none() | names, language_codes, texts),
    st.builds(Raw, st.sampled_from(RAW_SHAPES), st.integers(0, MEMBERS - 1), texts),
)


class ErrorRecords(logging.Handler):
    """Keeps every record at ERROR or above (the error handler logs failed updates there)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class World:
    """The simulator, the bot and the cast every example plays with."""

    sim: TelegramSimulator
    app: NetcoachApplication
    people: list[SimUser]
    groups: list[SimGroup]
    sentinel: SimUser
    errors: ErrorRecords
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(10**12))
    group_commands: int = 0
    harmless: int = 0


@pytest.fixture
def error_records() -> Iterator[ErrorRecords]:
    """Every ERROR record anywhere while the test runs."""
    handler = ErrorRecords()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


@pytest.fixture
async def world(runtime: Runtime, error_records: ErrorRecords) -> AsyncIterator[World]:
    """One simulator and one running bot, shared by every example of a test."""
    # Replies are paced like every send; at the paid ceiling, and with no pace in a chat,
    # the pacing costs no time here (Telegram's limits are not the story).
    fast = replace(
        runtime, settings=runtime.settings.model_copy(update={"max_messages_per_second": 1000})
    )
    async with TelegramSimulator(enforce_limits=False, per_chat_rate=UNPACED_CHAT_RATE) as sim:
        people = [sim.user(f"Member {n}", language_code="de") for n in range(MEMBERS)]
        people += [sim.user(f"Newcomer {n}", language_code="en") for n in range(STRANGERS)]
        sentinel = sim.user("Sentinel", language_code="en")
        await add_members(runtime, [p.id for p in people[:MEMBERS]] + [sentinel.id])
        groups = [sim.group("Stammtisch", members=people), sim.group("Verband", supergroup=True)]
        for group in groups:
            for person in people:
                group.add_member(person)
            group.add_bot(people[0])
        async with bot_against(sim, fast) as app:
            world = World(sim, app, people, groups, sentinel, error_records)
            # Every chat gets a bot message to press forged buttons on.
            for person in people:
                await person.send("/help")
            for group in groups:
                await group.send(people[0], "/start")
            world.group_commands = len(groups)
            await _settle(world)
            await wait_until(lambda: all(p.messages for p in people + groups), timeout=10)
            yield world
            _forget_requests(world)
    # Every 400 of the whole run was Telegram's harmless "not modified" (a late one, after
    # an example's check, is counted when its requests are forgotten).
    assert sim.stats.bad_requests == world.harmless


async def _settle(world: World) -> None:
    """Wait until the bot has handled everything queued so far, and still answers.

    Members' updates are handled several at once, so the sentinel's answer alone does not
    mean the others are done: the bot's count of handled updates must reach the
    simulator's count of updates too.
    """
    before = len(world.sentinel.messages)
    await world.sentinel.send("/help")
    await wait_until(lambda: len(world.sentinel.messages) > before, timeout=30)
    await wait_until(lambda: all_updates_handled(world.sim, world.app), timeout=30)


def _message(world: World, chat: dict[str, Any], sender: dict[str, Any] | None, text: str) -> Any:
    message: dict[str, Any] = {
        "message_id": next(world.ids),
        "date": int(time.time()),
        "chat": chat,
        "text": text,
    }
    if sender is not None:
        message["from"] = sender
    return message


def _raw_update(world: World, raw: Raw) -> dict[str, Any]:
    person = world.people[raw.who]
    channel = {"id": -1_000_000_099_999, "type": "channel", "title": "Kanal"}
    match raw.shape:
        case "message_without_from":
            return {"message": _message(world, person.chat, None, raw.text)}
        case "message_without_text":
            message = _message(world, person.chat, person.user, raw.text)
            del message["text"]
            return {"message": message}
        case "edited_message":
            message = _message(world, person.chat, person.user, raw.text)
            return {"edited_message": message | {"edit_date": message["date"]}}
        case "channel_post":
            return {"channel_post": _message(world, channel, None, raw.text)}
        case "edited_channel_post":
            message = _message(world, channel, None, raw.text)
            return {"edited_channel_post": message | {"edit_date": message["date"]}}
        case "unknown_kind":
            return {"future_update_kind": {"id": next(world.ids), "text": raw.text}}
        case "poll_answer":
            return {
                "poll_answer": {
                    "poll_id": "1",
                    "user": person.user,
                    "option_ids": [0],
                    "option_persistent_ids": ["a"],
                }
            }
        case "message_reaction":
            return {
                "message_reaction": {
                    "chat": person.chat,
                    "message_id": 1,
                    "user": person.user,
                    "date": int(time.time()),
                    "old_reaction": [],
                    "new_reaction": [{"type": "emoji", "emoji": "👍"}],
                }
            }
        case "anonymous_group_admin":
            group = world.groups[raw.who % GROUPS]
            admin = {"id": 1087968824, "is_bot": True, "first_name": "Group"}
            message = _message(world, group.chat, admin, raw.text)
            return {"message": message | {"sender_chat": group.chat}}
        case _:  # a game button: callback query without data
            target = person.messages[0]
            pending = world.sim._core.state.new_callback(person.id, target)
            return {
                "callback_query": {
                    "id": pending.query_id,
                    "from": person.user,
                    "message": target.to_api(),
                    "chat_instance": "1",
                    "game_short_name": "nope",
                }
            }


async def _play(world: World, action: object) -> None:
    match action:
        case Say(who, text):
            await world.people[who].send(text)
        case Edit(who, text):
            person = world.people[who]
            own = [m for m in person.history if not m.from_bot and m.text is not None]
            if own:
                await person.edit(own[-1], text)
        case Press(who, data):
            person = world.people[who]
            await person.press_forged(person.messages[0], data)
        case SayInGroup(number, text):
            await world.groups[number].send(world.people[0], text)
            if text.startswith("/"):
                world.group_commands += 1
        case PressInGroup(number, data):
            group = world.groups[number]
            await world.people[1].press_forged(group.messages[0], data)
        case Stranger(first_name, last_name, language_code, text):
            stranger = world.sim.user(
                first_name,
                user_id=next(world.ids) % 2**52,
                last_name=last_name,
                language_code=language_code,
            )
            await stranger.send(text)
        case Raw() as raw:
            world.sim.inject_update(_raw_update(world, raw))


def _harmless(request: RecordedRequest) -> bool:
    """Telegram's "nothing changed" answer to a button pressed twice: the bot takes it as done."""
    description = str(request.response.get("description", "")).lower()
    return request.method == "editMessageText" and "message is not modified" in description


def _forget_requests(world: World) -> None:
    """Count the harmless 400s among the recorded requests, then forget them all."""
    world.harmless += sum(1 for r in world.sim.requests if _harmless(r))
    world.sim.clear_requests()


def _group_lines() -> set[str]:
    return {catalog(language)("fallback.group") for language in LANGUAGES}


def _check(world: World) -> None:
    failures = [
        f"{record.name}: {record.getMessage()}"
        + (f" ({record.exc_info[1]!r})" if record.exc_info else "")
        for record in world.errors.records
    ]
    assert not failures, "the bot failed on hostile input:\n" + "\n".join(failures)
    rejected = [
        f"{r.method} -> {r.status} {r.response.get('description')}"
        for r in world.sim.requests
        if not r.ok and not _harmless(r)
    ]
    assert not rejected, rejected
    assert_requests_conform(world.sim)
    lines = _group_lines()
    for group in world.groups:
        said = [m.text for m in group.messages]
        assert set(said) <= lines, f"a group heard more than the private-chat line: {said}"
    assert sum(len(g.messages) for g in world.groups) <= world.group_commands
    for request in world.sim.requests:
        chat_id = request.params.get("chat_id")
        if isinstance(chat_id, int) and chat_id < 0:
            assert request.method == "sendMessage", f"{request.method} in a group: {request.params}"


@pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(actions, min_size=10, max_size=40))
async def test_random_and_malformed_updates_never_break_the_bot(
    world: World, batch: list[object]
) -> None:
    # Each example is judged on its own, so hypothesis can shrink a failure to its cause.
    world.errors.records.clear()
    _forget_requests(world)
    for action in batch:
        await _play(world, action)
    await _settle(world)
    _check(world)


# Stories for the bugs the property above found: each failed before its fix.


def _no_failures(caplog: pytest.LogCaptureFixture) -> None:
    failed = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not failed, failed


async def _member_with_a_message(sim: TelegramSimulator, runtime: Runtime) -> SimUser:
    member = sim.user("Anna", language_code="en")
    await add_members(runtime, [member.id], language="en")
    await member.send("/help")
    await member.next_message()
    return member


async def test_forged_buttons_with_huge_or_exotic_numbers_get_the_neutral_answer(
    sim: TelegramSimulator,
    runtime: Runtime,
    bot: NetcoachApplication,
    caplog: pytest.LogCaptureFixture,
) -> None:
    member = await _member_with_a_message(sim, runtime)
    stale = catalog("en").raw("fallback.stale_button")
    # Twenty digits overflowed the database driver; "²" passes isdigit but not int().
    forged = ("sk:99999999999999999999", "rf:2147483648", "cd:99999999999999999999-1")
    # A digest's marks (`~N`), broken, and an item of nobody's digest.
    in_digest = ("sk:1~0", "cd:1~999", "dg:2147483648~1", "dg:1~1", "kt:1~x", "dg:~1")
    for data in (*forged, *in_digest):
        answer = await member.wait_callback_answer(await member.press_forged(1, data))
        assert answer.text == stale
    for data in ("wd:²", "tm:¹²", "jr:99999999999999999999"):
        await member.wait_callback_answer(await member.press_forged(1, data))
    _no_failures(caplog)
    _never_told_of_an_error(member)


def _never_told_of_an_error(member: SimUser) -> None:
    apology = catalog(member.user.get("language_code", "de"))("error.generic")
    assert all(message.text != apology for message in member.messages)


async def test_a_private_message_without_a_sender_is_ignored(
    sim: TelegramSimulator,
    runtime: Runtime,
    bot: NetcoachApplication,
    caplog: pytest.LogCaptureFixture,
) -> None:
    member = await _member_with_a_message(sim, runtime)
    sim.inject_update(
        {
            "message": {
                "message_id": 999,
                "date": int(time.time()),
                "chat": member.chat,
                "text": "hi",
            }
        }
    )
    await member.send("/help")
    await member.next_message()
    assert len(member.messages) == 2  # the two answers to /help, nothing for the stray message
    _no_failures(caplog)
    _never_told_of_an_error(member)


async def test_a_forged_journal_button_in_a_group_shows_the_group_nothing(
    sim: TelegramSimulator,
    runtime: Runtime,
    bot: NetcoachApplication,
    caplog: pytest.LogCaptureFixture,
) -> None:
    member = await _member_with_a_message(sim, runtime)
    group = sim.group("Stammtisch", members=[member])
    group.add_member(member)
    group.add_bot(member)
    await group.send(member, "/start")
    line = await group.next_message()
    # Acting on it edited the group's message into the presser's journal, for all to read.
    for data in ("jr:0", "lang:en", "set:timezone", "dl:yes"):
        answer = await member.wait_callback_answer(await member.press_forged(line, data))
        assert answer.text == catalog("en").raw("fallback.stale_button")
    assert [m.text for m in group.messages] == [catalog("en")("fallback.group")]
    assert not [r for r in sim.requests if r.method.startswith("edit")]
    _no_failures(caplog)


async def test_pressing_the_same_journal_page_twice_is_not_an_error(
    sim: TelegramSimulator,
    runtime: Runtime,
    bot: NetcoachApplication,
    caplog: pytest.LogCaptureFixture,
) -> None:
    member = await _member_with_a_message(sim, runtime)
    await member.send("/journal")
    journal = await member.next_message()
    for _ in range(2):  # a double tap: the second asks for the page already shown
        await member.wait_callback_answer(await member.press_forged(journal, "jr:0"))
    await member.send("/help")
    await member.next_message()
    _no_failures(caplog)
    _never_told_of_an_error(member)


async def test_an_old_setup_button_pressed_during_a_commitment_changes_nothing(
    sim: TelegramSimulator,
    runtime: Runtime,
    bot: NetcoachApplication,
    caplog: pytest.LogCaptureFixture,
) -> None:
    member = await _member_with_a_message(sim, runtime)
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, member.id)
        assert user is not None
        await set_state(
            session, user.id, flow=COMMITMENT_FLOW, step="when", now=runtime.clock.now()
        )
    # The refusal read the commitment's step as a setup step and crashed.
    await member.wait_callback_answer(await member.press_forged(1, "tz:Mars/Olympus"))
    refusal = await member.next_message()
    assert refusal.text != catalog("en")("error.generic")
    _no_failures(caplog)
