"""The buttons under a reflection's answer that are its own: a name offered as a new contact.

The contact's next steps under the answer are the contact page's buttons
(`handlers.contacts`).
"""

from __future__ import annotations

from telegram import Message, Update

from bot.domain import reflection_answers
from bot.screens import reflection_answers as screens
from bot.screens.callbacks import number, parse
from bot.telegram_out import edit_screen
from handlers.context import Context, identity_of
from handlers.fallback import answer_press

__all__ = ["new_contact_button"]


async def new_contact_button(update: Update, context: Context) -> None:
    """ "New contact: Lisa?" asks; yes makes Lisa a contact (with next steps); no leaves it."""
    query = update.callback_query
    callback = parse(query.data if query else None)
    reflection_id = number(callback.argument) if callback is not None else None
    if query is None or callback is None or reflection_id is None:
        await answer_press(update, context, accepted=False)
        return
    runtime, who = context.bot_data.runtime, identity_of(update)
    if callback.kind == screens.ADD:
        offer = await reflection_answers.add_offered_contact(runtime, who, reflection_id)
    else:
        offer = await reflection_answers.offer_new_contact(runtime, who, reflection_id)
    await answer_press(update, context, accepted=offer is not None)
    if offer is None or not isinstance(query.message, Message):
        return
    if callback.kind == screens.DECLINE:
        await edit_screen(query.message, screens.declined_screen(offer.member))
    else:
        await edit_screen(query.message, screens.new_contact_screen(offer))
