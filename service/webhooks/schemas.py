"""Request and response shapes of the webhook API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from service.declines.strict import RequestModel
from service.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from service.webhooks.events import EventType


class WebhookCreate(RequestModel):
    url: str = Field(
        min_length=1,
        max_length=2000,
        description="Where to POST the events: an http(s) URL on a public address (private, "
        "loopback and link-local addresses are refused unless "
        "DECLINE_WEBHOOKS_ALLOW_PRIVATE=true)",
    )
    events: list[EventType] = Field(
        min_length=1,
        max_length=len(EventType),
        description="The event types to receive: " + ", ".join(e.value for e in EventType),
    )


class WebhookPublic(BaseModel):
    id: str = Field(description="The endpoint's id")
    url: str = Field(description="Where the events are POSTed")
    events: list[str] = Field(description="The event types it receives")
    created_at: datetime = Field(description="When it was subscribed (UTC)")
    secret: str | None = Field(
        default=None,
        description="The `whsec_` signing secret: only in the answer that created or rotated "
        "it, never shown again; null elsewhere",
    )
    previous_secret_until: datetime | None = Field(
        description="After a rotation: until when the old secret signs too (a second "
        "signature in `webhook-signature`); null otherwise"
    )

    @classmethod
    def of(cls, endpoint: WebhookEndpoint, secret: str | None = None) -> WebhookPublic:
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            events=endpoint.events,
            created_at=endpoint.created_at,
            secret=secret,
            previous_secret_until=endpoint.previous_secret_until,
        )


class WebhooksPublic(BaseModel):
    items: list[WebhookPublic] = Field(description="This API key's endpoints, oldest first")


class WebhookDeliveryPublic(BaseModel):
    id: str = Field(description="The `webhook-id` header: the same on every attempt")
    event_type: str = Field(description="The event, e.g. `message.sent`")
    status: str = Field(
        description="pending (waiting for its next attempt), delivering (on its way), "
        "delivered (a 2xx answered), failed (every attempt was refused or unanswered)"
    )
    attempts: int = Field(description="POSTs made so far")
    response_codes: list[int | None] = Field(
        description="Each attempt's HTTP status, in order; null where no answer came"
    )
    last_status_code: int | None = Field(
        description="The last attempt's HTTP status; null when it got no answer"
    )
    last_response: str | None = Field(
        description="The start of the last answer's body (at most 1 KB)"
    )
    last_error: str | None = Field(
        description="Why the last attempt did not count as delivered; null once delivered"
    )
    next_attempt_at: datetime | None = Field(
        description="When the next attempt is due (UTC); null once delivered or failed"
    )
    created_at: datetime = Field(description="When the event happened (UTC)")
    delivered_at: datetime | None = Field(description="When a 2xx answered it; null until then")

    @classmethod
    def of(cls, row: WebhookDelivery) -> WebhookDeliveryPublic:
        waiting = row.status in (WebhookDeliveryStatus.pending, WebhookDeliveryStatus.delivering)
        return cls(
            id=row.id,
            event_type=row.event_type,
            status=row.status,
            attempts=row.attempts,
            response_codes=list(row.response_codes or []),
            last_status_code=row.last_status_code,
            last_response=row.last_response,
            last_error=row.last_error,
            next_attempt_at=row.next_attempt_at if waiting else None,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
        )


class WebhookDeliveriesPublic(BaseModel):
    items: list[WebhookDeliveryPublic] = Field(description="The latest deliveries, newest first")
