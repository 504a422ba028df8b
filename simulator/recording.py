"""The request log: every call the bot made, with its decoded parameters and answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["RecordedRequest", "RequestHook"]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One Bot API call as the simulator saw it."""

    method: str
    params: dict[str, Any]
    raw_params: dict[str, Any]
    status: int
    response: dict[str, Any]
    at: float

    @property
    def ok(self) -> bool:
        """Whether the call succeeded."""
        return self.status == 200

    @property
    def result(self) -> Any:
        """The result of a successful call (None otherwise)."""
        return self.response.get("result")


RequestHook = Callable[[RecordedRequest], None]
