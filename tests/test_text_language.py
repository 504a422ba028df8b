"""The heuristic that tells a German card text from an English one."""

from __future__ import annotations

import pytest

from content.text_language import (
    MIN_OWN_SHARE,
    MIN_WORDS_FOR_SHARE,
    language_evidence,
    language_mismatch,
)

GERMAN = "Wen hast du zuletzt in dein Netzwerk geholt, und warum?"
ENGLISH = "Whom did you last bring into your network, and why?"


def test_a_german_question_looks_german_and_an_english_one_english() -> None:
    assert language_mismatch(GERMAN, "de") is None
    assert language_mismatch(ENGLISH, "en") is None


def test_a_text_in_the_other_language_is_named_with_the_words_that_gave_it_away() -> None:
    assert language_mismatch(ENGLISH, "de") == (
        "looks English, not German (0 common German and 8 common English words among 10)"
    )
    problem = language_mismatch(GERMAN, "en")
    assert problem is not None and problem.startswith("looks German, not English")


def test_umlauts_and_eszett_count_as_german() -> None:
    evidence = language_evidence("Größere Räume öffnen Türen")

    assert evidence.words == 4
    assert evidence.markers == {"de": 4, "en": 0}


def test_words_both_languages_use_count_for_neither() -> None:
    evidence = language_evidence("Was will man also in so einem Fall?")

    assert evidence.markers == {"de": 1, "en": 0}  # only "einem"


def test_a_placeholder_is_not_a_word_and_an_apostrophe_keeps_a_word_whole() -> None:
    assert language_evidence("{contact} anrufen").words == 1
    assert language_evidence("Lighten {contact}'s load").words == 3
    assert language_evidence("Don't wait").words == 2


def test_a_short_label_passes_unless_the_other_language_outweighs_its_own() -> None:
    assert language_mismatch("Recommend {contact}", "en") is None
    assert language_mismatch("{contact} weiterempfehlen", "de") is None
    assert language_mismatch("Call a friend", "de", sentence=False) is not None
    # A six-word label with one function word is fine; as a sentence it would be too thin.
    label = "Send an old contact a note"
    assert language_mismatch(label, "en", sentence=False) is None


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Qu'est-ce qui te retient de faire le premier pas?", "en"),
        ("Qu'est-ce qui te retient de faire le premier pas?", "de"),
        ("Send an old contact a short message now", "en"),
    ],
)
def test_a_sentence_needs_enough_words_of_its_own_language(text: str, language: str) -> None:
    problem = language_mismatch(text, language)

    assert problem is not None and "does not look" in problem
    assert f"at least {MIN_OWN_SHARE:.0%} expected" in problem


def test_a_sentence_shorter_than_the_minimum_is_not_judged_by_its_share() -> None:
    short = " ".join(["Feedback"] * (MIN_WORDS_FOR_SHARE - 1)) + "?"

    assert language_mismatch(short, "de") is None
    assert language_mismatch(short + " Feedback", "de") is not None


def test_languages_the_heuristic_does_not_know_are_not_judged() -> None:
    assert language_mismatch(ENGLISH, "fr") is None
