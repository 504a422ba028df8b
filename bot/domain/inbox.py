"""Where a member's free text goes: a reply to a prompt, the open question, or nowhere."""

from __future__ import annotations

from bot.domain import commitments, contact_page, drafts, onboarding, reflections
from bot.domain.cancelling import Cancelled, cancel_flow, is_cancel_word
from bot.domain.commitments import CommitStep
from bot.domain.contact_page import ContactChanged
from bot.domain.drafts import DraftExpired
from bot.domain.known_members import recall_member
from bot.domain.members import Identity
from bot.domain.onboarding import FlowOutcome
from bot.domain.reflections import ReflectionSaved
from bot.domain.runtime import Runtime

__all__ = ["handle_text"]


async def handle_text(
    runtime: Runtime,
    who: Identity,
    text: str,
    *,
    reply_to_message_id: int | None = None,
    message_id: int | None = None,
) -> FlowOutcome | ReflectionSaved | CommitStep | ContactChanged | DraftExpired | Cancelled | None:
    """Route free text; None when nothing was waiting for it.

    A reply to a prompt is a reflection on that prompt, whatever else is open. Otherwise
    the open question of onboarding or settings takes it, then an open commitment
    question (who, what, by when), a contact's new name, then an open reflection; text
    written into a draft that expired is told so. A member known to have no flow open is
    answered without reading anything more. "abbrechen"/"cancel" leaves the open flow,
    nothing saved.
    """
    if reply_to_message_id is None:
        known = await recall_member(runtime, who)
        if known is not None and not known.in_flow:
            return None
        if is_cancel_word(text):
            return await cancel_flow(runtime, who)
    else:
        saved = await reflections.save_reflection(
            runtime, who, text, reply_to_message_id=reply_to_message_id, message_id=message_id
        )
        if saved is not None:
            return saved
    outcome = await onboarding.answer_text(runtime, who, text)
    if outcome is not None:
        return outcome
    step = await commitments.answer_text(runtime, who, text)
    if step is not None:
        return step
    renamed = await contact_page.answer_text(runtime, who, text)
    if renamed is not None:
        return renamed
    saved = await reflections.save_reflection(runtime, who, text, message_id=message_id)
    if saved is not None:
        return saved
    return await drafts.expired_draft(runtime, who)
