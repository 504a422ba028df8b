"""Stories that make commitments and log meetings as a member who says yes to new names.

A new contact is created only once the member confirms its name ("new contact: Ben?");
these helpers press that yes, for stories about something else.
"""

from __future__ import annotations

from bot.domain import commitments, contacts
from bot.domain.commitments import Ask, CommitStep
from bot.domain.contacts import CadenceResult, MetResult
from bot.domain.members import Identity
from bot.domain.runtime import Runtime
from content.i18n import LANGUAGES, catalog
from simulator import SimMessage, SimUser
from tests.support.harness import chat, edited

__all__ = ["cadence_saying_yes", "chat_saying_yes", "commit_saying_yes", "met_saying_yes"]

_YES = {catalog(language).raw("button.new_contact_yes") for language in LANGUAGES}


async def commit_saying_yes(runtime: Runtime, who: Identity, line: str) -> CommitStep | None:
    """`/commit <line>`, confirming a new contact's name when asked."""
    step = await commitments.commit_line(runtime, who, line)
    if step is not None and step.ask is Ask.NEW_CONTACT:
        step = await commitments.confirm_contact(runtime, who, "yes")
    return step


async def met_saying_yes(runtime: Runtime, who: Identity, text: str) -> MetResult | None:
    """`/met <text>`, confirming a new contact's name when asked."""
    result = await contacts.met(runtime, who, text)
    if result is not None and result.new_contact is not None:
        result = await contacts.confirm_met(runtime, who)
    return result


async def cadence_saying_yes(runtime: Runtime, who: Identity, text: str) -> CadenceResult | None:
    """`/contact <text>` with a cadence, confirming a new contact's name when asked."""
    result = await contacts.set_cadence(runtime, who, text)
    if result is not None and result.new_contact is not None:
        result = await contacts.confirm_cadence(runtime, who)
    return result


async def chat_saying_yes(user: SimUser, text: str) -> SimMessage:
    """Send `text` through Telegram; if the bot asks about a new name, press yes."""
    (reply,) = await chat(user, text)
    yes = [b.text for b in reply.buttons if b.text in _YES]
    if not yes:
        return reply
    await user.press(reply, yes[0])
    if text.startswith(("/met", "/contact")):  # the question becomes the confirmation
        return await edited(user, reply)
    return await user.next_message()
