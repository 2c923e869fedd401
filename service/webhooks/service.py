"""Webhook endpoints (subscribe, rotate, unsubscribe) and `emit`, the transactional outbox of
events. Services flush; the caller's unit of work commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.config import Settings
from service.core.errors import NotFound, Unprocessable
from service.mailbox_auth import crypto
from service.models import ApiKey, Decline, WebhookDelivery, WebhookEndpoint
from service.webhooks import signing, ssrf
from service.webhooks.events import EventType, new_delivery_id, payload

# A purpose label: webhook secrets get a key of their own from SECRET_KEY.
SECRET_PURPOSE = b"decline webhook secrets v1"


@dataclass(frozen=True)
class Subscribed:
    """An endpoint, with its clear secret when it was just created or rotated."""

    endpoint: WebhookEndpoint
    secret: str | None = None


def seal(settings: Settings, secret: str) -> str:
    return crypto.encrypt(settings.secret_key, secret, SECRET_PURPOSE)


def unseal(settings: Settings, sealed: str) -> str | None:
    """The clear secret, or None when it was sealed under another SECRET_KEY."""
    return crypto.decrypt(settings.secret_key, sealed, SECRET_PURPOSE)


def check_url(url: str, settings: Settings) -> None:
    """Raise Unprocessable for a URL the SSRF guard refuses."""
    try:
        ssrf.check_target(url, allow_private=settings.webhooks_allow_private)
    except ssrf.RefusedTarget as exc:
        raise Unprocessable(str(exc), errors=[{"field": "url", "message": str(exc)}]) from None


def subscribe(
    *,
    session: Session,
    api_key: ApiKey,
    url: str,
    events: Sequence[EventType],
    settings: Settings,
    now: datetime,
) -> Subscribed:
    """Store a new endpoint for `events` with a fresh `whsec_` secret (returned once)."""
    check_url(url, settings)
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        api_key_id=api_key.id,
        url=url,
        events=sorted({EventType(e).value for e in events}),
        secret_enc=seal(settings, secret),
        created_at=now,
    )
    session.add(endpoint)
    session.flush()
    return Subscribed(endpoint, secret)


def list_endpoints(*, session: Session, api_key: ApiKey | None) -> list[WebhookEndpoint]:
    """This key's endpoints, oldest first (`None`: the operator sees every key's)."""
    query = select(WebhookEndpoint).order_by(
        col(WebhookEndpoint.created_at), col(WebhookEndpoint.id)
    )
    if api_key is not None:
        query = query.where(col(WebhookEndpoint.api_key_id) == api_key.id)
    return list(session.scalars(query))


def get(*, session: Session, endpoint_id: str, api_key: ApiKey | None) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or (api_key is not None and endpoint.api_key_id != api_key.id):
        raise NotFound(f"no webhook with id {endpoint_id}")
    return endpoint


def unsubscribe(*, session: Session, endpoint_id: str, api_key: ApiKey | None) -> None:
    """Delete the endpoint and its deliveries: nothing more is sent to it."""
    endpoint = get(session=session, endpoint_id=endpoint_id, api_key=api_key)
    session.execute(delete(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint.id))
    session.delete(endpoint)
    session.flush()


def rotate(
    *,
    session: Session,
    endpoint_id: str,
    api_key: ApiKey | None,
    settings: Settings,
    now: datetime,
) -> Subscribed:
    """Give the endpoint a new secret; the current one keeps signing too during the overlap."""
    endpoint = get(session=session, endpoint_id=endpoint_id, api_key=api_key)
    secret = signing.new_secret()
    overlap = timedelta(hours=settings.webhook_rotation_overlap_hours)
    endpoint.previous_secret_enc = endpoint.secret_enc if overlap else None
    endpoint.previous_secret_until = now + overlap if overlap else None
    endpoint.secret_enc = seal(settings, secret)
    session.flush()
    return Subscribed(endpoint, secret)


def deliveries(
    *, session: Session, endpoint_id: str, api_key: ApiKey | None, limit: int
) -> list[WebhookDelivery]:
    """The endpoint's deliveries, newest first."""
    endpoint = get(session=session, endpoint_id=endpoint_id, api_key=api_key)
    return recent_deliveries(session, [endpoint.id], limit)


def recent_deliveries(
    session: Session, endpoint_ids: Sequence[str], limit: int
) -> list[WebhookDelivery]:
    if not endpoint_ids:
        return []
    return list(
        session.scalars(
            select(WebhookDelivery)
            .where(col(WebhookDelivery.endpoint_id).in_(endpoint_ids))
            .order_by(col(WebhookDelivery.created_at).desc(), col(WebhookDelivery.id).desc())
            .limit(limit)
        )
    )


def overview(
    session: Session, *, per_endpoint: int = 5
) -> list[tuple[WebhookEndpoint, list[WebhookDelivery]]]:
    """Every endpoint (all keys': the operator's view) with its latest deliveries."""
    return [
        (endpoint, recent_deliveries(session, [endpoint.id], per_endpoint))
        for endpoint in list_endpoints(session=session, api_key=None)
    ]


def any_endpoints(session: Session) -> bool:
    """Whether anyone subscribed at all: lets a hot path skip its events' lookups."""
    return session.scalars(select(col(WebhookEndpoint.id)).limit(1)).first() is not None


def emit(session: Session, event_type: EventType, data: dict[str, Any], now: datetime) -> int:
    """Queue `event_type` for every endpoint of the decline's API key that subscribed to it,
    in the caller's transaction: a rolled-back change sends nothing, a committed one is never
    lost. `data` carries ids only (always `decline_id`), never a message's body. Returns how
    many deliveries were queued."""
    rows = session.execute(
        select(col(WebhookEndpoint.id), col(WebhookEndpoint.events))
        .join(Decline, col(Decline.api_key_id) == col(WebhookEndpoint.api_key_id))
        .where(col(Decline.id) == data["decline_id"])
    ).all()
    targets = [endpoint_id for endpoint_id, events in rows if event_type.value in events]
    if not targets:
        return 0
    body = payload(event_type, data, now)
    session.add_all(
        WebhookDelivery(
            id=new_delivery_id(),
            endpoint_id=endpoint_id,
            decline_id=data["decline_id"],
            event_type=event_type.value,
            payload=body,
            next_attempt_at=now,
            created_at=now,
        )
        for endpoint_id in targets
    )
    session.flush()
    return len(targets)
