"""HTTP edge of the phone step: the call list and call outcomes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse

from service.core.db import on_commit, utcnow
from service.core.deps import ApiKeyDep, SessionDep, SettingsDep
from service.core.paging import OFFSET_CURSOR_PATTERN, offset_from
from service.declines.router import REPLAYED
from service.declines.schemas import ContactPublic
from service.declines.views import contact_public
from service.follow_ups import contact_edit, resend, service
from service.follow_ups.schemas import (
    CallIn,
    ContactPatch,
    FollowUpItem,
    FollowUpsPublic,
    ResendIn,
)
from service.models import FollowUpStatus

router = APIRouter(prefix="/v1", tags=["follow-ups"])


@router.get("/follow-ups", response_model=FollowUpsPublic)
def list_follow_ups(
    session: SessionDep,
    settings: SettingsDep,
    api_key: ApiKeyDep,
    status: FollowUpStatus | None = None,
    # The pattern is documented, not enforced here: offset_from refuses in clearer words.
    cursor: Annotated[
        str | None, Query(max_length=20, json_schema_extra={"pattern": OFFSET_CURSOR_PATTERN})
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> FollowUpsPublic:
    """Calls to make (`status=due`), soonest first, each with its scripts."""
    offset = offset_from(cursor)
    items, more = service.list_calls(
        session=session,
        api_key=api_key,
        status=status,
        offset=offset,
        limit=limit,
        settings=settings,
    )
    return FollowUpsPublic(
        items=[_item(i, settings.max_call_attempts) for i in items],
        next_cursor=str(offset + limit) if more else None,
    )


@router.post(
    "/contacts/{contact_id}/calls",
    response_model=ContactPublic,
    responses={409: {"description": "The decline was canceled, or this call is already closed"}},
)
def log_call(
    contact_id: str, body: CallIn, session: SessionDep, settings: SettingsDep, api_key: ApiKeyDep
) -> ContactPublic:
    """Log a call: reached or voicemail closes it; no answer tries the next business day."""
    follow_up = service.log_call(
        session=session,
        contact_id=contact_id,
        api_key=api_key,
        outcome=body.outcome,
        notes=body.notes,
        settings=settings,
        now=utcnow(),
    )
    return contact_public(session, follow_up.contact_id, delivery=settings.delivery)


@router.post(
    "/contacts/{contact_id}/resend",
    response_model=ContactPublic,
    responses={
        200: {"headers": REPLAYED},
        409: {"description": "The contact already replied, or the decline was canceled"},
    },
)
def resend_decline(
    contact_id: str,
    body: ResendIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    api_key: ApiKeyDep,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> JSONResponse:
    """Send the decline again to a corrected address: the contact's email changes, a new
    message is kept and queued (the old one stays in the history), and the call waits for
    the new email as after a first send."""
    done = resend.resend_once(
        session=session,
        contact_id=contact_id,
        api_key=api_key,
        email=body.email,
        settings=settings,
        now=utcnow(),
        idempotency_key=idempotency_key,
    )
    if not done.replayed:
        on_commit(session, request.app.state.outbox.wake)
    headers = {"Idempotent-Replayed": "true"} if done.replayed else {}
    return JSONResponse(done.body, status_code=done.status_code, headers=headers)


@router.patch(
    "/contacts/{contact_id}",
    response_model=ContactPublic,
    responses={409: {"description": "A new email for a contact who replied or a canceled decline"}},
)
def edit_contact(
    contact_id: str,
    body: ContactPatch,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    api_key: ApiKeyDep,
) -> ContactPublic:
    """Correct a contact's phone, time zone or email. A changed email sends the decline again
    to it (as `resend` does); sending the same body twice changes nothing more."""
    contact = contact_edit.edit_contact(
        session=session,
        contact_id=contact_id,
        api_key=api_key,
        patch=body,
        settings=settings,
        now=utcnow(),
    )
    on_commit(session, request.app.state.outbox.wake)
    return contact_public(session, contact.id, delivery=settings.delivery)


def _item(item: service.CallItem, max_attempts: int) -> FollowUpItem:
    follow_up, contact, decline = item.follow_up, item.contact, item.decline
    return FollowUpItem(
        id=follow_up.id,
        contact_id=contact.id,
        decline_id=decline.id,
        status=follow_up.status,
        due_at=follow_up.due_at,
        call_attempts=follow_up.call_attempts,
        attempt=item.attempt,
        max_attempts=max_attempts,
        contact_name=contact.name,
        contact_email=contact.email,
        role=contact.role,
        phone=contact.phone,
        company=decline.company,
        job_title=decline.job_title,
        email_status=item.email.status,
        away_until=follow_up.not_before,
        complained_at=follow_up.complained_at,
        call_script=item.call_script,
        voicemail_script=item.voicemail_script,
    )
