"""◀ / ▶ buttons for a paged list; they carry only the page number to show."""

from __future__ import annotations

from bot.domain.paging import Page
from bot.screens.base import Button
from bot.screens.callbacks import encode
from content.i18n import catalog

__all__ = ["page_buttons", "page_line"]


def page_buttons(language: str, kind: str, page: Page) -> tuple[Button, ...]:
    """One row: back to the previous page, on to the next (only where there is one)."""
    t = catalog(language)
    row = []
    if page.has_previous:
        row.append(Button(t("button.previous_page"), encode(kind, page.number - 1)))
    if page.has_next:
        row.append(Button(t("button.next_page"), encode(kind, page.number + 1)))
    return tuple(row)


def page_line(language: str, page: Page) -> str:
    """ "Page 2 of 7", or nothing when everything fits on one page."""
    if page.count < 2:
        return ""
    return str(catalog(language)("paging.page", page=page.number + 1, pages=page.count))
