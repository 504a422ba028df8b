"""The simulator over raw HTTP: Telegram's answer shapes, validation, limits and faults."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from simulator import TelegramSimulator

KEYBOARD = {"inline_keyboard": [[{"text": "Ja", "callback_data": "yes"}]]}


@pytest.fixture
async def sim() -> AsyncIterator[TelegramSimulator]:
    async with TelegramSimulator(per_chat_burst=3, global_rate=30.0) as simulator:
        yield simulator


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession, sim: TelegramSimulator, method: str, **params: Any
) -> tuple[int, dict[str, Any]]:
    """POST params as JSON, like many Bot API clients do."""
    async with http.post(sim.api_url + method, json=params) as answer:
        return answer.status, await answer.json()


async def form(
    http: aiohttp.ClientSession, sim: TelegramSimulator, method: str, **params: str
) -> tuple[int, dict[str, Any]]:
    """POST params form-encoded, every value a string, like python-telegram-bot does."""
    async with http.post(sim.api_url + method, data=params) as answer:
        return answer.status, await answer.json()


# -- routing and shapes ---------------------------------------------------------------------


async def test_a_wrong_token_is_unauthorized(sim: TelegramSimulator, http: aiohttp.ClientSession):
    async with http.post(f"{sim.base_url}999:WRONG/getMe") as answer:
        assert answer.status == 401
        assert await answer.json() == {
            "ok": False,
            "error_code": 401,
            "description": "Unauthorized",
        }


async def test_an_unknown_method_is_not_found(sim: TelegramSimulator, http: aiohttp.ClientSession):
    status, body = await call(http, sim, "sendTelepathy")
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})


async def test_method_names_are_case_insensitive_and_get_works_with_a_query_string(
    sim: TelegramSimulator, http: aiohttp.ClientSession
):
    async with http.get(sim.api_url + "GETME") as answer:
        body = await answer.json()
    assert body["ok"] is True
    assert body["result"]["is_bot"] is True
    assert body["result"]["username"] == sim.bot_user["username"]
    assert body["result"]["id"] == 123
    anna = sim.user("Anna")
    async with http.get(
        sim.api_url + "sendMessage", params={"chat_id": anna.id, "text": "hi"}
    ) as a:
        assert (await a.json())["result"]["text"] == "hi"


async def test_a_sent_message_is_a_full_message_object(
    sim: TelegramSimulator, http: aiohttp.ClientSession
):
    anna = sim.user("Anna", language_code="de")
    status, body = await form(
        http,
        sim,
        "sendMessage",
        chat_id=str(anna.id),
        text="<b>Hallo</b> Anna",
        parse_mode="HTML",
        reply_markup=json.dumps(KEYBOARD),
        disable_notification="true",
    )
    assert status == 200
    message = body["result"]
    assert message["message_id"] == 1
    assert isinstance(message["date"], int)
    assert message["chat"] == {"id": anna.id, "type": "private", "first_name": "Anna"}
    assert message["from"] == {
        "id": 123,
        "is_bot": True,
        "first_name": "NetCoach",
        "username": "netcoach_bot",
    }
    assert message["text"] == "Hallo Anna"
    assert message["entities"] == [{"type": "bold", "offset": 0, "length": 5}]
    assert message["reply_markup"] == KEYBOARD
    assert anna.messages[0].html == "<b>Hallo</b> Anna"


async def test_a_multipart_document_keeps_its_bytes_and_name(
    sim: TelegramSimulator, http: aiohttp.ClientSession
):
    anna = sim.user("Anna")
    data = aiohttp.FormData()
    data.add_field("chat_id", str(anna.id))
    data.add_field("caption", "Dein Export")
    data.add_field("document", b'{"journal": []}', filename="export.json")
    async with http.post(sim.api_url + "sendDocument", data=data) as answer:
        body = await answer.json()
    document = body["result"]["document"]
    assert document["file_name"] == "export.json"
    assert document["file_size"] == 15
    assert {"file_id", "file_unique_id"} <= set(document)
    received = await anna.next_message()
    assert received.caption == "Dein Export"
    assert received.document is not None
    assert received.document.data == b'{"journal": []}'
    assert sim.file(document["file_id"]).filename == "export.json"
    recorded = sim.requests_for("sendDocument")[-1]
    assert recorded.params["document"] == {
        "input_file": True,
        "filename": "export.json",
        "size": 15,
    }


async def test_a_file_can_be_attached_by_attach_name_and_resent_by_file_id(
    sim: TelegramSimulator, http: aiohttp.ClientSession
):
    anna = sim.user("Anna")
    data = aiohttp.FormData()
    data.add_field("chat_id", str(anna.id))
    data.add_field("photo", "attach://pic")
    data.add_field("pic", b"\x89PNG fake", filename="pic.png")
    async with http.post(sim.api_url + "sendPhoto", data=data) as answer:
        photo = (await answer.json())["result"]["photo"]
    status, body = await call(http, sim, "sendPhoto", chat_id=anna.id, photo=photo[0]["file_id"])
    assert status == 200
    assert [m.photo.data for m in anna.messages if m.photo] == [b"\x89PNG fake"] * 2
    status, body = await call(http, sim, "sendPhoto", chat_id=anna.id, photo="no-such-file")
    assert (status, body["description"]) == (
        400,
        "Bad Request: wrong file identifier/HTTP URL specified",
    )


# -- what Telegram rejects -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"text": "hi", "colour": "red"}, "Bad Request: unknown parameter colour"),
        ({}, "Bad Request: text is required"),
        ({"text": "   "}, "Bad Request: message text is empty"),
        ({"text": "<b></b>", "parse_mode": "HTML"}, "Bad Request: message text is empty"),
        ({"text": "x" * 4097}, "Bad Request: message is too long"),
        ({"text": "hi", "disable_notification": "maybe"}, None),
        (
            {"text": "hi", "reply_markup": {"inline_keyboard": [[{"text": "A"}]]}},
            "Bad Request: can't parse inline keyboard button: "
            "Text buttons are unallowed in the inline keyboard",
        ),
        (
            {"text": "hi", "reply_markup": {"inline_keyboard": [{"text": "A"}]}},
            None,
        ),
        (
            {
                "text": "hi",
                "reply_markup": {
                    "inline_keyboard": [[{"text": "A", "callback_data": "a", "url": "https://x"}]]
                },
            },
            None,
        ),
        (
            {
                "text": "hi",
                "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "ü" * 33}]]},
            },
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        (
            {"text": "<b>fett", "parse_mode": "HTML"},
            "Bad Request: can't parse entities: "
            'Can\'t find end tag corresponding to start tag "b"',
        ),
        (
            {"text": "a <blink>b</blink>", "parse_mode": "HTML"},
            'Bad Request: can\'t parse entities: Unsupported start tag "blink" at byte offset 2',
        ),
        (
            {"text": "<b>x</i>", "parse_mode": "HTML"},
            "Bad Request: can't parse entities: Unmatched end tag at byte offset 4, "
            'expected "</b>", found "</i>"',
        ),
        (
            {"text": "Punkt.", "parse_mode": "MarkdownV2"},
            "Bad Request: can't parse entities: Character '.' is reserved and must be escaped "
            "with the preceding '\\'",
        ),
    ],
)
async def test_send_message_rejects_what_telegram_rejects(
    sim: TelegramSimulator,
    http: aiohttp.ClientSession,
    params: dict[str, Any],
    description: str | None,
):
    anna = sim.user("Anna")
    status, body = await call(http, sim, "sendMessage", chat_id=anna.id, **params)
    assert status == 400
    assert body["ok"] is False
    assert body["error_code"] == 400
    assert body["description"].startswith("Bad Request: ")
    if description is not None:
        assert body["description"] == description
    assert anna.messages == []


async def test_text_of_exactly_4096_characters_is_accepted(
    sim: TelegramSimulator, http: aiohttp.ClientSession
):
    anna = sim.user("Anna")
    status, _ = await call(http, sim, "sendMessage", chat_id=anna.id, text="x" * 4096)
    assert status == 200


async def test_an_unknown_chat_is_not_found(sim: TelegramSimulator, http: aiohttp.ClientSession):
    status, body = await call(http, sim, "sendMessage", chat_id=424242, text="hi")
    assert (status, body["description"]) == (400, "Bad Request: chat not found")


async def test_editing_follows_telegrams_rules(sim: TelegramSimulator, http: aiohttp.ClientSession):
    anna = sim.user("Anna")
    _, sent = await call(
        http, sim, "sendMessage", chat_id=anna.id, text="Frage?", reply_markup=KEYBOARD
    )
    message_id = sent["result"]["message_id"]
    status, body = await call(
        http, sim, "editMessageText", chat_id=anna.id, message_id=99, text="x"
    )
    assert (status, body["description"]) == (400, "Bad Request: message to edit not found")
    status, body = await call(
        http,
        sim,
        "editMessageText",
        chat_id=anna.id,
        message_id=message_id,
        text="Frage?",
        reply_markup=KEYBOARD,
    )
    assert status == 400
    assert body["description"].startswith("Bad Request: message is not modified: ")
    status, body = await call(
        http, sim, "editMessageText", chat_id=anna.id, message_id=message_id, text="Danke!"
    )
    assert status == 200
    assert body["result"]["text"] == "Danke!"
    assert "edit_date" in body["result"]
    assert "reply_markup" not in body["result"]  # editing text without markup drops the keyboard
    status, body = await call(
        http,
        sim,
        "editMessageReplyMarkup",
        chat_id=anna.id,
        message_id=message_id,
        reply_markup=KEYBOARD,
    )
    assert status == 200
    [shown] = anna.messages
    assert (shown.text, shown.edited, shown.buttons) == ("Danke!", True, [("Ja", "yes")])
    kinds = [event.kind for event in anna.events]
    assert kinds == ["message", "edit", "edit"]


async def test_deleting_removes_the_message_from_the_chat(
    sim: TelegramSimulator, http: aiohttp.ClientSession
):
    anna = sim.user("Anna")
    _, sent = await call(http, sim, "sendMessage", chat_id=anna.id, text="weg damit")
    message_id = sent["result"]["message_id"]
    assert (await call(http, sim, "deleteMessage", chat_id=anna.id, message_id=message_id))[1] == {
        "ok": True,
        "result": True,
    }
    status, body = await call(http, sim, "deleteMessage", chat_id=anna.id, message_id=message_id)
    assert (status, body["description"]) == (400, "Bad Request: message to delete not found")
    assert anna.messages == []


async def test_a_button_press_reaches_the_bot_and_is_answered_once(
    sim: TelegramSimulator, http: aiohttp.ClientSession
):
    anna = sim.user("Anna")
    await call(http, sim, "sendMessage", chat_id=anna.id, text="Bereit?", reply_markup=KEYBOARD)
    question = await anna.next_message()
    query_id = await anna.press(question, "Ja")
    _, updates = await call(http, sim, "getUpdates")
    callback = updates["result"][-1]["callback_query"]
    assert callback["id"] == query_id
    assert callback["data"] == "yes"
    assert callback["from"]["first_name"] == "Anna"
    assert callback["message"]["text"] == "Bereit?"
    assert callback["message"]["reply_markup"] == KEYBOARD
    assert "chat_instance" in callback
    status, body = await call(
        http, sim, "answerCallbackQuery", callback_query_id=query_id, text="x" * 201
    )
    assert (status, body["description"]) == (400, "Bad Request: MESSAGE_TOO_LONG")
    status, _ = await call(
        http, sim, "answerCallbackQuery", callback_query_id=query_id, text="Notiert"
    )
    assert status == 200
    assert [a.text for a in anna.callback_answers] == ["Notiert"]
    status, body = await call(http, sim, "answerCallbackQuery", callback_query_id=query_id)
    assert status == 400
    assert "query is too old" in body["description"]


async def test_pressing_a_missing_button_says_which_buttons_exist(
    sim: TelegramSimulator, http: aiohttp.ClientSession
):
    anna = sim.user("Anna")
    await call(http, sim, "sendMessage", chat_id=anna.id, text="?", reply_markup=KEYBOARD)
    question = await anna.next_message()
    with pytest.raises(LookupError, match=r"no button 'Nein'; buttons: \['Ja'\]"):
        await anna.press(question, "Nein")
    assert await anna.press(question, (0, 0))
    assert await anna.press(question, 0)
    assert await anna.press(question, data="yes")


# -- updates: long polling and webhook --------------------------------------------------------


async def test_user_messages_become_full_updates_confirmed_by_offset(
    sim: TelegramSimulator, http: aiohttp.ClientSession
):
    anna = sim.user("Anna", language_code="de")
    await anna.send("/start hallo")
    await anna.send_location(52.52, 13.40)
    _, body = await call(http, sim, "getUpdates")
    first, second = body["result"]
    assert second["update_id"] == first["update_id"] + 1
    message = first["message"]
    assert message["from"] == {
        "id": anna.id,
        "is_bot": False,
        "first_name": "Anna",
        "language_code": "de",
    }
    assert message["chat"] == {"id": anna.id, "type": "private", "first_name": "Anna"}
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert second["message"]["location"] == {"latitude": 52.52, "longitude": 13.40}
    _, body = await call(http, sim, "getUpdates", offset=second["update_id"])
    assert [u["update_id"] for u in body["result"]] == [second["update_id"]]
    _, body = await call(http, sim, "getUpdates", offset=second["update_id"] + 1)
    assert body["result"] == []


async def test_a_long_poll_returns_as_soon_as_a_user_writes(
    sim: TelegramSimulator, http: aiohttp.ClientSession
):
    anna = sim.user("Anna")
    poll = asyncio.create_task(call(http, sim, "getUpdates", timeout=5))
    await asyncio.sleep(0.05)
    assert not poll.done()
    await anna.send("Hallo?")
    status, body = await asyncio.wait_for(poll, 1.0)
    assert status == 200
    assert body["result"][0]["message"]["text"] == "Hallo?"


async def test_a_second_poller_terminates_the_waiting_one_with_409(
    sim: TelegramSimulator, http: aiohttp.ClientSession
):
    first = asyncio.create_task(call(http, sim, "getUpdates", timeout=5))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(call(http, sim, "getUpdates", timeout=0))
    status, body = await asyncio.wait_for(first, 1.0)
    assert status == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")
    assert (await second)[0] == 200


async def test_allowed_updates_filters_what_the_bot_gets(
    sim: TelegramSimulator, http: aiohttp.ClientSession
):
    anna = sim.user("Anna")
    await call(http, sim, "getUpdates", allowed_updates=["callback_query"])
    await anna.send("ignored")
    _, body = await call(http, sim, "getUpdates")
    assert body["result"] == []


async def test_webhook_delivery_carries_the_secret_and_blocks_polling(
    sim: TelegramSimulator, http: aiohttp.ClientSession
):
    received: list[tuple[str | None, dict[str, Any]]] = []
    failures_left = 1

    async def hook(request: web.Request) -> web.Response:
        nonlocal failures_left
        if failures_left:
            failures_left -= 1
            return web.Response(status=500)
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        status, _ = await call(
            http, sim, "setWebhook", url=f"http://127.0.0.1:{port}/hook", secret_token="s3cr3t"
        )
        assert status == 200
        status, body = await call(http, sim, "getUpdates")
        assert status == 409
        assert "webhook is active" in body["description"]
        anna = sim.user("Anna")
        await anna.send("per Webhook")
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.02)
        [(secret, update)] = received
        assert secret == "s3cr3t"
        assert update["message"]["text"] == "per Webhook"
        assert [d.status for d in sim.webhook_deliveries] == [500, 200]
        _, info = await call(http, sim, "getWebhookInfo")
        assert info["result"]["url"].endswith("/hook")
        assert info["result"]["pending_update_count"] == 0
        assert "last_error_message" in info["result"]
        await call(http, sim, "deleteWebhook")
        assert (await call(http, sim, "getUpdates"))[0] == 200
    finally:
        await runner.cleanup()


# -- rate limits, blocking, faults ---------------------------------------------------------


async def test_a_chat_gets_a_short_burst_then_429_with_retry_after(
    sim: TelegramSimulator, http: aiohttp.ClientSession
):
    anna = sim.user("Anna")
    statuses = [
        (await call(http, sim, "sendMessage", chat_id=anna.id, text=f"{i}"))[0] for i in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    status, body = await call(http, sim, "sendMessage", chat_id=anna.id, text="again")
    assert status == 429
    assert body["parameters"]["retry_after"] >= 1
    assert (
        body["description"] == f"Too Many Requests: retry after {body['parameters']['retry_after']}"
    )
    assert len(anna.messages) == 3
    assert sim.stats.too_many_requests == 2
    # Edits, answers and chat actions do not count against the limit.
    assert (await call(http, sim, "sendChatAction", chat_id=anna.id, action="typing"))[0] == 200
    edit = await call(http, sim, "editMessageText", chat_id=anna.id, message_id=1, text="neu")
    assert edit[0] == 200


async def test_the_global_ceiling_holds_across_chats(http: aiohttp.ClientSession):
    async with TelegramSimulator(global_rate=5) as sim:
        users = [sim.user(f"U{i}") for i in range(8)]
        statuses = [
            (await call(http, sim, "sendMessage", chat_id=u.id, text="hi"))[0] for u in users
        ]
        assert statuses == [200] * 5 + [429] * 3
        assert sim.stats.max_per_second == 5


async def test_the_per_chat_bucket_refills_at_one_message_per_second(http: aiohttp.ClientSession):
    now = [1000.0]
    async with TelegramSimulator(per_chat_burst=1, clock=lambda: now[0]) as sim:
        anna = sim.user("Anna")
        assert (await call(http, sim, "sendMessage", chat_id=anna.id, text="1"))[0] == 200
        status, body = await call(http, sim, "sendMessage", chat_id=anna.id, text="2")
        assert (status, body["parameters"]["retry_after"]) == (429, 1)
        now[0] += 1.0
        assert (await call(http, sim, "sendMessage", chat_id=anna.id, text="3"))[0] == 200


async def test_limits_can_be_switched_off(http: aiohttp.ClientSession):
    async with TelegramSimulator(enforce_limits=False, record_requests=False) as sim:
        anna = sim.user("Anna")
        for i in range(50):
            assert (await call(http, sim, "sendMessage", chat_id=anna.id, text=str(i)))[0] == 200
        assert sim.requests == []
        assert sim.stats.sent_messages == 50
        assert sim.stats.max_per_second_per_chat == 50


async def test_a_user_who_blocked_the_bot_makes_sends_fail_with_403(
    sim: TelegramSimulator, http: aiohttp.ClientSession
):
    anna = sim.user("Anna")
    anna.block()
    status, body = await call(http, sim, "sendMessage", chat_id=anna.id, text="Hallo?")
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")
    assert sim.stats.forbidden == 1
    _, updates = await call(http, sim, "getUpdates")
    member = updates["result"][-1]["my_chat_member"]
    assert member["new_chat_member"]["status"] == "kicked"
    assert member["old_chat_member"]["status"] == "member"
    anna.unblock()
    assert (await call(http, sim, "sendMessage", chat_id=anna.id, text="Wieder da"))[0] == 200


async def test_injected_failures_deliver_nothing_and_then_stop(
    sim: TelegramSimulator, http: aiohttp.ClientSession
):
    anna = sim.user("Anna")
    sim.faults.fail_next(2, status=502, method="sendMessage")
    assert (await call(http, sim, "getMe"))[0] == 200
    status, body = await call(http, sim, "sendMessage", chat_id=anna.id, text="1")
    assert (status, body["description"]) == (502, "Bad Gateway")
    assert (await call(http, sim, "sendMessage", chat_id=anna.id, text="2"))[0] == 502
    assert (await call(http, sim, "sendMessage", chat_id=anna.id, text="3"))[0] == 200
    assert [m.text for m in anna.messages] == ["3"]
    assert sim.stats.server_errors == 2


async def test_a_429_storm_and_a_seeded_error_rate(
    sim: TelegramSimulator, http: aiohttp.ClientSession
):
    anna = sim.user("Anna")
    sim.enforce_limits = False
    sim.faults.rate_limit_storm(2, retry_after=7)
    status, body = await call(http, sim, "sendMessage", chat_id=anna.id, text="1")
    assert (status, body["parameters"]) == (429, {"retry_after": 7})
    assert (await call(http, sim, "sendChatAction", chat_id=anna.id, action="typing"))[0] == 200
    assert (await call(http, sim, "sendMessage", chat_id=anna.id, text="2"))[0] == 429
    assert (await call(http, sim, "sendMessage", chat_id=anna.id, text="3"))[0] == 200

    async def run() -> list[int]:
        sim.faults.set_error_rate(0.5, seed=42)
        return [(await call(http, sim, "getMe"))[0] for _ in range(20)]

    first, second = await run(), await run()
    assert first == second
    assert 200 in first
    assert 500 in first
    sim.faults.clear()


async def test_a_slow_method_answers_late(sim: TelegramSimulator, http: aiohttp.ClientSession):
    sim.faults.set_delay(0.2, methods="getMe")
    loop = asyncio.get_running_loop()
    started = loop.time()
    await call(http, sim, "getMe")
    assert loop.time() - started >= 0.2
    started = loop.time()
    await call(http, sim, "getWebhookInfo")
    assert loop.time() - started < 0.2


async def test_every_request_is_recorded_and_hooks_see_it(
    sim: TelegramSimulator, http: aiohttp.ClientSession
):
    seen: list[str] = []
    remove = sim.on_request(lambda request: seen.append(request.method))
    anna = sim.user("Anna")
    await form(http, sim, "sendMessage", chat_id=str(anna.id), text="hi")
    await call(http, sim, "sendMessage", chat_id=anna.id, text="hi", bogus=1)
    remove()
    await call(http, sim, "getMe")
    assert seen == ["sendMessage", "sendMessage"]
    ok, bad = sim.requests_for("sendMessage")
    assert ok.params == {"chat_id": anna.id, "text": "hi"}
    assert ok.raw_params == {"chat_id": str(anna.id), "text": "hi"}
    assert (ok.status, ok.result["text"]) == (200, "hi")
    assert (bad.status, bad.response["description"]) == (
        400,
        "Bad Request: unknown parameter bogus",
    )
    assert sim.stats.per_method["sendMessage"] == 2


async def test_commands_are_stored_per_scope_and_language(
    sim: TelegramSimulator, http: aiohttp.ClientSession
):
    commands = [{"command": "start", "description": "Los geht's"}]
    scope = {"type": "all_private_chats"}
    await call(http, sim, "setMyCommands", commands=commands, scope=scope, language_code="de")
    assert (await call(http, sim, "getMyCommands", scope=scope, language_code="de"))[1][
        "result"
    ] == commands
    assert (await call(http, sim, "getMyCommands"))[1]["result"] == []
    assert sim.commands(scope, "de") == commands
    status, body = await call(
        http, sim, "setMyCommands", commands=[{"command": "Start!", "description": "x"}]
    )
    assert (status, body["description"]) == (400, "Bad Request: BOT_COMMAND_INVALID")
    await call(http, sim, "deleteMyCommands", scope=scope, language_code="de")
    assert sim.commands(scope, "de") == []


async def test_a_group_member_talks_and_the_bot_answers_in_the_group(
    sim: TelegramSimulator, http: aiohttp.ClientSession
):
    anna, ben = sim.user("Anna"), sim.user("Ben")
    group = sim.group("Stammtisch", members=[anna, ben])
    await group.send(ben, "/start@netcoach_bot")
    _, body = await call(http, sim, "getUpdates")
    message = body["result"][-1]["message"]
    assert message["chat"] == {"id": group.chat_id, "type": "group", "title": "Stammtisch"}
    assert message["from"]["id"] == ben.id
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 19}]
    await call(http, sim, "sendMessage", chat_id=group.chat_id, text="Bitte privat schreiben")
    assert (await group.next_message()).text == "Bitte privat schreiben"
    assert anna.messages == []


async def test_injected_raw_updates_arrive_unchanged(
    sim: TelegramSimulator, http: aiohttp.ClientSession
):
    update_id = sim.inject_update({"channel_post": {"message_id": 1, "weird": True}})
    _, body = await call(http, sim, "getUpdates")
    assert body["result"] == [
        {"update_id": update_id, "channel_post": {"message_id": 1, "weird": True}}
    ]


async def test_waiting_for_a_message_that_never_comes_explains_what_did(
    sim: TelegramSimulator, http: aiohttp.ClientSession
):
    anna = sim.user("Anna")
    await call(http, sim, "sendMessage", chat_id=anna.id, text="Erste Nachricht")
    await anna.next_message()
    await call(http, sim, "sendMessage", chat_id=anna.id, text="x" * 5000)
    with pytest.raises(TimeoutError) as caught:
        await anna.next_message(timeout=0.05)
    text = str(caught.value)
    assert "Anna" in text
    assert "Erste Nachricht" in text
    assert "message is too long" in text


async def test_a_bot_removed_from_a_group_cannot_post_there(
    sim: TelegramSimulator, http: aiohttp.ClientSession
):
    anna = sim.user("Anna")
    group = sim.group("Stammtisch", members=[anna])
    group.add_bot()
    assert (await call(http, sim, "sendMessage", chat_id=group.chat_id, text="Hallo"))[0] == 200
    group.remove_bot(by=anna)
    status, body = await call(http, sim, "sendMessage", chat_id=group.chat_id, text="Hallo?")
    assert (status, body["description"]) == (403, "Forbidden: bot was kicked from the group chat")
    _, updates = await call(http, sim, "getUpdates")
    statuses = [u["my_chat_member"]["new_chat_member"]["status"] for u in updates["result"]]
    assert statuses == ["member", "kicked"]
    assert updates["result"][-1]["my_chat_member"]["from"]["id"] == anna.id
