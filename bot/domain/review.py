"""Weekly review, progress picture data and streaks: what a member has actually practised.

Everything here is counted from the database and returned as plain data; the screens
decide the words and the charts draw the numbers. Weeks are calendar weeks (Monday to
Sunday) in the member's own time zone. Evidence for a principle or rule is a reflection
on one of its cards, a commitment made from one of its cards, or such a commitment kept.

The review names what it counts where that helps: the commitments waiting longest past
their due date, the contacts due for a check-in, and a line of the week's latest
reflection (in a private chat only). `week` numbers the calendar weeks, so the screens can
word each week's review differently from the one before.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.members import Identity, Member, member_from_row
from bot.domain.runtime import Runtime
from content.cards import Card, Curriculum
from storage.commitments import overdue_commitments
from storage.models import CommitmentStatus, ReviewPlacement, User
from storage.progress import (
    commitment_rows,
    contacts_due_between,
    reflection_rows,
)
from storage.reflections import latest_reflection_between
from storage.unreadable import is_unreadable
from storage.users import get_user_by_telegram_id

__all__ = [
    "COVERAGE_KINDS",
    "GAP_WORTH_MENTIONING",
    "MAX_CHECKINS_LISTED",
    "MAX_OVERDUE_LISTED",
    "STREAK_WORTH_MENTIONING",
    "WEEKS_SHOWN",
    "CommitmentFact",
    "History",
    "Named",
    "OverdueCommitment",
    "ProgressPicture",
    "ReviewResult",
    "ThemeCoverage",
    "ThemeGap",
    "WeekTally",
    "WeeklyReview",
    "build_review",
    "coverage_themes",
    "least_recent_theme",
    "load_history",
    "load_named",
    "progress_picture",
    "review_for_member",
    "set_review_placement",
    "streak_weeks",
    "theme_coverage",
    "week_number",
    "week_start",
    "weekly_review",
    "weekly_tallies",
]

WEEKS_SHOWN = 12
# A principle untouched this long is worth a word in the weekly review.
GAP_WORTH_MENTIONING = timedelta(weeks=4)
# A streak is mentioned from this many weeks on; a broken one never is.
STREAK_WORTH_MENTIONING = 2
MAX_CHECKINS_LISTED = 3
MAX_OVERDUE_LISTED = 2
COVERAGE_KINDS = ("principle", "rule")
_WEEK = timedelta(weeks=1)


@dataclass(frozen=True, slots=True)
class CommitmentFact:
    """The parts of a commitment a review counts."""

    card_key: str | None
    status: CommitmentStatus
    created_at: datetime
    closed_at: datetime | None = None
    renegotiated_at: datetime | None = None

    @property
    def kept_at(self) -> datetime | None:
        """When it was kept, if it was."""
        return self.closed_at if self.status is CommitmentStatus.DONE else None


@dataclass(frozen=True, slots=True)
class History:
    """A member's reflections (card key, moment) and commitments, oldest first."""

    reflections: tuple[tuple[str, datetime], ...] = ()
    commitments: tuple[CommitmentFact, ...] = ()


@dataclass(frozen=True, slots=True)
class WeekTally:
    """One calendar week: commitments kept in it and still open at its end (or now)."""

    start: date
    kept: int
    open: int


@dataclass(frozen=True, slots=True)
class ThemeCoverage:
    """One principle or rule: evidence in the shown weeks, and its latest evidence ever.

    `card` is the theme's first card, whose title names the theme when the catalog has no
    short name for it.
    """

    theme: str
    card: Card
    reflections: int
    commitments: int
    last_evidence_at: datetime | None


@dataclass(frozen=True, slots=True)
class ThemeGap:
    """The principle or rule with the least recent evidence; `weeks` None means never."""

    theme: str
    card: Card
    weeks: int | None


@dataclass(frozen=True, slots=True)
class OverdueCommitment:
    """An open commitment past its due date: which, what, with whom, due when."""

    commitment_id: int
    action: str
    contact: str | None
    due_at: datetime


@dataclass(frozen=True, slots=True)
class Named:
    """What the review names besides its counts, read from the member's own texts.

    `overdue`: the open commitments longest past due (and how many more there are);
    `quote`: the week's latest reflection (None outside a private chat, or when none).
    """

    overdue: tuple[OverdueCommitment, ...] = ()
    more_overdue: int = 0
    quote: str | None = None


@dataclass(frozen=True, slots=True)
class WeeklyReview:
    """The seven days before the weekly prompt, and the week ahead."""

    reflections: int
    kept: int
    renegotiated: int
    released: int
    open: int
    checkins: tuple[str, ...]
    more_checkins: int
    gap: ThemeGap | None
    streak: int
    # The moment it is for, its calendar week (`week_number`) and the zone of its dates.
    now: datetime
    week: int
    timezone: str
    named: Named = Named()

    @property
    def is_empty(self) -> bool:
        """Nothing worth a line."""
        return not (
            self.reflections
            or self.kept
            or self.renegotiated
            or self.released
            or self.open
            or self.checkins
            or self.gap
            or self.streak >= STREAK_WORTH_MENTIONING
            or self.named.overdue
            or self.named.quote
        )


@dataclass(frozen=True, slots=True)
class ProgressPicture:
    """What `/review` draws: weeks of kept vs open commitments, and principle coverage."""

    weeks: tuple[WeekTally, ...]
    coverage: tuple[ThemeCoverage, ...]
    streak: int

    @property
    def has_data(self) -> bool:
        """Anything at all to draw."""
        return any(w.kept or w.open for w in self.weeks) or any(
            c.reflections or c.commitments for c in self.coverage
        )


@dataclass(frozen=True, slots=True)
class ReviewResult:
    """`/review`: the member, this week's review (None: nothing to say) and the picture."""

    member: Member
    review: WeeklyReview | None
    picture: ProgressPicture
    now: datetime


def week_start(moment: datetime, timezone: str) -> date:
    """The Monday of the member's local calendar week that holds `moment`."""
    local = moment.astimezone(ZoneInfo(timezone)).date()
    return local - timedelta(days=local.weekday())


def week_number(moment: datetime, timezone: str) -> int:
    """The member's calendar week holding `moment`, counted from a fixed Monday: one more
    each week, so two reviews in a row never share it."""
    return week_start(moment, timezone).toordinal() // 7


def _local_midnight(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(), tzinfo=ZoneInfo(timezone))


def weekly_tallies(
    history: History, now: datetime, timezone: str, weeks: int = WEEKS_SHOWN
) -> tuple[WeekTally, ...]:
    """The last `weeks` calendar weeks, oldest first, the current (unfinished) one last."""
    current = week_start(now, timezone)
    tallies: list[WeekTally] = []
    for back in range(weeks - 1, -1, -1):
        start_day = current - timedelta(weeks=back)
        start = _local_midnight(start_day, timezone)
        # Nothing happens after now, so the current week's end works as "now" too.
        end = _local_midnight(start_day + timedelta(weeks=1), timezone)
        kept = sum(
            1 for c in history.commitments if c.kept_at is not None and start <= c.kept_at < end
        )
        still_open = sum(
            1
            for c in history.commitments
            if c.created_at < end and (c.closed_at is None or c.closed_at >= end)
        )
        tallies.append(WeekTally(start_day, kept, still_open))
    return tuple(tallies)


def coverage_themes(curriculum: Curriculum) -> dict[str, list[Card]]:
    """Principle and rule themes in curriculum order, each with its cards."""
    themes: dict[str, list[Card]] = {}
    for card in curriculum:
        if card.kind in COVERAGE_KINDS:
            themes.setdefault(card.theme, []).append(card)
    return themes


def _evidence(history: History) -> Iterable[tuple[str, datetime]]:
    """(card key, moment) of every piece of evidence."""
    yield from history.reflections
    for c in history.commitments:
        if c.card_key is None:
            continue
        yield c.card_key, c.created_at
        if c.kept_at is not None:
            yield c.card_key, c.kept_at


def theme_coverage(
    curriculum: Curriculum, history: History, since: datetime
) -> tuple[ThemeCoverage, ...]:
    """Reflections and commitments per principle or rule since `since`, and latest evidence."""
    card_theme = {card.key: card.theme for card in curriculum}
    last: dict[str, datetime] = {}
    for key, at in _evidence(history):
        theme = card_theme.get(key)
        if theme is not None and (theme not in last or at > last[theme]):
            last[theme] = at
    coverage = []
    for theme, theme_cards in coverage_themes(curriculum).items():
        cards = {card.key for card in theme_cards}
        reflections = sum(1 for key, at in history.reflections if key in cards and at >= since)
        commitments = sum(
            1 for c in history.commitments if c.card_key in cards and c.created_at >= since
        )
        coverage.append(
            ThemeCoverage(theme, theme_cards[0], reflections, commitments, last.get(theme))
        )
    return tuple(coverage)


def least_recent_theme(
    coverage: Sequence[ThemeCoverage], now: datetime, first_evidence_at: datetime | None
) -> ThemeGap | None:
    """The principle or rule untouched longest, if that is long enough to mention.

    Never-touched themes come first (in curriculum order), but only once the member has
    been practising for a while; a member with no evidence at all gets nothing.
    """
    if first_evidence_at is None or not coverage:
        return None
    never = [c for c in coverage if c.last_evidence_at is None]
    if never:
        if now - first_evidence_at < GAP_WORTH_MENTIONING:
            return None
        return ThemeGap(never[0].theme, never[0].card, None)
    oldest = min(coverage, key=lambda c: c.last_evidence_at or now)
    assert oldest.last_evidence_at is not None
    gap = now - oldest.last_evidence_at
    if gap < GAP_WORTH_MENTIONING:
        return None
    return ThemeGap(oldest.theme, oldest.card, gap // _WEEK)


def _active_weeks(history: History, timezone: str) -> set[date]:
    """Calendar weeks with a reflection or a kept commitment."""
    weeks = {week_start(at, timezone) for _, at in history.reflections}
    weeks |= {week_start(c.kept_at, timezone) for c in history.commitments if c.kept_at}
    return weeks


def streak_weeks(history: History, now: datetime, timezone: str) -> int:
    """Weeks in a row with a reflection or a kept commitment, up to this week.

    The current week counts when it already has something; when it has nothing yet the
    streak up to last week still stands (the week is not over).
    """
    active = _active_weeks(history, timezone)
    week = week_start(now, timezone)
    if week not in active:
        week -= _WEEK
    streak = 0
    while week in active:
        streak += 1
        week -= _WEEK
    return streak


def _first_evidence(history: History, curriculum: Curriculum) -> datetime | None:
    themed = {card.key for cards in coverage_themes(curriculum).values() for card in cards}
    moments = [at for key, at in _evidence(history) if key in themed]
    return min(moments, default=None)


def weekly_review(
    curriculum: Curriculum,
    history: History,
    checkins: Sequence[str],
    now: datetime,
    timezone: str,
    named: Named = Named(),
) -> WeeklyReview | None:
    """The review for the seven days up to `now`; None when there is nothing to say.

    `checkins` are the names of contacts whose check-in falls in the coming week;
    `named` what else it names (see `load_named`).
    """
    since = now - _WEEK
    commitments = history.commitments

    def closed_in_window(status: CommitmentStatus) -> int:
        return sum(
            1
            for c in commitments
            if c.status is status and c.closed_at is not None and since < c.closed_at <= now
        )

    coverage = theme_coverage(curriculum, history, now - WEEKS_SHOWN * _WEEK)
    review = WeeklyReview(
        reflections=sum(1 for _, at in history.reflections if since < at <= now),
        kept=closed_in_window(CommitmentStatus.DONE),
        renegotiated=sum(
            1
            for c in commitments
            if c.renegotiated_at is not None
            and since < c.renegotiated_at <= now
            and c.status is CommitmentStatus.OPEN
        ),
        released=closed_in_window(CommitmentStatus.RELEASED),
        open=sum(1 for c in commitments if c.status is CommitmentStatus.OPEN),
        checkins=tuple(checkins[:MAX_CHECKINS_LISTED]),
        more_checkins=max(0, len(checkins) - MAX_CHECKINS_LISTED),
        gap=least_recent_theme(coverage, now, _first_evidence(history, curriculum)),
        streak=streak_weeks(history, now, timezone),
        named=named,
        now=now,
        week=week_number(now, timezone),
        timezone=timezone,
    )
    return None if review.is_empty else review


def progress_picture(
    curriculum: Curriculum, history: History, now: datetime, timezone: str
) -> ProgressPicture:
    """The numbers `/review` draws: the last twelve weeks."""
    weeks = weekly_tallies(history, now, timezone)
    since = _local_midnight(weeks[0].start, timezone)
    return ProgressPicture(
        weeks=weeks,
        coverage=theme_coverage(curriculum, history, since),
        streak=streak_weeks(history, now, timezone),
    )


async def load_history(session: AsyncSession, user_id: int) -> History:
    """Everything a review counts for one member (no texts, nothing decrypted)."""
    reflections = tuple(await reflection_rows(session, user_id))
    commitments = tuple(CommitmentFact(*row) for row in await commitment_rows(session, user_id))
    return History(reflections, commitments)


async def load_named(
    session: AsyncSession, user: User, now: datetime, leaving_out: Collection[int] = ()
) -> Named:
    """The commitments longest overdue (but those in `leaving_out`) and, in a private chat,
    the week's latest reflection.

    A reflection that cannot be read (a removed key) is not quoted.
    """
    overdue, total = await overdue_commitments(
        session, user.id, now, MAX_OVERDUE_LISTED, leaving_out=leaving_out
    )
    quote = None
    # Private chats have the member's own (positive) id; a group's is negative.
    if user.chat_id > 0:
        latest = await latest_reflection_between(session, user.id, now - _WEEK, now)
        if latest is not None and latest.text and not is_unreadable(latest.text):
            quote = latest.text
    return Named(
        overdue=tuple(OverdueCommitment(*row) for row in overdue),
        more_overdue=max(0, total - len(overdue)),
        quote=quote,
    )


async def build_review(
    session: AsyncSession,
    curriculum: Curriculum,
    user: User,
    now: datetime,
    *,
    leaving_out: Collection[int] = (),
) -> WeeklyReview | None:
    """The weekly review for a member at their prompt, inside the caller's session.

    Commitments in `leaving_out` are not named (follow-ups beside it ask about them).
    """
    timezone = user.timezone or "UTC"
    history = await load_history(session, user.id)
    contacts = await contacts_due_between(session, user.id, now, now + _WEEK)
    named = await load_named(session, user, now, leaving_out)
    return weekly_review(curriculum, history, [c.name for c in contacts], now, timezone, named)


async def review_for_member(runtime: Runtime, who: Identity) -> ReviewResult | None:
    """`/review`: this week's review and the picture; None for someone not yet a member."""
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        user = await get_user_by_telegram_id(session, who.telegram_id)
        if user is None:
            return None
        timezone = user.timezone or "UTC"
        history = await load_history(session, user.id)
        contacts = await contacts_due_between(session, user.id, now, now + _WEEK)
        named = await load_named(session, user, now)
        review = weekly_review(
            runtime.curriculum, history, [c.name for c in contacts], now, timezone, named
        )
        picture = progress_picture(runtime.curriculum, history, now, timezone)
        return ReviewResult(member_from_row(user), review, picture, now)


async def set_review_placement(runtime: Runtime, who: Identity, placement: str) -> Member | None:
    """Put the weekly review inside the prompt or in a message of its own.

    None (and nothing changed) for an unknown choice or someone not yet a member.
    """
    try:
        chosen = ReviewPlacement(placement)
    except ValueError:
        return None
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, who.telegram_id)
        if user is None:
            return None
        user.review_placement = chosen
        user.updated_at = runtime.clock.now()
        return member_from_row(user)
