"""One settings object, read from `NETCOACH_*` environment variables and `.env`."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from storage.crypto import FieldCipher

__all__ = ["TELEGRAM_API_BASE_URL", "Settings", "SettingsError", "load_settings"]

TELEGRAM_API_BASE_URL = "https://api.telegram.org/bot"
_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


class SettingsError(Exception):
    """A setting has a bad value; the message names the variable and says what is wrong."""


class Settings(BaseSettings):
    """Everything an operator can configure."""

    # An empty variable means "not set", as `NETCOACH_X=` lines in .env.example read: an
    # empty token must not start the bot without one, an empty port must not fail start-up.
    model_config = SettingsConfigDict(
        env_prefix="NETCOACH_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
    )

    bot_token: SecretStr | None = None
    api_base_url: str = TELEGRAM_API_BASE_URL
    database_url: str = "sqlite+aiosqlite:///netcoach.db"
    tick_seconds: float = Field(default=15.0, gt=0)
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    encryption_key: SecretStr | None = None
    # Earlier keys, comma-separated: only read (texts not yet rotated), never written with.
    encryption_old_keys: SecretStr | None = None
    default_language: Literal["de", "en"] = "de"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_port: int | None = Field(default=None, ge=1, le=65535)
    # Where the webhook server binds; 0.0.0.0 when a balancer on another host forwards to it.
    webhook_listen: str = "127.0.0.1"
    # GET /healthz and /metrics on this port in every `run` mode (None: not served).
    health_port: int | None = Field(default=None, ge=1, le=65535)
    # Where the health server binds; loopback keeps the metrics off the network.
    health_listen: str = "127.0.0.1"
    # Plain lines for people, or one JSON object per line for log collectors.
    log_format: Literal["text", "json"] = "text"
    max_messages_per_second: float = Field(default=30.0, gt=0)
    # Reflections and closed commitments older than this many days are deleted daily.
    retention_days: int | None = Field(default=None, gt=0)
    # An unfinished draft (a commitment, a broadcast, an open question) is dropped after this.
    draft_days: int = Field(default=3, gt=0)
    # How long a send may stay in flight before another dispatcher takes it over.
    delivery_lease_seconds: float = Field(default=120.0, gt=0)
    # Local hours in which follow-ups and check-ins wait (until the end of the window).
    quiet_hours: str = Field(default="22:00-07:00", pattern=r"^\d{1,2}:\d{2}-\d{1,2}:\d{2}$")
    # Members whose language and open flow this process keeps at hand (0: none). Only
    # when it polls: behind a webhook several processes may share one member's messages.
    member_cache_size: int = Field(default=10_000, ge=0)
    # Fair limits per member: contacts kept, and commitments open at once.
    max_contacts: int = Field(default=500, ge=1, le=100_000)
    max_open_commitments: int = Field(default=100, ge=1, le=10_000)

    @property
    def remembered_members(self) -> int:
        """How many members to keep at hand: none behind a webhook (see `member_cache_size`)."""
        return 0 if self.webhook_url else self.member_cache_size

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.replace(";", ",").split(",")]
            ids = []
            for part in parts:
                if not part:
                    continue
                try:
                    ids.append(int(part))
                except ValueError:
                    raise ValueError(f"{part!r} is not a Telegram user id (an integer)") from None
            return frozenset(ids)
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                f"{value!r} is not a database URL; try sqlite+aiosqlite:///netcoach.db"
            ) from None
        backend = url.get_backend_name()
        if backend not in _ASYNC_DRIVERS:
            raise ValueError(f"unsupported database {backend!r}; use sqlite or postgresql")
        if url.drivername != _ASYNC_DRIVERS[backend]:
            # Accept the plain names operators know and pick the async driver for them.
            url = url.set(drivername=_ASYNC_DRIVERS[backend])
        return url.render_as_string(hide_password=False)

    @field_validator("webhook_secret")
    @classmethod
    def _check_webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's rule for secret_token: 1-256 characters of A-Z, a-z, 0-9, _ and -.
        secret = value.get_secret_value() if value is not None else ""
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ValueError("use 1 to 256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("encryption_old_keys")
    @classmethod
    def _check_old_keys(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is None:
            return None
        try:
            FieldCipher.from_setting(value.get_secret_value())
        except ValueError as problem:
            # The key help names the main variable; these are the old keys.
            raise ValueError(
                str(problem).replace("NETCOACH_ENCRYPTION_KEY must", "each key must")
            ) from None
        main: SecretStr | None = info.data.get("encryption_key")
        if main is None:
            raise ValueError(
                "old keys are only read; set NETCOACH_ENCRYPTION_KEY to the key new texts "
                "are written with"
            )
        try:
            FieldCipher.from_setting(main.get_secret_value(), value.get_secret_value())
        except ValueError as problem:
            if "configured twice" in str(problem):
                raise ValueError(
                    f"{problem}: a key is either NETCOACH_ENCRYPTION_KEY or an old key"
                ) from None
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_log_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("api_base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @property
    def demo_mode(self) -> bool:
        """Without a token `run` starts the local demo instead of polling Telegram."""
        return self.bot_token is None


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning a validation error into one line that names the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        name = "NETCOACH_" + str(error["loc"][0]).upper() if error["loc"] else "NETCOACH_*"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{name}: {message}") from None
