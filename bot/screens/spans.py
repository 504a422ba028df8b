"""Lengths of time and counts as members say them, with the catalog's plural forms."""

from __future__ import annotations

from content.i18n import Catalog, Markup

__all__ = ["cadence_phrase", "span_phrase", "times_phrase"]


def _unit(days: int) -> tuple[str, int]:
    """Months when the days make whole months of 30 ("alle 3 Monate" stays months), weeks
    when they make whole weeks ("alle 4 Wochen" stays weeks), else days."""
    for unit, size in (("months", 30), ("weeks", 7)):
        if days % size == 0:
            return unit, days // size
    return "days", days


def cadence_phrase(t: Catalog, days: int) -> Markup:
    """How often: "alle 4 Wochen", "jeden Tag", "every 3 months"."""
    unit, count = _unit(days)
    return t.plural(f"cadence.{unit}", count)


def span_phrase(t: Catalog, days: int) -> Markup:
    """How long: "4 Wochen", "einen Tag", "3 months"."""
    unit, count = _unit(days)
    return t.plural(f"span.{unit}", count)


def times_phrase(t: Catalog, count: int) -> Markup:
    """How often something happened: "nie", "einmal", "3-mal"; "not once", "once"."""
    return t.plural("times", count)
