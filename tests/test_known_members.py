"""Members kept at hand: answers stay right when members change things, and the memory is bounded.

The bot keeps each member's language and whether a flow is open, so `/help` or free text
with nothing open needs no database read. These stories check that what it keeps never
shows: a new language, a flow just opened or closed, a deleted member are all seen at
the very next message.
"""

from __future__ import annotations

from sqlalchemy import Select, func, select, update

from bot.domain.known_members import Known, KnownMembers, recall_member
from bot.domain.members import Identity
from bot.domain.runtime import Runtime
from bot.settings import Settings
from content.i18n import catalog
from handlers.context import NetcoachApplication
from simulator import TelegramSimulator
from simulator.html import parse_html
from storage.engine import create_engine, create_session_factory
from storage.models import Commitment, User
from tests.support.contacts import chat_saying_yes
from tests.support.harness import chat, texts_until_quiet
from tests.support.members import add_members


async def test_the_next_help_after_switching_language_is_in_the_new_language(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    lena = sim.user("Lena", language_code="de")
    await add_members(runtime, [lena.id], language="de")
    [first] = await chat(lena, "/help")
    assert first.text == _plain(catalog("de")("help.text"))
    assert runtime.known_members is not None and runtime.known_members.get(lena.id) is not None

    await chat(lena, "/language en")
    [second] = await chat(lena, "/help")
    assert second.text == _plain(catalog("en")("help.text"))


async def test_free_text_goes_to_a_flow_opened_just_before(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    tom = sim.user("Tom", language_code="en")
    await add_members(runtime, [tom.id], language="en")
    [pointer] = await chat(tom, "Hello?")
    assert pointer.text == _plain(catalog("en")("stray.offer"))

    await tom.send("/commit")
    asked = await texts_until_quiet(tom)
    assert _plain(catalog("en")("commit.ask_who")) in asked
    # Kept as "nothing open" a moment ago; now the name must answer the question.
    answered = await chat_saying_yes(tom, "Anna")  # "new contact: Anna?" – yes
    assert "What will you do for Anna?" in (answered.text or "")

    # Once the commitment is saved, free text is again offered a place (a note, …).
    await tom.send("call her about the project")
    await texts_until_quiet(tom)
    await tom.send("next Monday 10am")
    await texts_until_quiet(tom)
    async with runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Commitment)) == 1
    [pointer] = await chat(tom, "Thanks!")
    assert pointer.text == _plain(catalog("en")("stray.offer"))


async def test_a_deleted_member_who_writes_again_starts_afresh(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    ida = sim.user("Ida", language_code="en")
    await add_members(runtime, [ida.id], language="en")
    await chat(ida, "/help")
    [asked] = await chat(ida, "/delete")
    await ida.press(asked, asked.buttons[0].text)
    await texts_until_quiet(ida)
    assert await recall_member(runtime, Identity(ida.id, ida.id)) is None

    await ida.send("Hi again")
    welcome = await texts_until_quiet(ida)
    assert welcome and _plain(catalog("en")("stray.offer")) not in welcome


async def test_a_change_by_a_bulk_statement_is_seen(runtime: Runtime) -> None:
    await add_members(runtime, [42], language="de")
    who = Identity(42, 42)
    assert (await recall_member(runtime, who)) == Known(
        user_id=_id(await recall_member(runtime, who)), chat_id=42, language="de", in_flow=False
    )
    async with runtime.sessions.begin() as session:
        await session.execute(update(User).where(User.telegram_id == 42).values(language="en"))
    recalled = await recall_member(runtime, who)
    assert recalled is not None and recalled.language == "en"


async def test_sessions_report_the_members_they_change(runtime: Runtime) -> None:
    reports: list[frozenset[int] | None] = []
    engine = create_engine(runtime.settings.database_url)
    sessions = create_session_factory(engine, on_members_changed=reports.append)
    await add_members(runtime, [7, 8], language="de")
    try:
        async with sessions.begin() as session:
            user = (await session.execute(_user(7))).scalar_one()
            user.language = "en"
        # Once at the flush, once after the commit.
        assert reports == [frozenset({user.id}), frozenset({user.id})]

        reports.clear()
        async with sessions.begin() as session:
            await session.execute(_user(8))
        assert reports == []  # reading reports nothing

        async with sessions.begin() as session:
            await session.execute(update(User).values(language="de"))
        assert reports == [None]  # a bulk statement cannot name the members
    finally:
        await engine.dispose()


def test_a_read_that_overlapped_a_change_is_not_kept() -> None:
    memory = KnownMembers(10)
    version = memory.version
    memory.forget(frozenset({1}))  # the change lands while the read is under way
    memory.put(100, Known(1, 100, "de", in_flow=False), version)
    assert memory.get(100) is None

    memory.put(100, Known(1, 100, "de", in_flow=False), memory.version)
    assert memory.get(100) is not None
    memory.forget(frozenset({1}))
    assert memory.get(100) is None


def test_memory_is_bounded_and_forgets_the_least_recently_used() -> None:
    memory = KnownMembers(2)
    for telegram_id in (100, 200):
        memory.put(telegram_id, Known(telegram_id, telegram_id, "en", False), memory.version)
    assert memory.get(100) is not None  # 100 is now the most recently used
    memory.put(300, Known(300, 300, "en", False), memory.version)
    assert len(memory) == 2
    assert memory.get(200) is None and memory.get(100) is not None


def test_entries_expire() -> None:
    now = [0.0]
    memory = KnownMembers(10, max_age=60, monotonic=lambda: now[0])
    memory.put(100, Known(1, 100, "en", False), memory.version)
    now[0] = 59.0
    assert memory.get(100) is not None
    now[0] = 121.0
    assert memory.get(100) is None


def test_nothing_is_kept_behind_a_webhook() -> None:
    polling = Settings(_env_file=None)  # type: ignore[call-arg]
    webhook = Settings(  # type: ignore[call-arg]
        webhook_url="https://bot.example.org/hook", webhook_secret="s" * 32, _env_file=None
    )
    assert polling.remembered_members == polling.member_cache_size > 0
    assert webhook.remembered_members == 0


def _plain(html: str) -> str:
    """The text as Telegram shows it: the simulator parses the HTML as Telegram does."""
    return parse_html(html)[0]


def _id(known: Known | None) -> int:
    assert known is not None
    return known.user_id


def _user(telegram_id: int) -> Select[tuple[User]]:
    return select(User).where(User.telegram_id == telegram_id)
