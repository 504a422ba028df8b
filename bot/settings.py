"""One settings object, read from `NETCOACH_*` environment variables and `.env`."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.domain.quiet_hours import parse_quiet_hours
from storage.crypto import FieldCipher

__all__ = [
    "MAX_NETWORKS",
    "NETWORK_CODE",
    "TELEGRAM_API_BASE_URL",
    "Settings",
    "SettingsError",
    "load_settings",
]

TELEGRAM_API_BASE_URL = "https://api.telegram.org/bot"
_TELEGRAM_API_HOST = "api.telegram.org"
# The only ports Telegram's own servers post webhooks to.
_TELEGRAM_WEBHOOK_PORTS = (443, 80, 88, 8443)
_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
_BOT_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")
# What Telegram passes on from a t.me/<bot>?start=<code> link (the /start parameter).
NETWORK_CODE_LENGTH = 64
MAX_NETWORKS = 40
NETWORK_CODE = re.compile(rf"[A-Za-z0-9_-]{{1,{NETWORK_CODE_LENGTH}}}")
# What Telegram allows in secret_token; 32 characters make guessing hopeless.
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{32,256}")
_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})*")


class SettingsError(Exception):
    """Settings with bad values; each of `problems` names a variable and says what is wrong."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


def _is_local_host(host: str) -> bool:
    """Loopback, a private address or a one-word name (a container or host next to this one)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host
    return address.is_loopback or address.is_private


def _host_of(value: str, *, schemes: tuple[str, ...]) -> str:
    """The host of an absolute URL with one of `schemes`; ValueError naming what is wrong."""
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.hostname:
        wanted = " or ".join(f"{scheme}://" for scheme in schemes)
        raise ValueError(f"{value!r} is not a {wanted} URL with a host")
    try:
        parts.port  # noqa: B018  # raises on a port that is not a number in 0-65535
    except ValueError:
        raise ValueError(f"{value!r} has a port that is not a number from 1 to 65535") from None
    return parts.hostname


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
    # Ticks are cheap but not free; an hour is as late as a due prompt may go out.
    tick_seconds: float = Field(default=15.0, ge=0.1, le=3600)
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    # Networks whose invite links (t.me/<bot>?start=<code>) are recorded on a member, for
    # counts per network in /stats and the report; any other start code is ignored.
    networks: Annotated[frozenset[str], NoDecode] = frozenset()
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
    # Telegram's paid broadcasts go up to 1,000 messages a second; nothing goes faster.
    max_messages_per_second: float = Field(default=30.0, gt=0, le=1000)
    # Weekly prompts (and operator broadcasts) go as paid broadcasts, up to 1,000 a second
    # for all messages together; the rest stays under the free ceiling above. Telegram
    # charges the bot's Stars balance for each paid message.
    paid_broadcast: bool = False
    # Reflections and closed commitments older than this many days are deleted daily
    # (at most a century: beyond that the cut-off date is not a date any more).
    retention_days: int | None = Field(default=None, gt=0, le=36_500)
    # An unfinished draft (a commitment, a broadcast, an open question) is dropped after this.
    draft_days: int = Field(default=3, gt=0, le=3650)
    # How long a send may stay in flight before another dispatcher takes it over.
    delivery_lease_seconds: float = Field(default=120.0, ge=1, le=86_400)
    # Local hours in which follow-ups and check-ins wait (until the end of the window).
    quiet_hours: str = "22:00-07:00"
    # What falls due for a member within this many minutes goes out as one digest (0: off,
    # each delivery its own message). Rows are made this far ahead; four hours at most.
    digest_window_minutes: int = Field(default=30, ge=0, le=240)
    # Members whose language and open flow this process keeps at hand (0: none). Only
    # when it polls: behind a webhook several processes may share one member's messages.
    member_cache_size: int = Field(default=10_000, ge=0, le=10_000_000)
    # Fair limits per member: contacts kept, and commitments open at once.
    max_contacts: int = Field(default=500, ge=1, le=100_000)
    max_open_commitments: int = Field(default=100, ge=1, le=10_000)
    # Files the bot builds for itself (the city index); None: the user's cache directory.
    cache_dir: Path | None = None

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
                if ids[-1] <= 0:
                    # Negative ids are groups and channels, which cannot be admins.
                    raise ValueError(f"{part!r} is not a Telegram user id (a positive integer)")
            return frozenset(ids)
        return value

    @field_validator("networks", mode="before")
    @classmethod
    def _split_networks(cls, value: object) -> object:
        if isinstance(value, str):
            codes = [part.strip() for part in value.split(",") if part.strip()]
            if len(codes) > MAX_NETWORKS:
                raise ValueError(
                    f"{len(codes)} network codes; at most {MAX_NETWORKS} (one bot for more "
                    "networks than that is more than /stats can show)"
                )
            for code in codes:
                if not NETWORK_CODE.fullmatch(code):
                    raise ValueError(
                        f"{code[:70]!r} is not a network code (1 to {NETWORK_CODE_LENGTH} "
                        "letters A-Z a-z, digits, _ and -, as Telegram allows after ?start=)"
                    )
            return frozenset(codes)
        return value

    @field_validator("bot_token")
    @classmethod
    def _check_bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        # Never quote the value: it is a secret even when it is mistyped.
        if value is not None and not _BOT_TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError(
                "not a bot token (digits, a colon, then letters, digits, _ and -; "
                "copy it again from @BotFather, without spaces or quotes)"
            )
        return value

    @field_validator("encryption_key")
    @classmethod
    def _check_encryption_key(cls, value: SecretStr | None) -> SecretStr | None:
        # The very parser the bot encrypts with, so what passes here works there.
        if value is not None:
            try:
                FieldCipher.from_setting(value.get_secret_value())
            except ValueError as problem:
                raise ValueError(str(problem).removeprefix("NETCOACH_ENCRYPTION_KEY ")) from None
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _check_quiet_hours(cls, value: str) -> str:
        # The domain's own parser: one definition of what quiet hours may be.
        parse_quiet_hours(value)
        return value.strip()

    @field_validator("webhook_listen", "health_listen")
    @classmethod
    def _check_listen_address(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if not _HOST_NAME.fullmatch(value):
                raise ValueError(
                    f"{value!r} is not an address to listen on (e.g. 127.0.0.1 or 0.0.0.0)"
                ) from None
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
        # Telegram allows 1-256 characters of A-Z, a-z, 0-9, _ and -; fewer than 32 can be
        # guessed by whoever finds the webhook's address.
        if value is not None and not _WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError(
                "use 32 to 256 characters of A-Z, a-z, 0-9, _ and - (e.g. `openssl rand -hex 32`)"
            )
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
        host = _host_of(value, schemes=("https", "http"))
        if value.startswith("http://") and not _is_local_host(host):
            # The token is part of every request's URL: only https may carry it afar.
            raise ValueError(
                f"{value!r} would send the bot token unencrypted; use https:// "
                "(plain http only to a Bot API server on this host or the local network)"
            )
        return value

    @field_validator("webhook_url")
    @classmethod
    def _check_webhook_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        host = _host_of(value, schemes=("https", "http"))
        if value.startswith("http://") and not _is_local_host(host):
            raise ValueError(
                f"{value!r} is not https://; Telegram only posts to https "
                "(plain http only to this host or the local network, for a local Bot API server)"
            )
        api = info.data.get("api_base_url")
        if api is not None and urlsplit(api).hostname == _TELEGRAM_API_HOST:
            parts = urlsplit(value)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            if parts.scheme != "https" or _is_local_host(host):
                raise ValueError(
                    f"{value!r} cannot be reached by Telegram; give the public https:// address"
                )
            if port not in _TELEGRAM_WEBHOOK_PORTS:
                raise ValueError(
                    f"Telegram only posts to ports 443, 80, 88 and 8443, not {port} "
                    "(NETCOACH_WEBHOOK_PORT may differ behind a proxy)"
                )
        return value

    @property
    def demo_mode(self) -> bool:
        """Without a token `run` starts the local demo instead of polling Telegram."""
        return self.bot_token is None


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning validation errors into one line per variable, named."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems: dict[str, str] = {}
        for error in exc.errors():
            name = "NETCOACH_" + str(error["loc"][0]).upper() if error["loc"] else "NETCOACH_*"
            message = str(error["msg"]).removeprefix("Value error, ")
            # The first complaint per variable (a union type may add a second about None).
            problems.setdefault(name, f"{name}: {message}")
        raise SettingsError(list(problems.values())) from None
