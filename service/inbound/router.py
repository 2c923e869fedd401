"""HTTP edge of inbound mail: raw messages from a provider's inbound route, manual replies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from service.core.db import on_commit, utcnow
from service.core.deps import ApiKeyDep, SessionDep, SettingsDep
from service.core.errors import AppError, Unprocessable
from service.core.numbers import is_ascii_digits
from service.declines.schemas import ContactPublic
from service.declines.views import contact_public
from service.inbound import service
from service.inbound.schemas import InboundPublic, ReplyIn
from service.models import InboundMessage

router = APIRouter(prefix="/v1", tags=["inbound"])

RAW_TYPES = ("message/rfc822", "text/plain", "application/octet-stream")


class UnsupportedMediaType(AppError):
    status_code = 415
    title = "Unsupported Media Type"


class BodyTooLarge(AppError):
    status_code = 413
    title = "Request body too large"


async def raw_message(request: Request, _: ApiKeyDep, settings: SettingsDep) -> bytes:
    """The request body as is, when it is declared as a message: read only once the key
    is known good (the size middleware leaves this path to it), and never past the limit."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in RAW_TYPES:
        raise UnsupportedMediaType(
            "send the raw message as the body with Content-Type: message/rfc822"
        )
    limit = settings.max_inbound_bytes
    too_large = BodyTooLarge(f"the request body is over the {limit} byte limit")
    declared = request.headers.get("content-length", "")
    if is_ascii_digits(declared) and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/inbound",
    response_model=InboundPublic,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def ingest_inbound(
    request: Request,
    raw: Annotated[bytes, Depends(raw_message)],
    session: SessionDep,
    settings: SettingsDep,
    api_key: ApiKeyDep,
) -> InboundPublic:
    """Take one raw RFC 822 message (what mail providers' inbound routes post). One that
    cannot be read within the parsing caps is kept as `unparseable` and changes nothing."""
    try:
        record = service.ingest(
            session=session,
            raw=raw,
            source="api",
            settings=settings,
            now=utcnow(),
            api_key=api_key,
        )
    except ValueError as exc:
        raise Unprocessable(f"body: not an email message ({exc})") from None
    on_commit(session, request.app.state.outbox.wake)  # a bounce queues a reminder at once
    return to_public(record)


@router.post("/contacts/{contact_id}/reply", response_model=ContactPublic)
def mark_replied(
    contact_id: str,
    session: SessionDep,
    settings: SettingsDep,
    api_key: ApiKeyDep,
    body: ReplyIn | None = None,
) -> ContactPublic:
    """The contact answered by phone or elsewhere: their call is no longer needed."""
    contact = service.record_manual_reply(
        session=session,
        contact_id=contact_id,
        api_key=api_key,
        notes=body.notes if body else None,
        settings=settings,
        now=utcnow(),
    )
    return contact_public(session, contact.id, delivery=settings.delivery)


def to_public(record: InboundMessage) -> InboundPublic:
    return InboundPublic(
        id=record.id,
        classification=record.classification,
        detected=record.detected,
        reason=record.detail,
        contact_id=record.contact_id,
        decline_id=record.decline_id,
        message_id=record.matched_message_id,
        away_until=record.return_at,
    )
