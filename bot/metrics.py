"""The bot's Prometheus metrics, kept in a registry the application owns.

Each application has its own `CollectorRegistry` (not prometheus-client's global one), so
several bots in one process (tests, the demo) count apart. Things are counted where they
happen: a send's outcome where its answer comes back (the dispatcher for deliveries, the
rate limiter for replies), an update's time where it is handled, a tick where it fires;
the members gauge is set by the health monitor's periodic refresh, never by a scrape.
"""

from __future__ import annotations

import enum

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from storage.models import DeliveryKind, UserStatus
from storage.unreadable import UnreadableReport

__all__ = [
    "DIGEST",
    "METRICS_CONTENT_TYPE",
    "REPLY",
    "SEND_KINDS",
    "Metrics",
    "SendResult",
    "WebhookRejection",
    "send_result",
]

METRICS_CONTENT_TYPE = CONTENT_TYPE_LATEST
# The kind label of messages sent in answer to a member (not a delivery row).
REPLY = "reply"
# The kind label of a member's digest: several deliveries in one message.
DIGEST = "digest"
SEND_KINDS = (*(kind.value for kind in DeliveryKind), DIGEST, REPLY)

# Seconds; a weekly slot missed while the bot was down lands in the top buckets.
_LAG_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 6 * 3600, 24 * 3600)
_RUN_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600)
_UPDATE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

# `_created` series double every counter's series and nobody here reads them; the switch
# is prometheus-client's and process-wide, which is what a bot process wants anyway.
disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped upstream


class SendResult(enum.StrEnum):
    """How one Bot API send attempt ended (the `outcome` label)."""

    OK = "ok"
    FLOOD = "429"
    FORBIDDEN = "403"
    SERVER_ERROR = "5xx"
    TIMEOUT = "timeout"
    OTHER = "other"


class WebhookRejection(enum.StrEnum):
    """Why the webhook turned a request away (the `reason` label)."""

    NO_SECRET = "no_secret"
    WRONG_SECRET = "wrong_secret"
    MALFORMED_SECRET = "malformed_secret"
    TOO_LARGE = "too_large"
    NOT_JSON = "not_json"
    NOT_AN_UPDATE = "not_an_update"
    UNREADABLE_UPDATE = "unreadable_update"
    MALFORMED_REQUEST = "malformed_request"


def send_result(problem: BaseException | None) -> SendResult:
    """The outcome of a send attempt from what python-telegram-bot raised (None: it went)."""
    if problem is None:
        return SendResult.OK
    if isinstance(problem, RetryAfter):
        return SendResult.FLOOD
    if isinstance(problem, Forbidden):
        return SendResult.FORBIDDEN
    if isinstance(problem, TimedOut):
        return SendResult.TIMEOUT
    if isinstance(problem, BadRequest):
        return SendResult.OTHER
    if isinstance(problem, NetworkError) and _raised_for_a_status(problem):
        return SendResult.SERVER_ERROR
    return SendResult.OTHER


def _raised_for_a_status(problem: NetworkError) -> bool:
    """Whether Telegram answered with an error status (not a failure to reach it).

    python-telegram-bot raises a plain `NetworkError` both for an error status it has no
    class of its own for (the 5xx ones) and for a connection that failed; only the latter
    is raised from the HTTP library's exception.
    """
    cause = problem.__cause__
    return cause is None or isinstance(cause, TelegramError)


class Metrics:
    """Every netcoach metric, registered in `registry`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # Memory and CPU of this process, under the usual `process_*` names.
        ProcessCollector(registry=self.registry)
        self.sends = Counter(
            "netcoach_sends",
            "Bot API send attempts (sendMessage and the like), by delivery kind and outcome",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.dispatch_lag = Histogram(
            "netcoach_dispatch_lag_seconds",
            "Seconds from a delivery falling due to its message being sent",
            buckets=_LAG_BUCKETS,
            registry=self.registry,
        )
        self.update_handling = Histogram(
            "netcoach_update_handling_seconds",
            "Seconds from an update reaching the bot's update processor to its handlers ending",
            buckets=_UPDATE_BUCKETS,
            registry=self.registry,
        )
        self.members = Gauge(
            "netcoach_members",
            "Members by status, as last counted by the health refresh",
            ["status"],
            registry=self.registry,
        )
        self.ticks = Counter(
            "netcoach_dispatch_ticks",
            "Dispatcher ticks (each makes sure a run looks for due work)",
            registry=self.registry,
        )
        self.dispatch_runs = Histogram(
            "netcoach_dispatch_run_seconds",
            "Seconds a dispatch run took, from its start until nothing was due",
            buckets=_RUN_BUCKETS,
            registry=self.registry,
        )
        self.database_errors = Counter(
            "netcoach_database_errors",
            "Failed dispatch runs and database health checks, by source and exception type",
            ["source", "error"],
            registry=self.registry,
        )
        self.webhook_rejections = Counter(
            "netcoach_webhook_rejections",
            "Requests the webhook turned away (not Telegram's, or unreadable), by reason",
            ["reason"],
            registry=self.registry,
        )
        self.unreadable_texts = Counter(
            "netcoach_unreadable_texts",
            "Stored texts that could not be decrypted when read (wrong or removed key, "
            "tampering, a value moved from another row or member), by table and reason",
            ["table", "reason"],
            registry=self.registry,
        )
        self.delivery_faults = Counter(
            "netcoach_delivery_faults",
            "Deliveries (or members, commitments, contacts being scheduled: stage schedule) "
            "that failed for a reason of their own (bad data, rendering) and are tried again "
            "later, by stage and exception type",
            ["stage", "error"],
            registry=self.registry,
        )
        # Every series from the start, so a rate over a fresh process is not empty.
        for kind in SEND_KINDS:
            for outcome in SendResult:
                self.sends.labels(kind, outcome.value)
        for status in UserStatus:
            self.members.labels(status.value)
        for reason in WebhookRejection:
            self.webhook_rejections.labels(reason.value)

    def count_send(self, kind: str, problem: BaseException | None) -> None:
        """Count one send attempt of `kind` that ended with `problem` (None: it went)."""
        self.sends.labels(kind, send_result(problem).value).inc()

    def count_database_error(self, source: str, problem: BaseException) -> None:
        """Count a failure by its exception's type only (a message may hold members' data)."""
        self.database_errors.labels(source, type(problem).__name__).inc()

    def count_delivery_fault(self, stage: str, problem: BaseException) -> None:
        """Count a delivery that failed on its own, by its exception's type only."""
        self.delivery_faults.labels(stage, type(problem).__name__).inc()

    def count_unreadable(self, report: UnreadableReport) -> None:
        """Count a stored text that could not be decrypted (where and why, never what)."""
        self.unreadable_texts.labels(report.table, report.reason).inc()

    def set_members(self, counts: dict[UserStatus, int]) -> None:
        """Set the members gauge from a fresh count."""
        for status in UserStatus:
            self.members.labels(status.value).set(counts.get(status, 0))

    def exposition(self) -> bytes:
        """Everything in Prometheus' text format, for GET /metrics."""
        return generate_latest(self.registry)
