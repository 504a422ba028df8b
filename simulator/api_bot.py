"""Bot API methods about the bot itself: identity, updates, webhook, commands, session."""

from __future__ import annotations

import re
from typing import Any

from simulator.core import SimulatorCore
from simulator.errors import ApiError, bad_request
from simulator.params import Params
from simulator.state import command_scope_key
from simulator.webhook import WebhookConfig

__all__ = [
    "close",
    "delete_my_commands",
    "delete_webhook",
    "get_me",
    "get_my_commands",
    "get_updates",
    "get_webhook_info",
    "log_out",
    "set_my_commands",
    "set_webhook",
]

_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_LANGUAGE = re.compile(r"^([a-z]{2})?$")
_SCOPES = {
    "default": (),
    "all_private_chats": (),
    "all_group_chats": (),
    "all_chat_administrators": (),
    "chat": ("chat_id",),
    "chat_administrators": ("chat_id",),
    "chat_member": ("chat_id", "user_id"),
}


async def get_me(core: SimulatorCore, p: Params) -> Any:
    """getMe."""
    return {
        **core.state.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def log_out(core: SimulatorCore, p: Params) -> Any:
    """logOut."""
    return True


async def close(core: SimulatorCore, p: Params) -> Any:
    """close."""
    return True


async def get_updates(core: SimulatorCore, p: Params) -> Any:
    """getUpdates with long polling."""
    if core.webhook.config is not None:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    core.updates.set_allowed(p.json_array("allowed_updates"))
    limit = p.integer("limit") or 100
    timeout = p.integer("timeout") or 0
    return await core.updates.get_updates(
        p.integer("offset"), min(max(limit, 1), 100), min(max(timeout, 0), 600)
    )


async def set_webhook(core: SimulatorCore, p: Params) -> Any:
    """setWebhook; an empty url removes the webhook."""
    url = p.string("url") or ""
    if not url:
        return await delete_webhook(core, p)
    if not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = p.string("secret_token")
    if secret is not None and not _SECRET.match(secret):
        raise bad_request("secret token contains unallowed characters")
    max_connections = p.integer("max_connections") or 40
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    if p.boolean("drop_pending_updates"):
        core.updates.drop_all()
    allowed = p.json_array("allowed_updates")
    core.updates.set_allowed(allowed)
    config = WebhookConfig(url, secret, max_connections, p.string("ip_address"), allowed)
    core.webhook.configure(config)
    return True


async def delete_webhook(core: SimulatorCore, p: Params) -> Any:
    """deleteWebhook."""
    if p.boolean("drop_pending_updates"):
        core.updates.drop_all()
    core.webhook.configure(None)
    return True


async def get_webhook_info(core: SimulatorCore, p: Params) -> Any:
    """getWebhookInfo."""
    config = core.webhook.config
    info: dict[str, Any] = {
        "url": config.url if config else "",
        "has_custom_certificate": False,
        "pending_update_count": core.updates.pending_count,
    }
    if config is not None:
        info["max_connections"] = config.max_connections
        if config.ip_address:
            info["ip_address"] = config.ip_address
        if config.allowed_updates is not None:
            info["allowed_updates"] = config.allowed_updates
        if config.last_error_date is not None:
            info["last_error_date"] = config.last_error_date
            info["last_error_message"] = config.last_error_message
    return info


def _scope_key(core: SimulatorCore, p: Params) -> str:
    scope = p.json_object("scope")
    if scope is not None:
        needed = _SCOPES.get(str(scope.get("type")))
        if needed is None:
            raise bad_request("wrong parameter scope type")
        for name in needed:
            if name not in scope:
                raise bad_request(f"{name} is required in scope {scope['type']}")
        if "chat_id" in needed and not _known_chat(core, scope["chat_id"]):
            raise bad_request("chat not found")  # a user who never wrote to the bot
    return command_scope_key(scope, _language(p))


async def set_my_commands(core: SimulatorCore, p: Params) -> Any:
    """setMyCommands, stored per scope and language."""
    commands = p.json_array("commands") or []
    if len(commands) > 100:
        raise bad_request("too many commands specified")
    stored: list[dict[str, Any]] = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand: an Object expected")
        command, description = item.get("command"), item.get("description")
        if not isinstance(command, str) or not _COMMAND.match(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        stored.append({"command": command, "description": description})
    key = _scope_key(core, p)
    if stored:
        core.state.commands[key] = stored
    else:
        core.state.commands.pop(key, None)
    return True


async def get_my_commands(core: SimulatorCore, p: Params) -> Any:
    """getMyCommands for exactly the given scope and language."""
    return core.state.commands.get(_scope_key(core, p), [])


async def delete_my_commands(core: SimulatorCore, p: Params) -> Any:
    """deleteMyCommands."""
    core.state.commands.pop(_scope_key(core, p), None)
    return True


# The longest description and short description Telegram accepts (Bot API: 0-512, 0-120).
DESCRIPTION_LIMIT = 512
SHORT_DESCRIPTION_LIMIT = 120


def _language(p: Params) -> str:
    language = p.string("language_code")
    if language is not None and not _LANGUAGE.match(language):
        raise bad_request("invalid language code specified")
    return language or ""


def _set_text(store: dict[str, str], language: str, text: str, limit: int, what: str) -> bool:
    if len(text) > limit:
        raise bad_request(f"{what} is too long")
    if text:
        store[language] = text
    else:
        store.pop(language, None)  # an empty text removes the one for this language
    return True


async def set_my_description(core: SimulatorCore, p: Params) -> Any:
    """setMyDescription: the text of the empty chat before Start, per language."""
    text = p.string("description") or ""
    return _set_text(core.state.descriptions, _language(p), text, DESCRIPTION_LIMIT, "description")


async def get_my_description(core: SimulatorCore, p: Params) -> Any:
    """getMyDescription for exactly the given language."""
    return {"description": core.state.descriptions.get(_language(p), "")}


async def set_my_short_description(core: SimulatorCore, p: Params) -> Any:
    """setMyShortDescription: the profile page's text and a shared link's preview."""
    text = p.string("short_description") or ""
    return _set_text(
        core.state.short_descriptions,
        _language(p),
        text,
        SHORT_DESCRIPTION_LIMIT,
        "short description",
    )


async def get_my_short_description(core: SimulatorCore, p: Params) -> Any:
    """getMyShortDescription for exactly the given language."""
    return {"short_description": core.state.short_descriptions.get(_language(p), "")}


def _known_chat(core: SimulatorCore, chat_id: object) -> bool:
    if isinstance(chat_id, str) and chat_id.startswith("@"):
        return chat_id[1:] in core.state.usernames
    try:
        return int(chat_id) in core.state.chats  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False
