"""Names inside what members write: whom a commitment is about, whom a free text names.

A commitment (`find_contact`): an `@username` anywhere wins; otherwise the first
capitalised, name-like word right after a cue ("mit", "an", "bei", "für", "call",
"email", "with", "to", …) or right before a German verb ("anrufen", "schreiben",
"treffen", …), plus a directly adjacent capitalised word as a surname. German
capitalises nouns too, so capitalisation alone never makes a contact: no cue, no
contact (None).

A free text (a reflection, a stray line): its first `WORDS_LOOKED_AT` words are read
(`sentence_words`), and every run of up to `NAME_WORDS` of them that neither begins nor
ends with a function word ("und", "the") may be a known contact's name (`name_runs`,
looked up all at once by their blind indexes). A name that is no contact yet is only
offered when it is sure enough (`offered_name`): a title and a name ("Frau Weber"), or
a common first name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from bot.domain.first_names import FIRST_NAMES, TITLES
from content.text_language import FUNCTION_WORDS, language_evidence

__all__ = [
    "NAME_WORDS",
    "WORDS_LOOKED_AT",
    "Word",
    "WordRun",
    "find_contact",
    "name_candidates",
    "name_runs",
    "offered_name",
    "sentence_words",
]

# Names are looked for in the first words only; runs of up to three words make a name.
WORDS_LOOKED_AT = 60
NAME_WORDS = 3
# No more characters are read than the words looked at can take (a word of 20 on average).
_CHARACTERS_LOOKED_AT = 20 * WORDS_LOOKED_AT
# A name offered as a new contact is one word, or a title and one, or a first name and a
# surname: at most this long, as `Limit.CONTACT_NAME` allows far more.
_OFFERED_LENGTH = 40


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_WORD = re.compile(r"@\w+|[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_CUES_BEFORE_NAME: Final = _word_set(
    "mit an bei für von zu ruf rufe schreib schreibe triff treffe frag frage kontaktiere "
    "besuche lade gratuliere erinnere informiere danke "
    "call phone ring email e-mail mail text message meet ping thank visit invite ask contact "
    "congratulate see remind introduce tell write with to for from"
)
_CUES_AFTER_NAME: Final = _word_set(
    "anrufen zurückrufen schreiben anschreiben zurückschreiben treffen einladen kontaktieren "
    "besuchen fragen danken gratulieren mailen anmailen texten erinnern informieren "
    "antworten kennenlernen vorstellen sprechen sehen anpingen bescheid"
)
_DETERMINERS: Final = _word_set(
    "der die das den dem des ein eine einen einem einer mein meine meinen meinem unser "
    "unsere unseren the my our your his her their this that these those"
)
# Capitalised words that are not people: articles, sentence openers, common nouns.
_NOT_NAMES: Final = _word_set(
    "der die das den dem des ein eine einen einem einer mein meine meinen meinem unser "
    "unsere unseren ihr ihre ihren sein seine seinen dein deine ich du er sie es wir man "
    "bitte unbedingt nochmal noch mal endlich dringend kurz schnell auch dann wieder erst "
    "the a an my our your his her their this that these those i we you he she they it "
    "kaffee einladung termin treffen projekt angebot feedback team mittagessen essen "
    "frühstück firma meeting vortrag workshop konferenz event messe party geburtstag "
    "gespräch rückmeldung bewerbung empfehlung info infos unterlagen flyer folien mail "
    "e-mail nachricht brief karte geschenk dank danke glückwunsch glückwünsche anruf "
    "erinnerung absage zusage rechnung vertrag präsentation bericht newsletter linkedin "
    "xing coffee lunch dinner breakfast slides email call "
    # Day and time words are capitalised in German and never anyone's name here.
    "montag dienstag mittwoch donnerstag freitag samstag sonntag woche wochenende monat "
    "jahr tag morgen abend mittag nachmittag vormittag uhr januar februar märz "
    "juli september oktober november dezember monday tuesday wednesday "
    "thursday friday saturday sunday week weekend month year today tomorrow tonight "
    "january february march july october december feb mär mar sep sept okt oct nov dez dec"
)


def _is_name(word: str) -> bool:
    return (
        word[:1].isupper()
        and any(char.islower() for char in word)
        and word.casefold() not in _NOT_NAMES
        and word.casefold() not in _CUES_AFTER_NAME
        and word.casefold() not in _CUES_BEFORE_NAME  # "Mit Jana": "Mit" is no forename
    )


def find_contact(action: str) -> str | None:
    """Find the person in a commitment (heuristic in the module docstring), else None."""
    words = list(_WORD.finditer(action))
    for word in words:
        if word.group().startswith("@"):
            return word.group()
    folded = [word.group().casefold() for word in words]

    def name_at(index: int) -> bool:
        # After an article a capitalised word is a noun: "für das Mittwochsmeeting".
        return _is_name(words[index].group()) and not (
            index > 0 and folded[index - 1] in _DETERMINERS
        )

    def with_surname(index: int) -> str:
        first = last = index
        while (
            first > 0 and name_at(first - 1) and _adjacent(action, words[first - 1], words[first])
        ):
            first -= 1
        while (
            last + 1 < len(words)
            and name_at(last + 1)
            and _adjacent(action, words[last], words[last + 1])
        ):
            last += 1
        return action[words[first].start() : words[last].end()]

    for index in range(len(words)):
        cue_before = index > 0 and folded[index - 1] in _CUES_BEFORE_NAME
        cue_after = index + 1 < len(words) and folded[index + 1] in _CUES_AFTER_NAME
        if (cue_before or cue_after) and name_at(index):
            return with_surname(index)
    # German puts the verb last: "Tom für das Meeting danken", "Anna wegen X anrufen".
    verbs = [index for index, word in enumerate(folded) if word in _CUES_AFTER_NAME]
    for index in range(verbs[-1] if verbs else 0):
        if name_at(index):
            return with_surname(index)
    return None


def _adjacent(text: str, left: re.Match[str], right: re.Match[str]) -> bool:
    """Tell whether two words are separated by exactly one space ("Anna Schmidt")."""
    return text[left.end() : right.start()] == " "


def name_candidates(text: str, longest: int = 3) -> list[str]:
    """Every run of up to `longest` words that starts with a capital or "@", longest first.

    What a known contact's name could be inside a line; bounded by the line's length.
    """
    words = list(_WORD.finditer(text))
    runs: list[str] = []
    for size in range(longest, 0, -1):
        for start in range(len(words) - size + 1):
            first = words[start].group()
            if first[:1].isupper() or first.startswith("@"):
                runs.append(text[words[start].start() : words[start + size - 1].end()])
    return runs


@dataclass(frozen=True, slots=True)
class Word:
    """A word of a free text: whether it starts a sentence, and whether exactly one space
    separates it from the word before ("Anna Schmidt", not "Anna, Schmidt")."""

    text: str
    starts_sentence: bool
    after_space: bool


@dataclass(frozen=True, slots=True)
class WordRun:
    """Words `start` to `start + size - 1` of a text, joined by single spaces."""

    text: str
    start: int
    size: int


# Words no name begins or ends with: both languages' function words and a few frequent
# verbs and adverbs of what members write.
_NO_NAME_EDGES: Final = FUNCTION_WORDS | _word_set(
    "das war waren habe hat haben hatten bin heute gestern morgen lange mal gut sehr ganz "
    "gerade jetzt letzte letzten diese dieser woche schon leider wirklich endlich gesagt "
    "gesprochen getroffen gehört gemeldet angerufen geschrieben "
    "was had got met today yesterday week really still called talked heard"
)
# Lower-case words inside a name of several words ("Anna von Berg", "Ludwig van Beethoven").
_NAME_PARTICLES: Final = _word_set(
    "von van de der den vom zu zum zur del della di da du le la ten ter bin al"
)
_TOKEN = re.compile(r"@?[^\W\d_][\w'’.-]*|[.!?]")


def sentence_words(text: str) -> list[Word]:
    """The first `WORDS_LOOKED_AT` words, each with whether it starts a sentence."""
    words: list[Word] = []
    starts, previous_end = True, -1
    for token in _TOKEN.finditer(text[:_CHARACTERS_LOOKED_AT]):
        if token.group() in ".!?":
            starts = True
            continue
        after_space = text[previous_end : token.start()] == " "
        word = token.group().strip(".'’-")
        words.append(Word(word, starts, after_space))
        # "today. Great": a word's own full stop ends the sentence, "Dr. Weber" does not.
        starts = token.group().endswith(".") and len(word) > 1 and word.casefold() not in TITLES
        previous_end = token.end()
        if len(words) >= WORDS_LOOKED_AT:
            break
    return words


def name_runs(words: list[Word]) -> list[WordRun]:
    """Every run of up to `NAME_WORDS` words that may be a name, longest first.

    A run that begins or ends with a function word ("mit Anna", "Anna und") is no one's
    name, nor is a run of several words with one in lower case ("tom becker" finds a
    "Tom", not a "Tom Becker"; "Anna von Berg" is found): leaving those out keeps the
    lookup to a fraction of all runs.
    """
    usable = [bool(word.text) and word.text.casefold() not in _NO_NAME_EDGES for word in words]
    joins = [word.text[:1].isupper() or word.text in _NAME_PARTICLES for word in words]

    def name_like(start: int, size: int) -> bool:
        inside = words[start + 1 : start + size]
        return (
            usable[start]
            and usable[start + size - 1]
            and (size == 1 or all(joins[start : start + size]))
            and not any(word.starts_sentence for word in inside)
        )

    return [
        WordRun(" ".join(word.text for word in words[start : start + size]), start, size)
        for size in range(NAME_WORDS, 0, -1)
        for start in range(len(words) - size + 1)
        if name_like(start, size)
    ]


def offered_name(words: list[Word]) -> str | None:
    """A name in a free text worth offering as a new contact, else None.

    A title and the capitalised word after it ("Frau Weber", "Mr Patel"), or a common
    first name (`bot.domain.first_names`); in an English text a first name takes the
    capitalised word right after it as a surname ("Sarah Miller").
    """
    english: bool | None = None
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else None
        folded = word.text.casefold()
        if folded in TITLES and following is not None and _capitalised(following):
            return _short(f"{word.text} {following.text}")
        if not _capitalised(word) or folded not in FIRST_NAMES:
            continue
        if following is not None and _surname(following):
            if english is None:
                evidence = language_evidence(" ".join(w.text for w in words))
                english = evidence.markers["en"] > evidence.markers["de"]
            if english:
                return _short(f"{word.text} {following.text}")
        return _short(word.text)
    return None


def _capitalised(word: Word) -> bool:
    return word.text[:1].isupper() and any(char.islower() for char in word.text)


def _surname(word: Word) -> bool:
    return (
        word.after_space
        and not word.starts_sentence
        and _capitalised(word)
        and word.text.casefold() not in FIRST_NAMES
        and _is_name(word.text)
    )


def _short(name: str) -> str | None:
    return name if len(name) <= _OFFERED_LENGTH else None
