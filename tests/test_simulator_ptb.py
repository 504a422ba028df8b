"""The real python-telegram-bot against the simulator: polling, buttons, files and errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from simulator import TelegramSimulator

# PTB itself warns about RetryAfter.retry_after becoming a timedelta when it builds the error.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
async def sim() -> AsyncIterator[TelegramSimulator]:
    async with TelegramSimulator() as simulator:
        yield simulator


@pytest.fixture
async def bot(sim: TelegramSimulator) -> AsyncIterator[Bot]:
    async with Bot(sim.token, base_url=sim.base_url) as telegram_bot:
        yield telegram_bot


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Ja", callback_data="yes"),
                InlineKeyboardButton("Nein", callback_data="no"),
            ]
        ]
    )
    await update.effective_message.reply_html("<b>Willkommen!</b> Bereit?", reply_markup=keyboard)


async def answer_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer(f"Du hast {query.data} gewählt")
    await query.edit_message_text(f"Antwort: {query.data}")


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None and update.effective_message.text is not None
    await update.effective_message.reply_text(update.effective_message.text)


async def export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None
    await context.bot.send_document(
        update.effective_chat.id, b"journal;2025", filename="journal.csv", caption="Dein Export"
    )


@pytest.fixture
async def echo_bot(sim: TelegramSimulator) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    app = ApplicationBuilder().token(sim.token).base_url(sim.base_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("export", export))
    app.add_handler(CallbackQueryHandler(answer_button))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        yield app
        await app.updater.stop()
        await app.stop()


async def test_a_polling_echo_bot_answers_a_user(sim: TelegramSimulator, echo_bot: Application):  # type: ignore[type-arg]
    anna = sim.user("Anna")
    await anna.send("Hallo Bot")
    reply = await anna.next_message(timeout=3)
    assert reply.text == "Hallo Bot"


async def test_start_shows_buttons_and_a_press_is_answered_and_edits_the_question(
    sim: TelegramSimulator,
    echo_bot: Application,  # type: ignore[type-arg]
):
    anna = sim.user("Anna")
    await anna.send("/start")
    welcome = await anna.next_message(timeout=3)
    assert welcome.html == "<b>Willkommen!</b> Bereit?"
    assert welcome.buttons == [("Ja", "yes"), ("Nein", "no")]
    query_id = await anna.press(welcome, "Nein")
    answer = await anna.wait_callback_answer(query_id, timeout=3)
    assert answer.text == "Du hast no gewählt"
    for _ in range(100):
        if welcome.edited:
            break
        await asyncio.sleep(0.01)
    assert welcome.text == "Antwort: no"
    assert welcome.buttons == []
    assert [m.message_id for m in anna.messages] == [welcome.message_id]


async def test_a_document_sent_by_the_bot_arrives_with_its_bytes(
    sim: TelegramSimulator,
    echo_bot: Application,  # type: ignore[type-arg]
):
    anna = sim.user("Anna")
    await anna.send("/export")
    message = await anna.next_message(timeout=3)
    assert message.document is not None
    assert (message.document.filename, message.document.data) == ("journal.csv", b"journal;2025")
    assert message.caption == "Dein Export"


async def test_many_users_are_served_in_parallel(
    sim: TelegramSimulator,
    echo_bot: Application,  # type: ignore[type-arg]
):
    users = [sim.user(f"U{i}") for i in range(20)]
    for user in users:
        await user.send(f"ich bin {user.first_name}")
    replies = await asyncio.gather(*(user.next_message(timeout=5) for user in users))
    assert [r.text for r in replies] == [f"ich bin {u.first_name}" for u in users]


async def test_commands_with_scope_and_language_round_trip(sim: TelegramSimulator, bot: Bot):
    commands = [BotCommand("start", "Loslegen"), BotCommand("export", "Daten exportieren")]
    scope = BotCommandScopeAllPrivateChats()
    assert await bot.set_my_commands(commands, scope=scope, language_code="de")
    assert await bot.get_my_commands(scope=scope, language_code="de") == tuple(commands)
    assert await bot.get_my_commands() == ()
    assert [c["command"] for c in sim.commands({"type": "all_private_chats"}, "de")] == [
        "start",
        "export",
    ]


async def test_telegram_errors_surface_as_ptb_exceptions(sim: TelegramSimulator, bot: Bot):
    anna, ben = sim.user("Anna"), sim.user("Ben")
    ben.block()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ben.id, "Hallo?")
    with pytest.raises(BadRequest, match=r"(?i)unsupported start tag"):
        await bot.send_message(anna.id, "<p>Absatz</p>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(987654, "niemand")
    sim.faults.rate_limit_storm(1, retry_after=3)
    with pytest.raises(RetryAfter, match=r"Retry in (3 seconds|0:00:03)"):
        await bot.send_message(anna.id, "zu schnell")
    sim.faults.fail_next(1, status=502)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(anna.id, "kaputt")
    sim.faults.fail_next(1, status=500)
    with pytest.raises(NetworkError):
        await bot.send_message(anna.id, "kaputt")
    await bot.send_message(anna.id, "jetzt geht's")
    assert [m.text for m in anna.messages] == ["jetzt geht's"]


async def test_the_per_chat_limit_is_enforced_for_a_real_bot():
    async with TelegramSimulator(per_chat_burst=2) as sim:
        anna = sim.user("Anna")
        async with Bot(sim.token, base_url=sim.base_url) as limited:
            await limited.send_message(anna.id, "1")
            await limited.send_message(anna.id, "2")
            with pytest.raises(RetryAfter):
                await limited.send_message(anna.id, "3")
        assert sim.stats.max_per_second_in(anna.id) == 2


async def test_a_webhook_makes_polling_a_conflict(sim: TelegramSimulator, bot: Bot):
    await bot.set_webhook("http://127.0.0.1:9/unused", secret_token="abc")
    assert (await bot.get_webhook_info()).url == "http://127.0.0.1:9/unused"
    with pytest.raises(Conflict):
        await bot.get_updates()
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == ()


async def test_photos_edits_and_deletes_through_ptb(sim: TelegramSimulator, bot: Bot):
    anna = sim.user("Anna")
    photo = await bot.send_photo(anna.id, b"\x89PNG...", caption="<i>Bild</i>", parse_mode="HTML")
    assert photo.photo[-1].file_size == len(b"\x89PNG...")
    assert photo.caption == "Bild"
    text = await bot.send_message(anna.id, "alt")
    edited = await bot.edit_message_text("neu", chat_id=anna.id, message_id=text.message_id)
    assert isinstance(edited, type(text))
    assert edited.text == "neu"
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("neu", chat_id=anna.id, message_id=text.message_id)
    assert await bot.delete_message(anna.id, photo.message_id)
    assert [m.text for m in anna.messages] == ["neu"]
    assert await bot.send_chat_action(anna.id, "typing")
    assert [e.kind for e in anna.events] == ["message", "message", "edit", "delete", "chat_action"]
