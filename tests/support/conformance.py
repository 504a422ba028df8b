"""Every request the bot sent must be one the official Bot API accepts."""

from __future__ import annotations

from simulator import TelegramSimulator
from tests.support.botapi_spec import load_spec

__all__ = ["assert_requests_conform"]


def assert_requests_conform(sim: TelegramSimulator) -> None:
    """Check each recorded request against the official list (`botapi_facts.json`)."""
    spec = load_spec()
    problems = [
        f"{request.method}: {problem}"
        for request in sim.requests
        for problem in spec.validate_request(request.method, request.params)
    ]
    listing = "\n".join(problems)
    assert not problems, f"requests the official {spec.version} would not accept:\n{listing}"
