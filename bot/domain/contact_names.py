"""Who a commitment is about: the contact's name inside one line of German or English.

Heuristic: an `@username` anywhere wins; otherwise the first capitalised, name-like word
right after a cue ("mit", "an", "bei", "für", "call", "email", "with", "to", …) or right
before a German verb ("anrufen", "schreiben", "treffen", …), plus a directly adjacent
capitalised word as a surname. German capitalises nouns too, so capitalisation alone
never makes a contact: no cue, no contact (None).
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["find_contact", "name_candidates"]


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
