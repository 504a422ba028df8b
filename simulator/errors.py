"""Bot API errors the simulator answers with, shaped like Telegram's."""

from __future__ import annotations

from typing import Any

__all__ = ["ApiError", "bad_request", "error_body"]


class ApiError(Exception):
    """An error answer: HTTP status, Telegram description and optional retry_after."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        """Return the JSON body Telegram sends for this error."""
        return error_body(self.status, self.description, self.retry_after)


def bad_request(detail: str) -> ApiError:
    """Return a 400 error with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {detail}")


def error_body(status: int, description: str, retry_after: int | None = None) -> dict[str, Any]:
    """Build Telegram's error JSON body."""
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return body
