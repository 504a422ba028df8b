"""Screens for `/export` and `/delete`."""

from __future__ import annotations

from bot.screens.base import Button, Screen
from bot.screens.callbacks import encode
from content.i18n import catalog

__all__ = [
    "CANCEL",
    "CONFIRM",
    "DELETE",
    "delete_asked",
    "delete_cancelled",
    "delete_done",
    "export_caption",
    "privacy_screen",
]

DELETE = "dl"
CONFIRM = "yes"
CANCEL = "no"


def delete_asked(language: str) -> Screen:
    """Ask once more before deleting everything."""
    t = catalog(language)
    return Screen(
        t("delete.ask"),
        buttons=(
            (
                Button(t("button.delete_confirm"), encode(DELETE, CONFIRM)),
                Button(t("button.delete_cancel"), encode(DELETE, CANCEL)),
            ),
        ),
    )


def delete_done(language: str) -> Screen:
    """The last message after deletion."""
    return Screen(catalog(language)("delete.done"))


def delete_cancelled(language: str) -> Screen:
    """Nothing was deleted."""
    return Screen(catalog(language)("delete.cancelled"))


def export_caption(language: str, kind: str) -> str:
    """Caption of the JSON (`json`) or Markdown (`markdown`) export file."""
    return str(catalog(language)(f"export.caption_{kind}"))


def privacy_screen(
    language: str, *, encrypted: bool, retention_days: int | None, draft_days: int
) -> Screen:
    """What is stored, why, who sees it, how it is protected and for how long."""
    t = catalog(language)
    retention = (
        t("privacy.retention_days", days=retention_days)
        if retention_days
        else t("privacy.retention_off")
    )
    encryption = t("privacy.encrypted") if encrypted else t("privacy.not_encrypted")
    drafts = t("privacy.drafts", days=draft_days)
    return Screen(
        "\n\n".join((t("privacy.text"), encryption, retention, drafts, t("privacy.commands")))
    )
