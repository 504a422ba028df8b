"""Making a commitment step by step: what the member is offered and what is kept."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain import commitments
from bot.domain.commitments import Ask
from bot.domain.members import Identity
from bot.domain.runtime import Runtime
from tests.support.members import add_members

LATER = datetime(2030, 1, 1, tzinfo=UTC)


async def test_a_suggested_step_about_a_person_says_jemanden_never_a_placeholder(
    runtime: Runtime,
) -> None:
    await add_members(runtime, [7], language="de", next_prompt_at=LATER)
    who = Identity(7, 7, "de")
    intro = runtime.curriculum.intro.text("de")

    assert await commitments.start_guided(runtime, who) is not None
    what = await commitments.choose_contact(runtime, who, 0)

    assert what is not None and what.ask is Ask.WHAT
    # No prompt was sent yet, so the intro card's actions are offered, all of them.
    assert len(what.suggestions) == len(intro.actions)
    assert "Jemanden fragen, wie es geht" in what.suggestions
    assert not any("{" in label or "}" in label for label in what.suggestions)

    index = what.suggestions.index("Jemanden fragen, wie es geht")
    when = await commitments.choose_action(runtime, who, index)
    assert when is not None and when.ask is Ask.WHEN
    made = await commitments.choose_due(runtime, who, "tomorrow")

    assert made is not None and made.created is not None
    assert made.created.action == "Jemanden fragen, wie es geht"
