"""Prometheus metrics: counters bumped by the code paths, gauges read at scrape time."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from sqlalchemy import Engine, func, select
from sqlmodel import col

from service.models import Message

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
MESSAGES_BY_STATUS = Gauge(
    "decline_messages", "Stored messages by delivery status", ["status"], registry=REGISTRY
)


def render(engine: Engine) -> bytes:
    with engine.connect() as conn:
        rows = conn.execute(select(col(Message.status), func.count()).group_by(col(Message.status)))
        counts: dict[str, int] = {status: count for status, count in rows}
    for status in ("queued", "sending", "sent", "failed", "bounced", "canceled"):
        MESSAGES_BY_STATUS.labels(status=status).set(counts.get(status, 0))
    return generate_latest(REGISTRY)
