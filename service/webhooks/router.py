"""HTTP edge of webhooks: parse, call one service function, shape the response."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from service.core.db import utcnow
from service.core.deps import ApiKeyDep, SessionDep, SettingsDep
from service.webhooks import service
from service.webhooks.schemas import (
    WebhookCreate,
    WebhookDeliveriesPublic,
    WebhookDeliveryPublic,
    WebhookPublic,
    WebhooksPublic,
)

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


@router.post("", status_code=201, response_model=WebhookPublic)
def create_webhook(
    body: WebhookCreate, session: SessionDep, settings: SettingsDep, api_key: ApiKeyDep
) -> WebhookPublic:
    """Subscribe a URL to events; the answer carries its `whsec_` secret, shown only once."""
    created = service.subscribe(
        session=session,
        api_key=api_key,
        url=body.url,
        events=body.events,
        settings=settings,
        now=utcnow(),
    )
    return WebhookPublic.of(created.endpoint, created.secret)


@router.get("", response_model=WebhooksPublic)
def list_webhooks(session: SessionDep, api_key: ApiKeyDep) -> WebhooksPublic:
    endpoints = service.list_endpoints(session=session, api_key=api_key)
    return WebhooksPublic(items=[WebhookPublic.of(e) for e in endpoints])


@router.get("/{webhook_id}", response_model=WebhookPublic)
def get_webhook(webhook_id: str, session: SessionDep, api_key: ApiKeyDep) -> WebhookPublic:
    return WebhookPublic.of(service.get(session=session, endpoint_id=webhook_id, api_key=api_key))


@router.delete("/{webhook_id}", status_code=204, response_class=Response)
def delete_webhook(webhook_id: str, session: SessionDep, api_key: ApiKeyDep) -> Response:
    """Unsubscribe: nothing more is sent to it, not even deliveries still waiting."""
    service.unsubscribe(session=session, endpoint_id=webhook_id, api_key=api_key)
    return Response(status_code=204)


@router.post("/{webhook_id}/rotate-secret", response_model=WebhookPublic)
def rotate_webhook_secret(
    webhook_id: str, session: SessionDep, settings: SettingsDep, api_key: ApiKeyDep
) -> WebhookPublic:
    """A new secret (shown once); the old one keeps signing too for the overlap (24 h)."""
    rotated = service.rotate(
        session=session, endpoint_id=webhook_id, api_key=api_key, settings=settings, now=utcnow()
    )
    return WebhookPublic.of(rotated.endpoint, rotated.secret)


@router.get("/{webhook_id}/deliveries", response_model=WebhookDeliveriesPublic)
def list_webhook_deliveries(
    webhook_id: str,
    session: SessionDep,
    api_key: ApiKeyDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> WebhookDeliveriesPublic:
    """The endpoint's latest deliveries: attempts, answers, and when the next try is due."""
    rows = service.deliveries(session=session, endpoint_id=webhook_id, api_key=api_key, limit=limit)
    return WebhookDeliveriesPublic(items=[WebhookDeliveryPublic.of(r) for r in rows])
