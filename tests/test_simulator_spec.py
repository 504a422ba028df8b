"""Requests a real PTB bot sends through the simulator are valid against the official spec.

The spec is Bot API 10.1, as committed in `tests/support/botapi_facts.json`; a newer
version is a regenerated facts file (see `tools/derive_botapi_facts.py`) and a new
expected version in the first test below.
"""

from __future__ import annotations

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
)
from telegram.error import RetryAfter

from simulator import RecordedRequest, TelegramSimulator
from simulator.params import METHODS
from tests.support.botapi_spec import load_spec, validate_request
from tests.support.conformance import assert_requests_conform


def test_requests_are_checked_against_bot_api_10_1() -> None:
    spec = load_spec()

    assert spec.version == "Bot API 10.1"
    assert len(spec.methods) == 180
    assert len(spec.types) == 359


async def test_a_story_whose_bot_sent_a_refused_request_fails_naming_the_bot_api_version():
    async with TelegramSimulator() as sim, aiohttp.ClientSession() as http:
        anna = sim.user("Anna")
        async with http.post(sim.api_url + "sendMessage", json={"chat_id": anna.id}) as answer:
            assert answer.status == 400

        with pytest.raises(AssertionError) as failed:
            assert_requests_conform(sim)

    report = str(failed.value)
    assert report.startswith("requests the official Bot API 10.1 would not accept:\n")
    assert "sendMessage: sendMessage: missing required field 'text'" in report


async def test_a_ptb_session_sends_only_requests_the_official_spec_allows():
    problems: list[str] = []

    def check(request: RecordedRequest) -> None:
        problems.extend(validate_request(request.method, request.raw_params))
        problems.extend(validate_request(request.method, request.params))

    async with TelegramSimulator() as sim:
        sim.on_request(check)
        anna = sim.user("Anna")
        keyboard = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton("Ja", callback_data="yes")],
                [InlineKeyboardButton("Web", url="https://example.org")],
            ]
        )
        async with Bot(sim.token, base_url=sim.base_url) as bot:
            await bot.set_my_commands(
                [BotCommand("start", "Loslegen")],
                scope=BotCommandScopeChat(anna.id),
                language_code="de",
            )
            sent = await bot.send_message(
                anna.id,
                "<b>Hallo</b> <a href='https://example.org'>Link</a>",
                parse_mode="HTML",
                reply_markup=keyboard,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
            await bot.edit_message_text(
                "<i>Neu</i>",
                chat_id=anna.id,
                message_id=sent.message_id,
                parse_mode="HTML",
                reply_markup=keyboard,
            )
            await bot.edit_message_reply_markup(anna.id, sent.message_id, reply_markup=None)
            await bot.send_message(anna.id, "Frage", reply_markup=keyboard)
            query_id = await anna.press(anna.messages[-1], "Ja")
            await bot.answer_callback_query(query_id, "Notiert", show_alert=True, cache_time=5)
            await bot.send_document(anna.id, b"a;b", filename="export.csv", caption="Export")
            await bot.send_photo(anna.id, b"\x89PNG", caption="Bild", has_spoiler=True)
            await bot.send_chat_action(anna.id, "upload_document")
            await bot.get_updates(timeout=0, allowed_updates=["message", "callback_query"])
            await bot.delete_message(anna.id, sent.message_id)
        assert {r.method for r in sim.requests} >= {
            "setMyCommands",
            "sendMessage",
            "editMessageText",
            "editMessageReplyMarkup",
            "answerCallbackQuery",
            "sendDocument",
            "sendPhoto",
        }
        assert all(r.ok for r in sim.requests), [r.response for r in sim.requests if not r.ok]
    assert problems == []


async def test_a_bot_gets_30_free_messages_a_second_and_1000_paid_broadcasts_counted_apart():
    # The simulator's clock stands still: every message below lands in one second.
    async with TelegramSimulator(clock=lambda: 100.0) as sim:
        sim.record_requests = False
        members = [sim.user(f"Member {n}") for n in range(1_031)]
        async with Bot(sim.token, base_url=sim.base_url) as bot:
            for member in members[:30]:
                await bot.send_message(member.id, "Hallo")
            with pytest.raises(RetryAfter):
                await bot.send_message(members[30].id, "Eine zu viel")

            # Paid broadcasts ignore the free ceiling, up to 1,000 messages in the second.
            for member in members[30:1_000]:
                await bot.send_message(member.id, "Impuls", allow_paid_broadcast=True)
            with pytest.raises(RetryAfter):
                await bot.send_message(members[1_000].id, "Impuls", allow_paid_broadcast=True)
            with pytest.raises(RetryAfter):
                await bot.send_message(members[1_001].id, "Antwort")

        assert sim.stats.sent_messages == 1_000
        assert sim.stats.paid_messages == 970
        assert sim.stats.too_many_requests == 3
        assert sim.stats.max_free_per_second == 30
        assert sim.stats.max_per_second == 1_000


async def test_a_free_message_still_goes_while_paid_broadcasts_fill_the_second():
    async with TelegramSimulator(clock=lambda: 100.0) as sim:
        members = [sim.user(f"Member {n}") for n in range(60)]
        async with Bot(sim.token, base_url=sim.base_url) as bot:
            for member in members[:50]:
                await bot.send_message(member.id, "Impuls", allow_paid_broadcast=True)
            # The paid ones do not use up the free 30: a member's answer goes at once.
            for member in members[50:]:
                await bot.send_message(member.id, "Antwort")

        assert sim.stats.too_many_requests == 0
        assert (sim.stats.paid_messages, sim.stats.max_free_per_second) == (50, 10)


def test_the_validator_reports_invalid_requests():
    assert validate_request("sendMessage", {"chat_id": "1", "text": "hi"}) == []
    assert validate_request("sendTelepathy", {}) == ["unknown method 'sendTelepathy'"]
    problems = validate_request(
        "sendMessage",
        {
            "chat_id": 1.5,
            "colour": "red",
            "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_dat": "x"}]]},
        },
    )
    assert "sendMessage.chat_id: expected Integer or String, got float 1.5" in problems
    assert "sendMessage: unknown field 'colour'" in problems
    assert "sendMessage: missing required field 'text'" in problems
    assert any("unknown field 'callback_dat'" in p for p in problems)
    assert validate_request("getUpdates", {"timeout": "soon"}) == [
        "getUpdates.timeout: expected Integer, got str 'soon'"
    ]
    assert validate_request("answerCallbackQuery", {"callback_query_id": "1", "show_alert": "yes"})
    assert validate_request("sendDocument", {"chat_id": 1, "document": 5})
    assert validate_request(
        "setMyCommands", {"commands": [{"command": "start"}], "scope": {"type": "chat"}}
    )


def test_a_command_scope_with_a_misspelt_type_is_reported_as_the_member_it_resembles():
    commands = [{"command": "start", "description": "Loslegen"}]

    assert validate_request(
        "setMyCommands", {"commands": commands, "scope": {"type": "chats", "chat_id": 1}}
    ) == ["setMyCommands.scope<BotCommandScopeChat>.type: must be 'chat', got 'chats'"]
    assert (
        validate_request(
            "setMyCommands", {"commands": commands, "scope": '{"type": "chat", "chat_id": 1}'}
        )
        == []
    )


def test_a_type_spelt_with_digits_is_accepted_exactly_as_the_spec_writes_it():
    # "must be mpeg4_gif": reading only letters once made every GIF result invalid.
    gif = {
        "id": "1",
        "mpeg4_url": "https://example.org/a.mp4",
        "thumbnail_url": "https://example.org/a.jpg",
    }

    ok = validate_request(
        "answerInlineQuery", {"inline_query_id": "1", "results": [{"type": "mpeg4_gif", **gif}]}
    )
    wrong = validate_request(
        "answerInlineQuery", {"inline_query_id": "1", "results": [{"type": "mpeg4", **gif}]}
    )

    assert ok == []
    assert wrong == [
        "answerInlineQuery.results[0]<InlineQueryResultMpeg4Gif>.type: "
        "must be 'mpeg4_gif', got 'mpeg4'"
    ]


def test_every_simulated_method_and_parameter_exists_in_the_official_spec():
    spec = load_spec()
    for name, method in METHODS.items():
        assert name in spec.methods, name
        official = spec.methods[name].fields
        assert set(method.params) == {field.name for field in official}, name
        assert method.required == {field.name for field in official if field.required}, name


@pytest.mark.parametrize("method", ["sendMessage", "sendmessage", "SENDMESSAGE"])
def test_method_names_are_found_case_insensitively(method: str):
    assert validate_request(method, {"chat_id": 1, "text": "x"}) == []
