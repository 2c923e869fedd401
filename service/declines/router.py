"""HTTP edge of declines: parse, call one service function, shape the response."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from service.core import metrics
from service.core.db import on_commit, utcnow
from service.core.deps import ApiKeyDep, SessionDep, SettingsDep
from service.core.paging import KEYSET_CURSOR_PATTERN
from service.declines import service
from service.declines.schemas import DeclineCreate, DeclinePublic, DeclinesPublic, PreviewPublic
from service.declines.views import to_public
from service.models import DeclineStatus

router = APIRouter(prefix="/v1", tags=["declines"])


REPLAYED = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the "
        "same Idempotency-Key and body: nothing was sent again",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


@router.post(
    "/declines",
    status_code=201,
    response_model=DeclinePublic,
    responses={201: {"headers": REPLAYED}},
)
def create_decline(
    body: DeclineCreate,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    api_key: ApiKeyDep,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> JSONResponse:
    """Accept a decline: every contact's message is stored now and sent right after."""
    accepted = service.accept_once(
        session=session,
        request=body,
        api_key=api_key,
        settings=settings,
        now=utcnow(),
        idempotency_key=idempotency_key,
    )
    if not accepted.replayed:
        on_commit(session, request.app.state.outbox.wake)
        on_commit(session, metrics.DECLINES_ACCEPTED.inc)
    headers = {"Idempotent-Replayed": "true"} if accepted.replayed else {}
    return JSONResponse(accepted.body, status_code=accepted.status_code, headers=headers)


@router.post("/declines/preview", response_model=PreviewPublic)
def preview_decline(
    body: DeclineCreate, settings: SettingsDep, api_key: ApiKeyDep
) -> PreviewPublic:
    """Render the messages and call scripts without storing or sending anything."""
    return service.preview(request=body, settings=settings, now=utcnow())


@router.get("/declines", response_model=DeclinesPublic)
def list_declines(
    session: SessionDep,
    settings: SettingsDep,
    api_key: ApiKeyDep,
    status: DeclineStatus | None = None,
    company: Annotated[str | None, Query(max_length=200)] = None,
    contact_email: Annotated[str | None, Query(max_length=320)] = None,
    cursor: Annotated[
        str | None, Query(max_length=500, json_schema_extra={"pattern": KEYSET_CURSOR_PATTERN})
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeclinesPublic:
    rows, next_cursor = service.list_page(
        session=session,
        api_key=api_key,
        status_filter=status,
        company=company,
        contact_email=contact_email,
        cursor=cursor,
        limit=limit,
    )
    items = to_public(session, rows, delivery=settings.delivery)
    return DeclinesPublic(items=items, next_cursor=next_cursor)


@router.get("/declines/{decline_id}", response_model=DeclinePublic)
def get_decline(
    decline_id: str, session: SessionDep, settings: SettingsDep, api_key: ApiKeyDep
) -> DeclinePublic:
    decline = service.get(session=session, decline_id=decline_id, api_key=api_key)
    return service.publish(session, decline, settings)


@router.post("/declines/{decline_id}/cancel", response_model=DeclinePublic)
def cancel_decline(
    decline_id: str, session: SessionDep, settings: SettingsDep, api_key: ApiKeyDep
) -> DeclinePublic:
    """Stop the messages not yet sent and the phone follow-ups."""
    decline = service.cancel(session=session, decline_id=decline_id, api_key=api_key, now=utcnow())
    return service.publish(session, decline, settings)


@router.get(
    "/messages/{message_id}/raw",
    response_class=Response,
    responses={200: {"content": {"message/rfc822": {}}}},
)
def get_raw_message(message_id: str, session: SessionDep, api_key: ApiKeyDep) -> Response:
    """The exact bytes of a kept message, as sent."""
    raw = service.raw_message(session=session, message_id=message_id, api_key=api_key)
    return Response(raw, media_type="message/rfc822")
