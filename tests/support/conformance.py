"""Every request the bot sent must be one the official Bot API accepts."""

from __future__ import annotations

from simulator import TelegramSimulator
from tests.support.botapi_spec import validate_request

__all__ = ["assert_requests_conform"]


def assert_requests_conform(sim: TelegramSimulator) -> None:
    """Check each recorded request against `../shared/telegram-bot-api/api.json`."""
    problems = [
        f"{request.method}: {problem}"
        for request in sim.requests
        for problem in validate_request(request.method, request.params)
    ]
    assert not problems, "requests the official Bot API would not accept:\n" + "\n".join(problems)
