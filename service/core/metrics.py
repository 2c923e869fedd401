"""Prometheus metrics: counters bumped by the code paths, gauges read at scrape time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from sqlalchemy import Connection, Engine, func, select
from sqlmodel import col

from service.core.db import utcnow
from service.models import (
    FollowUp,
    FollowUpStatus,
    ImapFailure,
    Message,
    MessageStatus,
    WebhookDelivery,
    WebhookDeliveryStatus,
)

REGISTRY = CollectorRegistry(auto_describe=True)

DECLINES_ACCEPTED = Counter(
    "decline_declines_accepted", "Declines accepted over the API", registry=REGISTRY
)
REMINDERS_QUEUED = Counter(
    "decline_call_reminders_queued", "Call reminders queued for candidates", registry=REGISTRY
)
INBOUND = Counter(
    "decline_inbound_messages",
    "Inbound messages taken in, by what they turned out to be",
    ["classification"],
    registry=REGISTRY,
)
CALLS_LOGGED = Counter(
    "decline_calls_logged", "Call outcomes logged", ["outcome"], registry=REGISTRY
)
IMAP_HANDLING_FAILURES = Counter(
    "decline_imap_handling_failures",
    "Tries at handling an IMAP message that raised (each try counts)",
    registry=REGISTRY,
)
MESSAGES_BY_STATUS = Gauge(
    "decline_messages", "Stored messages by delivery status", ["status"], registry=REGISTRY
)


FOLLOW_UPS_BY_STATUS = Gauge(
    "decline_follow_ups", "Follow-up calls by status", ["status"], registry=REGISTRY
)
IMAP_FAILED = Gauge(
    "decline_imap_failed_messages",
    "IMAP messages whose handling raised: retrying (tried again next poll) or quarantined",
    ["state"],
    registry=REGISTRY,
)
WEBHOOK_DELIVERIES = Gauge(
    "decline_webhook_deliveries",
    "Webhook deliveries by status (failed: every attempt refused or unanswered)",
    ["status"],
    registry=REGISTRY,
)
# The clock's health, whoever drives it (the scheduler in each replica, or cron): how late
# the most overdue piece of work is. Worth an alert when it stays above a few poll intervals.
OUTBOX_BEHIND = Gauge(
    "decline_outbox_behind_seconds",
    "How long the most overdue queued message has waited past its send time (0: none)",
    registry=REGISTRY,
)
FOLLOW_UPS_BEHIND = Gauge(
    "decline_follow_ups_behind_seconds",
    "How long the most overdue scheduled call has waited for its reminder (0: none)",
    registry=REGISTRY,
)


def render(engine: Engine) -> bytes:
    now = utcnow()
    with engine.connect() as conn:
        messages = _counts(conn, col(Message.status))
        follow_ups = _counts(conn, col(FollowUp.status))
        hooks = _counts(conn, col(WebhookDelivery.status))
        oldest_send = conn.scalar(
            select(func.min(col(Message.next_attempt_at))).where(
                col(Message.status) == MessageStatus.queued, col(Message.next_attempt_at) <= now
            )
        )
        oldest_call = conn.scalar(
            select(func.min(col(FollowUp.due_at))).where(
                col(FollowUp.status) == FollowUpStatus.scheduled, col(FollowUp.due_at) <= now
            )
        )
        failed, quarantined = conn.execute(
            select(func.count(), func.count(col(ImapFailure.quarantined_at)))
        ).one()
    for name in MessageStatus:
        MESSAGES_BY_STATUS.labels(status=name.value).set(messages.get(name, 0))
    for state in FollowUpStatus:
        FOLLOW_UPS_BY_STATUS.labels(status=state.value).set(follow_ups.get(state, 0))
    for hook_status in WebhookDeliveryStatus:
        WEBHOOK_DELIVERIES.labels(status=hook_status.value).set(hooks.get(hook_status, 0))
    OUTBOX_BEHIND.set(_seconds_since(oldest_send, now))
    FOLLOW_UPS_BEHIND.set(_seconds_since(oldest_call, now))
    IMAP_FAILED.labels(state="retrying").set(failed - quarantined)
    IMAP_FAILED.labels(state="quarantined").set(quarantined)
    return generate_latest(REGISTRY)


def _counts(conn: Connection, status: Any) -> dict[str, int]:
    rows = conn.execute(select(status, func.count()).group_by(status))
    return {value: count for value, count in rows}


def _seconds_since(moment: datetime | None, now: datetime) -> float:
    return max((now - moment).total_seconds(), 0.0) if moment is not None else 0.0
