"""Screens for operators: the statistics, the broadcast preview, and a broadcast itself."""

from __future__ import annotations

from bot.domain.admin import NetworkStats
from bot.domain.broadcasts import MAX_BROADCAST_LENGTH, BroadcastMessage, BroadcastPreview
from bot.screens.base import Button, Screen
from bot.screens.callbacks import encode
from bot.settings import MAX_NETWORKS
from content.i18n import catalog
from storage.models import UserStatus

__all__ = [
    "BROADCAST",
    "CANCEL",
    "SEND",
    "broadcast_cancelled",
    "broadcast_preview",
    "broadcast_queued",
    "broadcast_screen",
    "broadcast_usage",
    "stats_screen",
]

BROADCAST = "bc"
SEND = "send"
CANCEL = "cancel"


def stats_screen(stats: NetworkStats, language: str) -> Screen:
    """Aggregates only: counts, weekly numbers, the share of commitments kept."""
    t = catalog(language)
    share = round(100 * stats.kept / stats.judged) if stats.judged else 0
    lines = [
        t("admin.stats_title"),
        t(
            "admin.stats_members",
            total=stats.total_members,
            active=stats.members[UserStatus.ACTIVE],
            paused=stats.members[UserStatus.PAUSED],
            blocked=stats.members[UserStatus.BLOCKED],
        ),
        t("admin.stats_active", count=stats.active_this_week),
        t("admin.stats_reflections", weeks=" · ".join(map(str, stats.reflections_per_week))),
        t("admin.stats_commitments", weeks=" · ".join(map(str, stats.commitments_per_week))),
        t("admin.stats_kept", kept=stats.kept, judged=stats.judged, share=share)
        if stats.judged
        else t("admin.stats_kept_none"),
    ]
    if stats.networks:
        lines.append(t("admin.stats_networks"))
        shown = stats.networks[:MAX_NETWORKS]
        lines += [
            t("admin.stats_network", code=n.code, members=n.shown_members, active=n.shown_active)
            for n in shown
        ]
        if len(stats.networks) > len(shown):
            more = len(stats.networks) - len(shown)
            lines.append(t("admin.stats_networks_more", count=more))
    return Screen("\n".join(lines))


def broadcast_usage(language: str) -> Screen:
    """How to use /broadcast."""
    return Screen(catalog(language)("admin.broadcast_usage"))


def broadcast_preview(preview: BroadcastPreview) -> Screen:
    """The message as members will see it, with send and cancel buttons."""
    t = catalog(preview.language)
    if preview.too_long:
        return Screen(t("admin.broadcast_too_long", limit=MAX_BROADCAST_LENGTH))
    text = t("admin.broadcast_preview", count=preview.recipients, text=preview.text)
    buttons = (
        (
            Button(t("button.broadcast_send", count=preview.recipients), encode(BROADCAST, SEND)),
            Button(t("button.broadcast_cancel"), encode(BROADCAST, CANCEL)),
        ),
    )
    return Screen(text, buttons=buttons)


def broadcast_queued(language: str, recipients: int | None) -> Screen:
    """The broadcast is on its way (or there was nothing to send)."""
    t = catalog(language)
    if recipients is None:
        return Screen(t("admin.broadcast_nothing"))
    return Screen(t("admin.broadcast_queued", count=recipients))


def broadcast_cancelled(language: str) -> Screen:
    """Nothing was sent."""
    return Screen(catalog(language)("admin.broadcast_cancelled"))


def broadcast_screen(message: BroadcastMessage) -> Screen:
    """What members receive: the operator's words, marked as coming from the operator."""
    return Screen(catalog(message.language)("broadcast.message", text=message.text))
