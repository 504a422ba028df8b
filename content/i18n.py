"""Message catalogs (`locales/<lang>.yaml`) and locale-aware formatting of dates and times.

Every string a member reads comes from here under a stable key. Catalog texts are
HTML as Telegram understands it; values filled into them are escaped unless they
are `Markup`.

A text that depends on a number is a mapping of CLDR plural categories ("one",
"other", …, as Babel reads the language's plural rules) to texts with `{count}`, and
optionally "zero", used for a count of 0 in any language ("nie", "not once").
`Catalog.plural` picks the form; no plural is ever built by gluing strings together.
"""

from __future__ import annotations

import html
import string
from collections.abc import Mapping
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Final, Literal
from zoneinfo import ZoneInfo

import yaml
from babel import Locale
from babel.dates import format_date, format_datetime, format_time, get_day_names

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "Catalog",
    "CatalogError",
    "Markup",
    "catalog",
    "check_catalogs",
    "format_local_date",
    "format_local_datetime",
    "format_local_day",
    "format_local_time",
    "language_for",
    "load_date_names",
    "weekday_name",
]

LANGUAGES: Final = ("de", "en")
DEFAULT_LANGUAGE: Final = "de"
LOCALES_DIR: Final = Path(__file__).resolve().parent / "locales"


class CatalogError(Exception):
    """A catalog is missing, malformed, or its languages disagree on keys or placeholders."""


class Markup(str):
    """Text that is already HTML and must not be escaped again."""

    __slots__ = ()


def _escape(value: object) -> str:
    if isinstance(value, Markup):
        return str(value)
    return html.escape(str(value), quote=False)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


_PLURAL_FORMS: Final = frozenset({"zero", "one", "two", "few", "many", "other"})
_Entry = str | dict[str, str]


class Catalog:
    """The messages of one language."""

    def __init__(self, language: str, messages: Mapping[str, _Entry]):
        self.language = language
        self._messages = {k: v for k, v in messages.items() if isinstance(v, str)}
        self._plurals = {k: v for k, v in messages.items() if isinstance(v, dict)}

    def __contains__(self, key: object) -> bool:
        return key in self._messages or key in self._plurals

    def keys(self) -> set[str]:
        """Every key this catalog defines."""
        return set(self._messages) | set(self._plurals)

    def plural(self, key: str, count: int, **values: object) -> Markup:
        """Format plural message `key` for `count` by the language's plural rules."""
        try:
            forms = self._plurals[key]
        except KeyError:
            raise CatalogError(f"{self.language}: no plural message {key!r}") from None
        category = "zero" if count == 0 and "zero" in forms else _plural_form(self.language, count)
        text = forms.get(category, forms["other"])
        filled = {name: self._fill(v) for name, v in {"count": count, **values}.items()}
        return Markup(text.format_map(filled))

    def raw(self, key: str) -> str:
        """The unformatted message."""
        try:
            return self._messages[key]
        except KeyError:
            raise CatalogError(f"{self.language}: no message {key!r}") from None

    def __call__(self, key: str, **values: object) -> Markup:
        """Format message `key`, escaping every value that is not `Markup`.

        A value with a `shown_as` attribute (a stored text that could not be decrypted)
        is shown as that message of this catalog instead.
        """
        text = self.raw(key)
        if not values:
            return Markup(text)
        return Markup(text.format_map({name: self._fill(v) for name, v in values.items()}))

    def _fill(self, value: object) -> str:
        shown_as = getattr(value, "shown_as", None)
        if isinstance(shown_as, str):
            return self.raw(shown_as)
        return _escape(value)


@cache
def _plural_rule(language: str) -> Locale:
    return Locale.parse(language)


def _plural_form(language: str, count: int) -> str:
    return str(_plural_rule(language).plural_form(count))


def _entry(name: str, key: object, text: object) -> _Entry:
    """A text, or a mapping of plural forms (which must include "other")."""
    if isinstance(text, str) and text.strip():
        return text.rstrip("\n")
    if not isinstance(text, dict) or "other" not in text or not set(text) <= _PLURAL_FORMS:
        raise CatalogError(f"{name}: {key} is empty, not text, or not plural forms with 'other'")
    if all(isinstance(form, str) and form.strip() for form in text.values()):
        return {str(form): str(value).rstrip("\n") for form, value in text.items()}
    raise CatalogError(f"{name}: {key} is empty, not text, or not plural forms with 'other'")


def _entry_placeholders(entry: _Entry) -> set[str]:
    if isinstance(entry, str):
        return _placeholders(entry)
    return set().union(*(_placeholders(text) for text in entry.values())) | {"count"}


def _load(path: Path) -> dict[str, _Entry]:
    try:
        # libyaml's parser where PyYAML has it: the same rules, a few times faster.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"{path.name}: cannot be read: {exc}") from None
    if not isinstance(data, dict):
        raise CatalogError(f"{path.name}: must be a mapping of key: text")
    return {str(key): _entry(path.name, key, text) for key, text in data.items()}


# Texts Telegram itself shows, with the most characters it accepts for each (Bot API:
# setMyDescription, setMyShortDescription, BotCommand.description).
TELEGRAM_TEXT_LIMITS: Final = {"bot.description": 512, "bot.short_description": 120}
COMMAND_DESCRIPTION_LIMIT: Final = 256


def _too_long(language: str, messages: dict[str, _Entry]) -> list[str]:
    problems = []
    for key, entry in messages.items():
        limit = TELEGRAM_TEXT_LIMITS.get(key)
        if limit is None and key.startswith("command."):
            limit = COMMAND_DESCRIPTION_LIMIT
        # A plural entry is as long as its longest form.
        text = entry if isinstance(entry, str) else max(entry.values(), key=len, default="")
        if limit is not None and len(text) > limit:
            problems.append(
                f"{language}.yaml: {key} has {len(text)} characters, Telegram allows {limit}"
            )
    return problems


def check_catalogs(directory: Path = LOCALES_DIR) -> list[str]:
    """Every problem with the catalogs: unreadable files, keys or placeholders that differ,
    texts longer than Telegram shows."""
    problems: list[str] = []
    loaded: dict[str, dict[str, _Entry]] = {}
    for language in LANGUAGES:
        try:
            loaded[language] = _load(directory / f"{language}.yaml")
        except CatalogError as exc:
            problems.append(str(exc))
    if len(loaded) < len(LANGUAGES):
        return problems
    for language, messages in loaded.items():
        problems += _too_long(language, messages)
    reference, *others = LANGUAGES
    for other in others:
        for key in sorted(loaded[reference].keys() - loaded[other].keys()):
            problems.append(f"{other}.yaml: {key} is missing (it is in {reference}.yaml)")
        for key in sorted(loaded[other].keys() - loaded[reference].keys()):
            problems.append(f"{reference}.yaml: {key} is missing (it is in {other}.yaml)")
        for key in sorted(loaded[reference].keys() & loaded[other].keys()):
            ref_names = _entry_placeholders(loaded[reference][key])
            other_names = _entry_placeholders(loaded[other][key])
            if ref_names != other_names:
                problems.append(
                    f"{other}.yaml: {key} uses {{{', '.join(sorted(other_names))}}}, "
                    f"{reference}.yaml uses {{{', '.join(sorted(ref_names))}}}"
                )
    return problems


@cache
def catalog(language: str) -> Catalog:
    """The catalog for `language`, falling back to German for unknown languages."""
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    return Catalog(language, _load(LOCALES_DIR / f"{language}.yaml"))


def language_for(telegram_language_code: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """German for `de*`, English for any other known code, `default` when unknown."""
    if not telegram_language_code:
        return default
    return "de" if telegram_language_code.lower().startswith("de") else "en"


def weekday_name(
    weekday: int, language: str, width: Literal["abbreviated", "wide"] = "wide"
) -> str:
    """Weekday 0 = Monday as a word in `language` (e.g. "Montag", "Mon")."""
    return str(get_day_names(width, locale=language)[weekday])


def load_date_names() -> None:
    """Load babel's date names of every language now (15-40 ms each on first use)."""
    for language in LANGUAGES:
        get_day_names("wide", locale=language)
        format_time(datetime(2000, 1, 1), "HH:mm", locale=language)


def format_local_datetime(
    moment: datetime, timezone: str, language: str, *, now: datetime | None
) -> str:
    """A moment as the member reads it: their zone, their language (e.g. "Mo., 30. Nov., 09:00").

    A moment outside the year of `now` (in the member's zone) shows its year
    ("Mi., 1. Dez. 2027, 09:00"). `now` is required; None is for a document read at any
    time later (an export, a report): there every moment shows its year.
    """
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    same_year = now is not None and now.astimezone(zone).year == local.year
    year = "" if same_year else " yyyy"
    pattern = f"EEE, d. MMM{year}, HH:mm" if language == "de" else f"EEE, d MMM{year}, HH:mm"
    return str(format_datetime(local, pattern, locale=language))


def format_local_date(moment: datetime, timezone: str, language: str, *, now: datetime) -> str:
    """The day of a moment in the member's zone and language (e.g. "Mi., 25. Nov."), with
    its year when that is not the year of `now` ("Do., 31. Dez. 2026")."""
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    year = "" if now.astimezone(zone).year == local.year else " yyyy"
    pattern = f"EEE, d. MMM{year}" if language == "de" else f"EEE, d MMM{year}"
    return str(format_date(local.date(), pattern, locale=language))


def format_local_day(
    moment: datetime, timezone: str, language: str, *, now: datetime | None = None
) -> str:
    """The day of a moment, short, as a sentence names it ("3. Nov.", "3 Nov").

    Given `now`, a day outside the member's current year shows its year ("3. Nov. 2025").
    """
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone).date()
    return _day_text(local, language, now is not None and now.astimezone(zone).year != local.year)


@lru_cache(maxsize=1024)
def _day_text(day: date, language: str, with_year: bool) -> str:
    # Babel takes ~50 µs a date; a card lists a few, and members share their days.
    year = " yyyy" if with_year else ""
    pattern = f"d. MMM{year}" if language == "de" else f"d MMM{year}"
    return str(format_date(day, pattern, locale=language))


def format_local_time(moment: datetime, timezone: str, language: str) -> str:
    """Time of day in the member's zone."""
    return str(format_time(moment.astimezone(ZoneInfo(timezone)), "HH:mm", locale=language))
