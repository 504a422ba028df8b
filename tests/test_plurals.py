"""Counts read as people say them: plural forms come from the catalogs, by CLDR rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from content.i18n import catalog, check_catalogs


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [
        ("de", 0, "nie"), ("de", 1, "einmal"), ("de", 2, "2-mal"),
        ("en", 0, "not once"), ("en", 1, "once"), ("en", 21, "21 times"),
    ],
)  # fmt: skip
def test_a_count_picks_its_form_by_the_languages_rules(
    language: str, count: int, expected: str
) -> None:
    assert catalog(language).plural("times", count) == expected


def test_whole_weeks_stay_weeks_and_one_is_not_every_1_days() -> None:
    from bot.screens.spans import cadence_phrase, span_phrase

    de, en = catalog("de"), catalog("en")
    assert cadence_phrase(de, 28) == "alle 4 Wochen" and cadence_phrase(de, 7) == "jede Woche"
    assert cadence_phrase(en, 1) == "every day" and cadence_phrase(en, 10) == "every 10 days"
    assert span_phrase(de, 1) == "einen Tag" and span_phrase(en, 14) == "2 weeks"


def test_whole_months_stay_months_as_the_three_months_button_sets_them() -> None:
    from bot.screens.spans import cadence_phrase, span_phrase

    de, en = catalog("de"), catalog("en")
    assert cadence_phrase(de, 90) == "alle 3 Monate" and cadence_phrase(de, 30) == "jeden Monat"
    assert cadence_phrase(en, 60) == "every 2 months" and span_phrase(en, 30) == "a month"
    assert span_phrase(de, 90) == "3 Monate"


def test_plural_forms_without_other_or_with_unknown_forms_are_refused(tmp_path: Path) -> None:
    (tmp_path / "de.yaml").write_text("times:\n  one: einmal\n", encoding="utf-8")
    (tmp_path / "en.yaml").write_text("times:\n  single: once\n  other: x\n", encoding="utf-8")
    problems = check_catalogs(tmp_path)
    assert len(problems) == 2 and all("plural forms with 'other'" in p for p in problems)
