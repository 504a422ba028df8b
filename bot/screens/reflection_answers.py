"""The answer under a kept reflection, and the question about a name it offered.

Two or three lines: the receipt (first, and never with anything the member wrote in it,
so a notification's preview shows none of it), what the member's data says about the
contact the reflection names, and the week's principle or rule. A known contact gets the
buttons of its own page (`pm`, `pc`, `pr`: a meeting, a commitment, check-ins); a name
that is no contact yet gets "new contact: Lisa?" (`ra`), which asks before anything is
made (`ry` yes, `rn` no). Every button names a row, so it works after a restart and is
refused kindly once that row is gone or someone else's.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.members import Member
from bot.domain.reflection_answers import MentionedContact, NewContactOffer, ReflectionAnswer
from bot.screens.base import Button, Screen
from bot.screens.callbacks import encode
from bot.screens.contact_page import CADENCE, COMMIT, MET
from bot.screens.fitting import shorten
from bot.screens.limits import limit_screen
from content.i18n import Catalog, Markup, catalog

__all__ = [
    "ADD",
    "BUTTON_KINDS",
    "DECLINE",
    "OFFER",
    "answer_screen",
    "contact_steps",
    "declined_screen",
    "new_contact_screen",
]

OFFER = "ra"
ADD = "ry"
DECLINE = "rn"
BUTTON_KINDS = (OFFER, ADD, DECLINE)
# Names are at most 64 characters; on a button they are cut for a phone's screen.
_NAME_UNITS = 64
_LABEL_UNITS = 40
_WEEKS_FROM_DAY = 14
_MONTHS_FROM_DAY = 60


def contact_steps(language: str, contact_id: int) -> tuple[tuple[Button, ...], ...]:
    """A meeting, a commitment, check-ins: the contact page's own buttons."""
    t = catalog(language)
    return (
        (
            Button(t("button.contact_met"), encode(MET, contact_id)),
            Button(t("button.contact_commit"), encode(COMMIT, contact_id)),
        ),
        (Button(t("button.contact_cadence"), encode(CADENCE, contact_id)),),
    )


def _days_between(member: Member, moment: datetime, now: datetime) -> int:
    """Calendar days from `moment` to `now` in the member's zone."""
    zone = ZoneInfo(member.timezone or "UTC")
    return max(0, (now.astimezone(zone).date() - moment.astimezone(zone).date()).days)


def _ago(t: Catalog, member: Member, moment: datetime, now: datetime) -> str:
    """ "heute", "vor 3 Tagen", "vor 6 Wochen": days counted in the member's zone."""
    days = _days_between(member, moment, now)
    if days == 0:
        return t("ago.today")
    if days == 1:
        return t("ago.yesterday")
    if days < _WEEKS_FROM_DAY:
        return t.plural("ago.days", days)
    if days < _MONTHS_FROM_DAY:
        return t.plural("ago.weeks", days // 7)
    return t.plural("ago.months", days // 30)


def _contact_line(t: Catalog, member: Member, contact: MentionedContact, now: datetime) -> str:
    name = shorten(contact.name, _NAME_UNITS)
    if contact.last_interaction_at is None:
        line = t("reflection.contact_never", contact=name)
    elif _days_between(member, contact.last_interaction_at, now) == 0:
        line = t("reflection.contact_today", contact=name)
    else:
        ago = _ago(t, member, contact.last_interaction_at, now)
        line = t("reflection.contact_last", contact=name, ago=ago)
    if contact.open_commitments:
        line = Markup(f"{line} {t.plural('reflection.contact_open', contact.open_commitments)}")
    return line


def _theme_line(t: Catalog, theme: str, title: str) -> str:
    key = f"reflection.theme.{theme}"
    return t(key) if key in t else t("reflection.theme_other", title=title)


def answer_screen(member: Member, answer: ReflectionAnswer) -> Screen:
    """The receipt; for a text with something in it, the contact or new name and the theme."""
    t = catalog(member.language)
    receipt = t.plural(f"reflection.receipt.{answer.receipt}", answer.count)
    if not answer.substantial:
        return Screen(receipt)
    lines: list[str] = [receipt]
    buttons: tuple[tuple[Button, ...], ...] = ()
    if answer.contact is not None:
        lines.append(_contact_line(t, member, answer.contact, answer.now))
        buttons = contact_steps(member.language, answer.contact.id)
    elif answer.new_name is not None:
        lines.append(t("reflection.new_name", contact=shorten(answer.new_name, _NAME_UNITS)))
        label = t("button.reflection_new_contact", contact=shorten(answer.new_name, _LABEL_UNITS))
        buttons = ((Button(label, encode(OFFER, answer.reflection_id)),),)
    lines.append(_theme_line(t, answer.theme, answer.card_title))
    return Screen(Markup("\n".join(lines)), buttons=buttons)


def new_contact_screen(offer: NewContactOffer) -> Screen:
    """Ask about the offered name; once it is a contact, its next steps; or the limit."""
    member = offer.member
    if offer.limit is not None:
        return limit_screen(member.language, offer.limit)
    t = catalog(member.language)
    name = shorten(offer.name, _NAME_UNITS)
    if offer.contact_id is not None:
        key = "reflection.new_contact_made" if offer.created else "reflection.new_contact_known"
        steps = contact_steps(member.language, offer.contact_id)
        return Screen(t(key, contact=name), buttons=steps)
    yes = Button(t("button.new_contact_yes"), encode(ADD, offer.reflection_id))
    no = Button(t("button.new_contact_no"), encode(DECLINE, offer.reflection_id))
    return Screen(t("reflection.new_contact_ask", contact=name), buttons=((yes, no),))


def declined_screen(member: Member) -> Screen:
    """No new contact, as the member said."""
    return Screen(catalog(member.language)("reflection.new_contact_declined"))
