"""Does a card text look German or English? A small, deterministic stopword heuristic.

Card authors write two language blocks per card; the usual slip is a text pasted into the
wrong block. Statistical detectors guess poorly on button labels of three or four words
and bring models far larger than the cards, so this counts words instead:

- *Marker words* are frequent function words of one language that are not words of the
  other ("und", "nicht", "dich" / "the", "you", "which"). Words both languages share
  ("in", "was", "also", "will", "man", "hat", "so") count for neither. A word with ä, ö,
  ü or ß counts as German.
- Any text looks like the other language when it has more of that language's markers
  than of its own, so a short English label in a German block is caught as soon as it
  has one English function word ("Call a friend").
- Sentences (explanations, questions) and all of a card's actions taken together must
  also, from `MIN_WORDS_FOR_SHARE` words on, have at least `MIN_OWN_SHARE` of their words
  among their own language's markers. The shipped cards have at least 29 % in
  explanations, 33 % in questions of six words or more and 22 % in the actions together;
  a text in a third language has almost none. Titles and single button labels are too
  telegraphic for a share ("Recommend Anna" has no marker at all) and get only the rule
  above.

Languages other than German and English are not judged. `{contact}` placeholders are not
words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = [
    "FUNCTION_WORDS",
    "JUDGED_LANGUAGES",
    "MIN_OWN_SHARE",
    "MIN_WORDS_FOR_SHARE",
    "LanguageEvidence",
    "language_evidence",
    "language_mismatch",
]

# Below this many words a share says little ("Recommend Anna" has none either way).
MIN_WORDS_FOR_SHARE: Final = 6
MIN_OWN_SHARE: Final = 0.15


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Kept as plain text: a word list reads and diffs better than a list of quoted strings.
_GERMAN_MARKERS: Final = _word_set(
    """
    aber alle allem allen aller alles als auch auf aus bei beim bis bist damit dann dass
    dein deine deinem deinen deiner deines dem den denn der des dich die dies diese diesem
    diesen dieser dieses dir doch dort du durch ein eine einem einen einer eines er es
    etwas euch euer für gegen gerade gibt hast hatte hattest hätte hättest ich ihm ihn ihr
    ihre ihrem ihren ihrer im immer ist jemand jemandem jemanden kann kannst kein keine
    keinen könnte könntest mehr mein meine meinem meinen meiner mich mir mit nach nicht
    nichts noch nur ob oder ohne schon sehr sein seine seinem seinen sich sie sind statt
    über und uns unter viel vom von vor warum weil welche welchem welchen welcher welches
    wem wen wenn wer werden wessen wie wieder wir wird wo wobei woran worauf wurde würde
    würdest zu zum zur zwischen
    """
)
_ENGLISH_MARKERS: Final = _word_set(
    """
    a about after all and any anyone are as at be been before but by can could did do
    does done each even ever for from get had has have he him his how i if into is it
    its just last let me might more most much my need never no not of off on once one
    only or other others our out over own she should some someone something than that
    the their them then there these they this those through to too up us very we were
    what when where which while who whom whose why with would you your yours yourself
    """
)
_MARKERS: Final = {"de": _GERMAN_MARKERS, "en": _ENGLISH_MARKERS}
# The marker words of both languages: no one's name ("und", "the", "ich", "with").
FUNCTION_WORDS: Final = _GERMAN_MARKERS | _ENGLISH_MARKERS
_NAMES: Final = {"de": "German", "en": "English"}
JUDGED_LANGUAGES: Final = tuple(_MARKERS)

_PLACEHOLDER: Final = re.compile(r"\{[^{}]*\}")
# Letters, with an inner apostrophe kept ("don't", "someone's" are one word each).
_WORD: Final = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_GERMAN_LETTERS: Final = re.compile(r"[äöüß]")


@dataclass(frozen=True)
class LanguageEvidence:
    """How many words of a text are markers of each judged language."""

    words: int
    markers: dict[str, int]


def language_evidence(text: str) -> LanguageEvidence:
    """Count the words of `text` and its marker words per judged language."""
    words = _WORD.findall(_PLACEHOLDER.sub(" ", text).casefold())
    markers = {language: 0 for language in _MARKERS}
    for word in words:
        for language, vocabulary in _MARKERS.items():
            if word in vocabulary:
                markers[language] += 1
        if word not in _GERMAN_MARKERS and _GERMAN_LETTERS.search(word):
            markers["de"] += 1
    return LanguageEvidence(len(words), markers)


def language_mismatch(text: str, language: str, *, sentence: bool = True) -> str | None:
    """Why `text` does not look like `language` ("looks English, not German (...)"), or None.

    With `sentence=False` (a title, one button label) only the other language's markers
    outweighing its own count against it. None for languages the heuristic does not judge.
    """
    if language not in _MARKERS:
        return None
    evidence = language_evidence(text)
    own = evidence.markers[language]
    others = {other: count for other, count in evidence.markers.items() if other != language}
    rival, rival_count = max(others.items(), key=lambda item: item[1])
    counts = (
        f"{own} common {_NAMES[language]} and {rival_count} common {_NAMES[rival]} words "
        f"among {evidence.words}"
    )
    if rival_count > own:
        return f"looks {_NAMES[rival]}, not {_NAMES[language]} ({counts})"
    too_few = own < MIN_OWN_SHARE * evidence.words
    if sentence and evidence.words >= MIN_WORDS_FOR_SHARE and too_few:
        return f"does not look {_NAMES[language]} ({counts}; at least {MIN_OWN_SHARE:.0%} expected)"
    return None
