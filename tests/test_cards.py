"""The curriculum cards: what ships, how broken card files are reported, and paraphrase."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from content.cards import (
    CARDS_DIRECTORY,
    CONTACT_NAME_LENGTH,
    CONTACT_PLACEHOLDER,
    MAX_ACTION_LENGTH,
    MAX_ACTIONS,
    MAX_QUESTION_LENGTH,
    MAX_QUESTIONS,
    MEMORY_CHECKINS,
    MEMORY_COMMITMENTS,
    MIN_ACTIONS,
    MIN_QUESTIONS,
    TELEGRAM_MESSAGE_LIMIT,
    Card,
    CardError,
    CardText,
    check_cards,
    load_cards,
    prompt_length,
)
from content.rotation import CardHistory, choose_next_card
from tools.derive_seed_fingerprints import SeedFingerprints, fingerprint, words

SHIPPED_KEYS = (
    "intro-relationships",
    "principle-cooperation",
    "principle-trust",
    "principle-reliability",
    "principle-negotiation",
    "rule-fairness",
    "rule-discretion",
    "rule-contact-care",
    "rule-give-and-take",
)


@pytest.fixture
def cards_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped card files to break or extend."""
    directory = tmp_path / "cards"
    shutil.copytree(CARDS_DIRECTORY, directory)
    return directory


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _all_texts(card: Card) -> Iterator[str]:
    for text in card.texts.values():
        yield text.title
        yield text.explanation
        yield from text.questions
        yield from text.actions


# --- what ships -------------------------------------------------------------------------


def test_the_shipped_curriculum_has_nine_cards_in_german_and_english_intro_first() -> None:
    curriculum = load_cards()

    assert len(curriculum) == 9
    assert curriculum.keys == SHIPPED_KEYS
    assert curriculum.intro is curriculum.cards[0]
    assert curriculum.intro.key == "intro-relationships"
    for card in curriculum:
        assert set(card.texts) == {"de", "en"}, card.key
        assert card.source == "Pluspunkte – Networking ist Beziehungsarbeit"


def test_the_shipped_cards_cover_four_principles_and_four_rules_each_with_its_own_theme() -> None:
    curriculum = load_cards()

    kinds = [card.kind for card in curriculum]
    assert kinds.count("intro") == 1
    assert kinds.count("principle") == 4
    assert kinds.count("rule") == 4
    themes = [card.theme for card in curriculum]
    assert len(set(themes)) == 9
    for card in curriculum:
        assert card.key.endswith(card.theme), card.key
        assert (CARDS_DIRECTORY / f"{card.key}.yaml").is_file(), card.key


def test_the_content_check_finds_nothing_wrong_with_the_shipped_cards() -> None:
    assert check_cards() == []


def test_every_card_fits_telegram_and_its_buttons() -> None:
    a_long_name = "Maximiliane Schmidt-Öztürk"[:CONTACT_NAME_LENGTH]
    for card in load_cards():
        for language, text in card.texts.items():
            assert MIN_QUESTIONS <= len(text.questions) <= MAX_QUESTIONS, (card.key, language)
            assert MIN_ACTIONS <= len(text.actions) <= MAX_ACTIONS, (card.key, language)
            assert all(len(q) <= MAX_QUESTION_LENGTH for q in text.questions), card.key
            for label in text.action_labels(a_long_name):
                assert len(label) <= MAX_ACTION_LENGTH, (card.key, label)
            # The longest question is the one the prompt check measures.
            assert prompt_length(text) <= TELEGRAM_MESSAGE_LIMIT


def test_a_weekly_member_has_more_than_a_year_of_questions_in_either_language() -> None:
    curriculum = load_cards()

    assert MIN_QUESTIONS * len(curriculum) >= 52
    for language in ("de", "en"):
        questions = [q for card in curriculum for q in card.text(language).questions]
        assert len(questions) >= 54, language
        assert len(set(questions)) == len(questions), language
        assert all(question.endswith("?") for question in questions), language


def test_the_reliability_and_contact_care_cards_list_what_the_member_holds_on_them() -> None:
    memory = {card.theme: card.memory for card in load_cards()}

    assert memory.pop("reliability") == MEMORY_COMMITMENTS
    assert memory.pop("contact-care") == MEMORY_CHECKINS
    assert set(memory.values()) == {None}


def test_every_card_suggests_at_least_two_actions_about_a_person_in_each_language() -> None:
    for card in load_cards():
        for language, text in card.texts.items():
            personal = [a for a in text.actions if CONTACT_PLACEHOLDER in a]
            assert len(personal) >= 2, (card.key, language)


def test_a_person_slot_takes_a_name_as_typed_or_someone_capitalised_at_the_start() -> None:
    german = CardText("T", "E", ("F?",), ("{contact} anrufen", "Danke sagen"), "de")
    english = CardText("T", "E", ("Q?",), ("Call {contact}", "Say thank you"), "en")

    assert german.action_labels() == ("Jemanden anrufen", "Danke sagen")
    assert german.action_labels("anna") == ("anna anrufen", "Danke sagen")
    assert english.action_labels() == ("Call someone", "Say thank you")
    assert english.action_labels("Anna") == ("Call Anna", "Say thank you")


def test_until_a_contact_is_known_a_suggested_action_names_someone_not_a_placeholder() -> None:
    card = load_cards().by_key("intro-relationships")

    assert "{contact} fragen, wie es geht" in card.text("de").actions
    assert "Jemanden fragen, wie es geht" in card.text("de").action_labels()
    assert "Check in with someone" in card.text("en").action_labels()
    assert "Anna fragen, wie es geht" in card.text("de").action_labels("Anna")
    assert "Check in with Anna" in card.text("en").action_labels("Anna")
    # Labels without a placeholder stay as written.
    assert card.text("en").action_labels()[0] == card.text("en").actions[0]
    for shipped in load_cards():
        for text in shipped.texts.values():
            for label in (*text.action_labels(), *text.action_labels("Anna")):
                assert "{" not in label and "}" not in label, (shipped.key, label)


def test_german_actions_put_the_contact_where_jemanden_fits() -> None:
    # "jemanden" is accusative: "mit jemanden" or "bei jemanden" would be wrong German.
    dative = re.compile(r"\b(mit|bei|von|zu|nach|aus|seit|gegenüber) jemanden\b", re.IGNORECASE)
    for card in load_cards():
        for label in card.text("de").action_labels():
            assert not dative.search(label), (card.key, label)


def test_the_cards_speak_to_the_member_and_do_not_shout() -> None:
    for card in load_cards():
        for text in _all_texts(card):
            assert "!" not in text, (card.key, text)
        assert re.search(r"\b(du|dir|dich|dein\w*)\b", card.text("de").explanation), card.key
        assert re.search(r"\b(you|your)\b", card.text("en").explanation), card.key


def test_a_member_gets_their_language_and_unknown_languages_fall_back_to_german() -> None:
    card = load_cards().by_key("principle-trust")

    assert card.text("en").title == "Trust: take the first step"
    assert card.text("en-GB") is card.text("en")
    assert card.text("fr") is card.text("de")
    assert card.text(None) is card.text("de")
    assert card.text("de").title.startswith("Vertrauen")


def test_loading_the_shipped_cards_twice_reads_them_once() -> None:
    assert load_cards() is load_cards()
    assert load_cards(CARDS_DIRECTORY) is load_cards()


# --- paraphrase, not copy -----------------------------------------------------------------


def _copied_passages(curriculum: Iterable[Card]) -> list[tuple[str, str]]:
    # Hashes of the source's sentences and six-word runs (tools/derive_seed_fingerprints.py)
    # stand in for the text, which stays outside the repository.
    source = SeedFingerprints.load()
    return [
        (card.key, passage)
        for card in curriculum
        for text in _all_texts(card)
        for passage in source.copied_passages(text)
    ]


def test_no_card_copies_a_sentence_or_six_words_in_a_row_from_the_source_text() -> None:
    source = SeedFingerprints.load()
    # The fingerprints must hold real sentences, or this test could never fail.
    assert fingerprint(words("Vertrauen bedeutet in Vorleistung zu gehen.")) in source.sentences
    assert fingerprint(words("Die Beziehungen tragen das Netz.")) in source.sentences

    assert _copied_passages(load_cards()) == []


def test_a_card_quoting_the_source_is_caught_whatever_the_case_and_punctuation(
    cards_copy: Path,
) -> None:
    quoted = "Du kennst das: VERTRAUEN bedeutet, in Vorleistung zu gehen. Also los."
    _edit(cards_copy / "principle-trust.yaml", _set("de", "explanation", quoted))

    assert _copied_passages(load_cards(cards_copy)) == [
        ("principle-trust", "vertrauen bedeutet in vorleistung zu gehen")
    ]


def test_six_words_in_a_row_from_a_longer_source_sentence_are_caught_five_are_not(
    cards_copy: Path,
) -> None:
    five_shared = "Hier zeigt es sich, wie empfindsam sie sind?"
    six_shared = "In der Praxis zeigt sich, wie empfindsam sie sind?"
    _edit(cards_copy / "rule-fairness.yaml", _set_item("de", "questions", 0, five_shared))
    _edit(cards_copy / "rule-discretion.yaml", _set_item("de", "questions", 0, six_shared))

    assert _copied_passages(load_cards(cards_copy)) == [
        ("rule-discretion", "zeigt sich wie empfindsam sie sind")
    ]


# --- broken card files name the file and the field ---------------------------------------


def _set(language: str, name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data[language][name] = value

    return change


def _set_item(language: str, name: str, index: int, value: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data[language][name][index] = value

    return change


def _set_top(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data[name] = value

    return change


def _drop(name: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        del data[name]

    return change


def _keep(language: str, name: str, count: int) -> Callable[[dict[str, Any]], None]:
    """Keep the first `count` entries of a list, or repeat variants of them up to `count`."""

    def change(data: dict[str, Any]) -> None:
        items = data[language][name]
        extra = [f"{n}. {item}" for n in range(2, 4) for item in items]
        data[language][name] = (items + extra)[:count]

    return change


def _copy_item(
    language: str, name: str, source: int, target: int
) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data[language][name][target] = data[language][name][source]

    return change


A_LONG_QUESTION = "Was hast du dir vorgenommen, und was davon ist dir gelungen? " * 4
FRENCH_ACTIONS = [
    "Appeler un ancien collègue",
    "Partager une information utile",
    "Remercier sincèrement un contact",
    "Proposer un compromis honnête",
    "Inviter quelqu'un à déjeuner",
    "Écrire un petit message amical",
]


BROKEN_FIELDS = [
    ("empty question", _set_item("en", "questions", 1, "  "), "en.questions[1] is empty"),
    ("empty title", _set("de", "title", ""), "de.title is empty"),
    ("empty explanation", _set("en", "explanation", None), "en.explanation is empty"),
    ("empty action", _set_item("de", "actions", 2, ""), "de.actions[2] is empty"),
    ("missing kind", _drop("kind"), "kind is missing"),
    ("missing key", _drop("key"), "key is missing"),
    ("missing English", _drop("en"), "en is missing"),
    ("unknown field", _set_top("colour", "blue"), "colour is not a known field"),
    ("unknown text field", _set("de", "hint", "x"), "de.hint is not a known field"),
    ("bad kind", _set_top("kind", "tip"), "kind must be one of intro, principle, rule"),
    ("bad memory", _set_top("memory", "diary"), "memory must be one of commitments, check-ins"),
    ("key not a slug", _set_top("key", "Principle Trust"), "key must be a slug"),
    ("order not a number", _set_top("order", "second"), "order must be a whole number"),
    ("empty source", _set_top("source", ""), "source is empty"),
    ("one question", _set("de", "questions", ["Wem vertraust du?"]), "de.questions has 1 entry"),
    ("four actions", _set("en", "actions", ["a", "b", "c", "d"]), "en.actions has 4 entries"),
    ("five questions", _keep("de", "questions", 5), "de.questions has 5 entries, needs 6 to 12"),
    ("13 questions", _keep("en", "questions", 13), "en.questions has 13 entries, needs 6 to 12"),
    ("five actions", _keep("en", "actions", 5), "en.actions has 5 entries, needs 6 to 8"),
    ("nine actions", _keep("de", "actions", 9), "de.actions has 9 entries, needs 6 to 8"),
    (
        "question without a question mark",
        _set_item("de", "questions", 0, "Erzähl von deiner Woche."),
        "de.questions[0] must end with a question mark",
    ),
    (
        "question too long",
        _set_item("de", "questions", 2, A_LONG_QUESTION[:200] + "?"),
        "de.questions[2] is 201 characters long, at most 200 allowed",
    ),
    # principle-trust's en.questions[1]: "Where are you waiting for someone else to make the
    # first move?"
    (
        "question repeated in other case and spacing",
        _set_item(
            "en", "questions", 4, "where are you waiting for someone else  to make the first move ?"
        ),
        "en.questions[4] repeats en.questions[1]",
    ),
    ("action repeated", _copy_item("de", "actions", 0, 5), "de.actions[5] repeats de.actions[0]"),
    (
        "action too long once a name is filled in",
        _set_item("de", "actions", 3, "{contact} auf einen Kaffee einladen"),
        "de.actions[3] is 46 characters long with {contact} counted as 20, at most 40 allowed",
    ),
    (
        "unknown placeholder",
        _set_item("de", "actions", 3, "{name} anrufen"),
        "de.actions[3] has {name}; the only placeholder allowed is {contact}",
    ),
    (
        "stray brace",
        _set_item("en", "actions", 3, "Call {contact"),
        "en.actions[3] has a brace; the only placeholder allowed is {contact}",
    ),
    (
        "contact twice",
        _set_item("en", "actions", 3, "Thank {contact}, {contact}"),
        "en.actions[3] has {contact} 2 times, at most once allowed",
    ),
    (
        "placeholder in a question",
        _set_item("en", "questions", 0, "What did you promise {contact}?"),
        "en.questions[0] has {contact}; only actions may use a placeholder",
    ),
    (
        "German question in the English block",
        _set_item(
            "en", "questions", 2, "Was hält dich davon ab, bei einem Kontakt zuerst etwas zu geben?"
        ),
        "en.questions[2] looks German, not English",
    ),
    (
        "French question in the English block",
        _set_item("en", "questions", 0, "Qu'est-ce qui te retient de faire le premier pas?"),
        "en.questions[0] does not look English",
    ),
    (
        "English explanation in the German block",
        _set("de", "explanation", "Trust grows when you give something first and wait to see."),
        "de.explanation looks English, not German",
    ),
    (
        "English title in the German block",
        _set("de", "title", "Trust: take the first step"),
        "de.title looks English, not German",
    ),
    (
        "English action in the German block",
        _set_item("de", "actions", 1, "Share the news with a friend"),
        "de.actions[1] looks English, not German",
    ),
    (
        "actions with no German word at all",
        _set("de", "actions", FRENCH_ACTIONS),
        "de.actions (all together) does not look German",
    ),
    ("questions not a list", _set("en", "questions", "Why?"), "en.questions must be a list"),
    ("question repeated", _set("en", "questions", ["Why?", "Why?"]), "en.questions[1] repeats"),
    (
        "action too long for a button",
        _set_item("de", "actions", 0, "Eine sehr lange Verpflichtung für diese Woche"),
        "de.actions[0] is 45 characters long, at most 40 allowed",
    ),
    ("title too long", _set("en", "title", "T" * 65), "en.title is 65 characters long"),
    (
        "prompt too long for Telegram",
        _set("de", "explanation", "Das ist ein Satz. " * 250),
        "de.explanation is too long: the prompt would be",
    ),
]


@pytest.mark.parametrize(
    ("change", "expected"),
    [pytest.param(change, expected, id=name) for name, change, expected in BROKEN_FIELDS],
)
def test_a_broken_field_is_reported_with_file_and_field(
    cards_copy: Path, change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    _edit(cards_copy / "principle-trust.yaml", change)

    with pytest.raises(CardError) as raised:
        load_cards(cards_copy)

    assert f"principle-trust.yaml: {expected}" in str(raised.value)
    assert any(expected in problem for problem in check_cards(cards_copy))


BROKEN_FILES = [
    ("YAML syntax error", "key: [unclosed\n", "principle-trust.yaml: YAML syntax error at line"),
    ("not a mapping", "- just\n- a list\n", "principle-trust.yaml: must be a mapping"),
    ("empty file", "", "principle-trust.yaml: must be a mapping"),
]


@pytest.mark.parametrize(
    ("content", "expected"),
    [pytest.param(content, expected, id=name) for name, content, expected in BROKEN_FILES],
)
def test_an_unreadable_card_file_is_reported_by_name(
    cards_copy: Path, content: str, expected: str
) -> None:
    (cards_copy / "principle-trust.yaml").write_text(content, encoding="utf-8")

    with pytest.raises(CardError, match=re.escape(expected)):
        load_cards(cards_copy)


def test_a_field_given_twice_is_reported_not_silently_overwritten(cards_copy: Path) -> None:
    path = cards_copy / "principle-trust.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "kind: rule\n", encoding="utf-8")

    assert any(
        problem.startswith("principle-trust.yaml: kind is given twice (line ")
        for problem in check_cards(cards_copy)
    )


def test_a_second_intro_card_is_reported(cards_copy: Path) -> None:
    _edit(cards_copy / "rule-fairness.yaml", _set_top("kind", "intro"))

    assert check_cards(cards_copy) == [
        "rule-fairness.yaml: kind is intro, but intro-relationships.yaml is already the intro card"
    ]


def test_a_curriculum_without_an_intro_card_is_reported(cards_copy: Path) -> None:
    (cards_copy / "intro-relationships.yaml").unlink()

    with pytest.raises(CardError, match="no card has kind intro"):
        load_cards(cards_copy)


def test_a_key_used_by_two_files_is_reported(cards_copy: Path) -> None:
    shutil.copy(cards_copy / "principle-trust.yaml", cards_copy / "trust-copy.yaml")

    problems = check_cards(cards_copy)

    assert (
        "trust-copy.yaml: key 'principle-trust' is already used by principle-trust.yaml" in problems
    )


def test_a_card_saved_as_yml_is_reported_rather_than_silently_skipped(cards_copy: Path) -> None:
    (cards_copy / "rule-fairness.yaml").rename(cards_copy / "rule-fairness.yml")

    assert "rule-fairness.yml: rename to .yaml, only *.yaml files are read" in check_cards(
        cards_copy
    )


def test_the_content_check_reports_every_problem_not_just_the_first(cards_copy: Path) -> None:
    _edit(cards_copy / "principle-trust.yaml", _set("de", "title", ""))
    _edit(cards_copy / "rule-discretion.yaml", _set_item("en", "actions", 0, "x" * 41))
    _edit(cards_copy / "rule-discretion.yaml", _set_top("kind", "hint"))

    problems = check_cards(cards_copy)
    with pytest.raises(CardError) as raised:
        load_cards(cards_copy)

    assert problems == [
        "principle-trust.yaml: de.title is empty",
        "rule-discretion.yaml: kind must be one of intro, principle, rule, got 'hint'",
        "rule-discretion.yaml: en.actions[0] is 41 characters long, at most 40 allowed",
    ]
    assert raised.value.problems == tuple(problems)


def test_a_missing_cards_directory_is_reported(tmp_path: Path) -> None:
    assert check_cards(tmp_path / "nowhere") == [
        f"cards directory not found: {tmp_path / 'nowhere'}"
    ]


def test_an_empty_cards_directory_is_reported(tmp_path: Path) -> None:
    assert check_cards(tmp_path) == [f"no card files (*.yaml) in {tmp_path}"]


# --- the curriculum grows by data alone ---------------------------------------------------

TENTH_CARD = """\
key: rule-listening
kind: rule
order: 90
theme: listening
source: "Pluspunkte – Zuhören"
de:
  title: "Zuhören"
  explanation: "Wer zuhört, erfährt, was anderen wichtig ist."
  questions:
    - "Wem hast du diese Woche zugehört?"
    - "Wer hat dir zugehört?"
    - "Wann hast du nur so getan, als ob du zuhörst?"
    - "Wessen Geschichte würdest du gern einmal ganz hören?"
    - "Was hilft dir, bei einem Gespräch wirklich dabei zu sein?"
    - "Wem möchtest du für ein offenes Ohr danken?"
  actions:
    - "Eine Frage mehr stellen"
    - "Ausreden lassen"
    - "{contact} zuhören"
    - "Das Handy weglegen"
    - "Nachfragen, statt zu raten"
    - "{contact} nach Neuem fragen"
en:
  title: "Listening"
  explanation: "When you listen, you learn what matters to others."
  questions:
    - "Whom did you listen to this week?"
    - "Who listened to you?"
    - "When did you only pretend to listen?"
    - "Whose story would you like to hear in full?"
    - "What helps you to be fully present in a conversation?"
    - "Who would you like to thank for listening to you?"
  actions:
    - "Ask one more question"
    - "Let people finish"
    - "Listen to {contact}"
    - "Put the phone away"
    - "Ask instead of guessing"
    - "Ask {contact} what's new"
"""


def test_a_tenth_card_is_a_data_change_only(cards_copy: Path) -> None:
    (cards_copy / "rule-listening.yaml").write_text(TENTH_CARD, encoding="utf-8")

    curriculum = load_cards(cards_copy)

    assert len(curriculum) == 10
    assert curriculum.keys[-1] == "rule-listening"
    assert curriculum.by_key("rule-listening").text("en").title == "Listening"
    start = datetime(2025, 1, 6, 9, tzinfo=UTC)
    seen_all_nine = [
        CardHistory(key, last_shown_at=start + timedelta(weeks=week))
        for week, key in enumerate(SHIPPED_KEYS)
    ]
    assert choose_next_card(curriculum, seen_all_nine).key == "rule-listening"
