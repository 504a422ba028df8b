"""Curriculum cards: one YAML file per card in `content/cards/`, loaded and validated here.

A card file looks like this (every language block has the same four fields)::

    key: principle-trust          # stable slug; by convention also the file name
    kind: principle               # intro | principle | rule
    order: 20                     # position in the first round (intro comes first anyway)
    theme: trust                  # concept tag, for counting coverage
    source: "Pluspunkte – Networking ist Beziehungsarbeit"
    memory: commitments           # optional: the card lists the member's open commitments
                                  # ("commitments") or contacts overdue for a check-in
                                  # ("check-ins") under its question
    de:
      title: "..."                # at most 64 characters
      explanation: "..."          # 2-4 sentences in our own words
      questions: ["...", ...]     # 6-12 reflection questions, each ending in "?", at most
                                  # 200 characters
      actions: ["...", ...]       # 6-8 commitments (button labels), at most 40 characters;
                                  # "{contact} anrufen" / "Call {contact}" names a person
    en:
      ...

Six questions per card give a weekly member more than a year of prompts from the nine
shipped cards without a repeat. `{contact}` is the only placeholder, allowed only in
actions: it counts as 20 characters (a contact's name) towards the 40, and
`CardText.action_labels` fills it, with the catalog's "jemanden" / "someone" until a
contact is known, so write German actions where an accusative fits. Every text must look
like its block's language (`content.text_language`). No question or action may appear
twice in a language block.

Card texts are plain text: whoever renders them as Telegram HTML must escape them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import yaml

from content.i18n import catalog
from content.text_language import language_mismatch

__all__ = [
    "CARDS_DIRECTORY",
    "CARD_KINDS",
    "CONTACT_NAME_LENGTH",
    "CONTACT_PLACEHOLDER",
    "DEFAULT_LANGUAGES",
    "FALLBACK_LANGUAGE",
    "MAX_ACTIONS",
    "MAX_ACTION_LENGTH",
    "MAX_KEY_LENGTH",
    "MAX_QUESTIONS",
    "MAX_QUESTION_LENGTH",
    "MAX_TITLE_LENGTH",
    "MEMORY_CHECKINS",
    "MEMORY_COMMITMENTS",
    "MEMORY_KINDS",
    "MIN_ACTIONS",
    "MIN_QUESTIONS",
    "PROMPT_RESERVED_CHARACTERS",
    "TELEGRAM_MESSAGE_LIMIT",
    "Card",
    "CardError",
    "CardText",
    "Curriculum",
    "check_cards",
    "clear_card_cache",
    "load_cards",
    "prompt_length",
]

CARDS_DIRECTORY: Final = Path(__file__).resolve().parent / "cards"
CARD_KINDS: Final = ("intro", "principle", "rule")
DEFAULT_LANGUAGES: Final = ("de", "en")
FALLBACK_LANGUAGE: Final = "de"
MAX_TITLE_LENGTH: Final = 64
MAX_ACTION_LENGTH: Final = 40
# Keys travel in callback data, which Telegram caps at 64 bytes.
MAX_KEY_LENGTH: Final = 40
# Six per card: nine cards hold 54 questions, more than a year of weekly prompts.
MIN_QUESTIONS: Final = 6
MAX_QUESTIONS: Final = 12
MAX_QUESTION_LENGTH: Final = 200
MIN_ACTIONS: Final = 6
# All actions are offered at once as one button per row; more than eight crowd the screen.
MAX_ACTIONS: Final = 8
CONTACT_PLACEHOLDER: Final = "{contact}"
# What a card may list from the member's own data under its question (the `memory` field).
MEMORY_COMMITMENTS: Final = "commitments"
MEMORY_CHECKINS: Final = "check-ins"
MEMORY_KINDS: Final = (MEMORY_COMMITMENTS, MEMORY_CHECKINS)
# A contact's name as filled into an action: with it the label must still fit a button.
CONTACT_NAME_LENGTH: Final = 20
TELEGRAM_MESSAGE_LIMIT: Final = 4096
# Room for what the renderer adds around a prompt: headings, progress, hints.
PROMPT_RESERVED_CHARACTERS: Final = 200

_CARD_FIELDS: Final = ("key", "kind", "order", "theme", "source", "memory")
_TEXT_FIELDS: Final = ("title", "explanation", "questions", "actions")
_SLUG: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Any two-letter top-level field is a language block, so a card may carry extra languages.
_LANGUAGE_CODE: Final = re.compile(r"[a-z]{2}")
_BRACED: Final = re.compile(r"\{[^{}]*\}")


class CardError(Exception):
    """The card files are broken; `problems` lists each one as "file: field message"."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class CardText:
    """A card in one language."""

    title: str
    explanation: str
    questions: tuple[str, ...]
    actions: tuple[str, ...]
    language: str = FALLBACK_LANGUAGE

    def action_labels(self, contact: str | None = None) -> tuple[str, ...]:
        """The actions as a member reads them, `{contact}` filled in.

        With `contact` None the catalog's neutral word ("jemanden", "someone") stands in,
        capitalised at the start of a label; a name is filled in as given.
        """
        if contact is None:
            someone = catalog(self.language).raw("commit.someone")
            return tuple(_fill_contact(action, someone, capitalise=True) for action in self.actions)
        return tuple(_fill_contact(action, contact) for action in self.actions)


def _fill_contact(action: str, contact: str, capitalise: bool = False) -> str:
    if capitalise and action.startswith(CONTACT_PLACEHOLDER):
        first = contact[:1].upper() + contact[1:]
        return first + action[len(CONTACT_PLACEHOLDER) :].replace(CONTACT_PLACEHOLDER, contact)
    return action.replace(CONTACT_PLACEHOLDER, contact)


@dataclass(frozen=True)
class Card:
    """One curriculum card with its texts per language."""

    key: str
    kind: str
    order: int
    theme: str
    source: str
    texts: Mapping[str, CardText] = field(hash=False)
    # What the card lists from the member's data under its question (`MEMORY_KINDS`).
    memory: str | None = None

    def text(self, language: str | None) -> CardText:
        """The text in `language` ("en", "en-GB"), else German, else any language it has."""
        if language:
            code = language.lower().replace("_", "-")
            for candidate in (code, code.split("-")[0]):
                if candidate in self.texts:
                    return self.texts[candidate]
        if FALLBACK_LANGUAGE in self.texts:
            return self.texts[FALLBACK_LANGUAGE]
        return next(iter(self.texts.values()))


def _curriculum_position(card: Card) -> tuple[bool, int, str]:
    return (card.kind != "intro", card.order, card.key)


@dataclass(frozen=True)
class Curriculum:
    """All cards, intro first, then by `order` (ties by key)."""

    cards: tuple[Card, ...]
    _by_key: Mapping[str, Card] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.cards, key=_curriculum_position))
        index = {card.key: card for card in ordered}
        if len(index) != len(ordered):
            raise ValueError("card keys must be unique")
        object.__setattr__(self, "cards", ordered)
        object.__setattr__(self, "_by_key", MappingProxyType(index))

    def by_key(self, key: str) -> Card:
        """The card with `key`; `KeyError` if there is none."""
        return self._by_key[key]

    def get(self, key: str) -> Card | None:
        """The card with `key`, or None (e.g. a card an operator has retired)."""
        return self._by_key.get(key)

    @property
    def keys(self) -> tuple[str, ...]:
        """Card keys in curriculum order."""
        return tuple(card.key for card in self.cards)

    @property
    def intro(self) -> Card:
        """The intro card every new member starts with."""
        for card in self.cards:
            if card.kind == "intro":
                return card
        raise LookupError("the curriculum has no intro card")

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __iter__(self) -> Iterator[Card]:
        return iter(self.cards)

    def __len__(self) -> int:
        return len(self.cards)


def prompt_length(text: CardText) -> int:
    """Telegram length of the longest prompt for `text`, including the reserved characters.

    Title, blank line, explanation, blank line, longest question. Telegram counts UTF-16
    code units, so that is what we count.
    """
    longest_question = max(text.questions, key=_telegram_length, default="")
    body = f"{text.title}\n\n{text.explanation}\n\n{longest_question}"
    return _telegram_length(body) + PROMPT_RESERVED_CHARACTERS


def _telegram_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _DuplicateField(Exception):
    def __init__(self, name: object, line: int) -> None:
        super().__init__(name, line)
        self.name = str(name)
        self.line = line


# libyaml's parser where PyYAML has it: the same rules, a few times faster (start-up
# reads every card).
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _CardLoader(_SafeLoader):  # type: ignore[valid-type, misc]
    """SafeLoader that refuses a field given twice instead of silently keeping the last."""


def _construct_mapping(loader: _CardLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Hashable] = set()
    for key_node, _ in node.value:
        name = loader.construct_object(key_node)
        if isinstance(name, Hashable):
            if name in seen:
                raise _DuplicateField(name, key_node.start_mark.line + 1)
            seen.add(name)
    mapping: dict[Any, Any] = loader.construct_mapping(node)
    return mapping


_CardLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


_MISSING: Final = object()


class _FileReport:
    """Problems found in one file, each prefixed with the file name."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(f"{self.filename}: {where} {message}")


def _read_text(report: _FileReport, where: str, value: object, max_length: int = 0) -> str | None:
    if value is _MISSING:
        report.add(where, "is missing")
        return None
    if not isinstance(value, str):
        report.add(where, "must be text" if value is not None else "is empty")
        return None
    text = value.strip()
    if not text:
        report.add(where, "is empty")
        return None
    if max_length and len(text) > max_length:
        report.add(where, f"is {len(text)} characters long, at most {max_length} allowed")
    return text


def _read_items(
    report: _FileReport, where: str, value: object, minimum: int, maximum: int
) -> list[tuple[str, str]]:
    """The list's texts, each with its place ("de.questions[2]"); repeats are reported."""
    if value is _MISSING:
        report.add(where, "is missing")
        return []
    if not isinstance(value, list):
        report.add(where, f"must be a list of {minimum} to {maximum} texts")
        return []
    if not minimum <= len(value) <= maximum:
        entries = "entry" if len(value) == 1 else "entries"
        report.add(where, f"has {len(value)} {entries}, needs {minimum} to {maximum}")
    items: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for index, raw in enumerate(value):
        place = f"{where}[{index}]"
        text = _read_text(report, place, raw)
        if text is None:
            continue
        # "Why?" and "why ?" are the same question to a member.
        folded = " ".join(text.casefold().split()).replace(" ?", "?")
        if folded in seen:
            report.add(place, f"repeats {seen[folded]}")
        seen.setdefault(folded, place)
        items.append((place, text))
    return items


def _check_no_placeholder(report: _FileReport, where: str, text: str) -> None:
    found = _BRACED.search(text)
    if found or "{" in text or "}" in text:
        shown = found.group() if found else "a brace"
        report.add(where, f"has {shown}; only actions may use a placeholder")


def _check_question(report: _FileReport, where: str, text: str) -> None:
    if len(text) > MAX_QUESTION_LENGTH:
        report.add(where, f"is {len(text)} characters long, at most {MAX_QUESTION_LENGTH} allowed")
    if not text.endswith("?"):
        report.add(where, "must end with a question mark")
    _check_no_placeholder(report, where, text)


def _check_action(report: _FileReport, where: str, text: str) -> None:
    uses = text.count(CONTACT_PLACEHOLDER)
    rest = text.replace(CONTACT_PLACEHOLDER, "")
    found = _BRACED.search(rest)
    if found or "{" in rest or "}" in rest:
        shown = found.group() if found else "a brace"
        report.add(where, f"has {shown}; the only placeholder allowed is {CONTACT_PLACEHOLDER}")
    if uses > 1:
        report.add(where, f"has {CONTACT_PLACEHOLDER} {uses} times, at most once allowed")
    length = len(rest) + uses * CONTACT_NAME_LENGTH
    if length > MAX_ACTION_LENGTH:
        counted = f" with {CONTACT_PLACEHOLDER} counted as {CONTACT_NAME_LENGTH}" if uses else ""
        report.add(
            where, f"is {length} characters long{counted}, at most {MAX_ACTION_LENGTH} allowed"
        )


def _check_language(
    report: _FileReport, language: str, where: str, text: str, sentence: bool = True
) -> bool:
    """Report `text` if it does not look like `language`; True if it was reported."""
    problem = language_mismatch(text, language, sentence=sentence)
    if problem is not None:
        report.add(where, problem)
    return problem is not None


def _read_language(report: _FileReport, language: str, block: object) -> CardText | None:
    if not isinstance(block, dict):
        report.add(language, f"must be a mapping with {', '.join(_TEXT_FIELDS)}")
        return None
    for name in block:
        if name not in _TEXT_FIELDS:
            report.add(f"{language}.{name}", "is not a known field")
    before = len(report.problems)
    title = _read_text(report, f"{language}.title", block.get("title", _MISSING), MAX_TITLE_LENGTH)
    explanation = _read_text(report, f"{language}.explanation", block.get("explanation", _MISSING))
    if title is not None:
        _check_no_placeholder(report, f"{language}.title", title)
        _check_language(report, language, f"{language}.title", title, sentence=False)
    if explanation is not None:
        _check_no_placeholder(report, f"{language}.explanation", explanation)
        _check_language(report, language, f"{language}.explanation", explanation)
    questions = _read_items(
        report,
        f"{language}.questions",
        block.get("questions", _MISSING),
        MIN_QUESTIONS,
        MAX_QUESTIONS,
    )
    for where, text in questions:
        _check_question(report, where, text)
        _check_language(report, language, where, text)
    actions = _read_items(
        report, f"{language}.actions", block.get("actions", _MISSING), MIN_ACTIONS, MAX_ACTIONS
    )
    labels_reported = False
    for where, text in actions:
        _check_action(report, where, text)
        labels_reported |= _check_language(report, language, where, text, sentence=False)
    # One label says little about its language; all of them together say enough.
    if actions and not labels_reported:
        together = " ".join(action for _, action in actions)
        problem = language_mismatch(together, language)
        if problem is not None:
            report.add(f"{language}.actions", f"(all together) {problem}")
    if title is None or explanation is None or len(report.problems) > before:
        return None
    card_text = CardText(
        title,
        explanation,
        tuple(question for _, question in questions),
        tuple(action for _, action in actions),
        language,
    )
    length = prompt_length(card_text)
    if length > TELEGRAM_MESSAGE_LIMIT:
        report.add(
            f"{language}.explanation",
            f"is too long: the prompt would be {length} characters (title, explanation, "
            f"longest question and {PROMPT_RESERVED_CHARACTERS} reserved), "
            f"Telegram allows {TELEGRAM_MESSAGE_LIMIT}",
        )
        return None
    return card_text


def _read_card(path: Path, languages: Sequence[str]) -> tuple[Card | None, list[str]]:
    report = _FileReport(path.name)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_CardLoader)
    except _DuplicateField as error:
        report.add(error.name, f"is given twice (line {error.line})")
        return None, report.problems
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f" at line {mark.line + 1}" if mark else ""
        report.problems.append(f"{path.name}: YAML syntax error{line}: {error.problem}")
        return None, report.problems
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        report.problems.append(f"{path.name}: cannot be read: {error}")
        return None, report.problems
    if not isinstance(data, dict):
        report.problems.append(f"{path.name}: must be a mapping of card fields")
        return None, report.problems

    for name in data:
        if name not in _CARD_FIELDS and not (
            isinstance(name, str) and _LANGUAGE_CODE.fullmatch(name)
        ):
            report.add(str(name), "is not a known field")
    for name in ("kind", "order", *languages):
        if name not in data:
            report.add(name, "is missing")

    key = _read_text(report, "key", data.get("key", _MISSING))
    if key is not None and (not _SLUG.fullmatch(key) or len(key) > MAX_KEY_LENGTH):
        report.add(
            "key",
            f"must be a slug (a-z, 0-9, single hyphens, at most {MAX_KEY_LENGTH} "
            f"characters), got {key!r}",
        )
    kind = data.get("kind")
    if "kind" in data and kind not in CARD_KINDS:
        report.add("kind", f"must be one of {', '.join(CARD_KINDS)}, got {kind!r}")
    order = data.get("order")
    if "order" in data and (not isinstance(order, int) or isinstance(order, bool)):
        report.add("order", f"must be a whole number, got {order!r}")
    theme = _read_text(report, "theme", data.get("theme", _MISSING))
    if theme is not None and not _SLUG.fullmatch(theme):
        report.add("theme", f"must be a slug (a-z, 0-9, single hyphens), got {theme!r}")
    source = _read_text(report, "source", data.get("source", _MISSING))
    memory = data.get("memory")
    if memory is not None and memory not in MEMORY_KINDS:
        report.add("memory", f"must be one of {', '.join(MEMORY_KINDS)}, got {memory!r}")

    texts: dict[str, CardText] = {}
    for name, block in data.items():
        if isinstance(name, str) and _LANGUAGE_CODE.fullmatch(name):
            text = _read_language(report, name, block)
            if text is not None:
                texts[name] = text

    if report.problems:
        return None, report.problems
    assert key is not None and theme is not None and source is not None
    assert isinstance(kind, str) and isinstance(order, int)
    card = Card(key, kind, order, theme, source, MappingProxyType(texts), memory)
    return card, []


def _scan(directory: Path, languages: Sequence[str]) -> tuple[list[Card], list[str]]:
    if not directory.is_dir():
        return [], [f"cards directory not found: {directory}"]
    problems: list[str] = []
    cards: list[Card] = []
    owner: dict[str, str] = {}
    intro_files: list[str] = []
    for path in sorted(directory.iterdir()):
        if path.suffix == ".yml":
            problems.append(f"{path.name}: rename to .yaml, only *.yaml files are read")
        if path.suffix != ".yaml" or not path.is_file():
            continue
        card, card_problems = _read_card(path, languages)
        problems.extend(card_problems)
        if card is None:
            continue
        if card.key in owner:
            problems.append(f"{path.name}: key {card.key!r} is already used by {owner[card.key]}")
            continue
        owner[card.key] = path.name
        if card.kind == "intro":
            if intro_files:
                problems.append(
                    f"{path.name}: kind is intro, but {intro_files[0]} is already the intro card"
                )
            intro_files.append(path.name)
        cards.append(card)
    if not owner and not problems:
        problems.append(f"no card files (*.yaml) in {directory}")
    elif not intro_files and not problems:
        problems.append(f"no card has kind intro in {directory}; exactly one is needed")
    return cards, problems


def check_cards(
    directory: Path | None = None, languages: Sequence[str] = DEFAULT_LANGUAGES
) -> list[str]:
    """Every problem in the card files, each as "file: field message"; empty when all is well."""
    return _scan(directory or CARDS_DIRECTORY, languages)[1]


def load_cards(
    directory: Path | None = None, languages: Sequence[str] = DEFAULT_LANGUAGES
) -> Curriculum:
    """The curriculum in `directory` (default: the shipped cards), read once per directory.

    Raises:
        CardError: listing every problem found, first problem first.
    """
    return _load_cached((directory or CARDS_DIRECTORY).resolve(), tuple(languages))


@functools.cache
def _load_cached(directory: Path, languages: tuple[str, ...]) -> Curriculum:
    cards, problems = _scan(directory, languages)
    if problems:
        raise CardError(problems)
    return Curriculum(tuple(cards))


def clear_card_cache() -> None:
    """Forget loaded curricula, e.g. after an operator edited card files."""
    _load_cached.cache_clear()
