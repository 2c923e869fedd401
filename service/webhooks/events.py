"""The events a webhook can subscribe to, and the body every delivery carries (pure)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    decline_created = "decline.created"
    message_sent = "message.sent"
    message_failed = "message.failed"
    message_bounced = "message.bounced"
    reply_received = "reply.received"
    auto_reply_received = "auto_reply.received"
    follow_up_due = "follow_up.due"
    follow_up_done = "follow_up.done"


def new_delivery_id() -> str:
    """A `webhook-id`: unique per event and endpoint, the same on every retry."""
    return "msg_" + uuid.uuid4().hex


def payload(event_type: EventType, data: dict[str, Any], now: datetime) -> str:
    """The body, as the spec shapes it: `{"type", "timestamp", "data"}`, compact JSON."""
    stamp = now.astimezone(UTC).isoformat().replace("+00:00", "Z")
    body = {"type": event_type.value, "timestamp": stamp, "data": data}
    return json.dumps(body, separators=(",", ":"), sort_keys=False, default=str)
