"""HTTP edge of exports: a decline's kept mail as mbox, declines as CSV, a letter as PDF."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from service.core.db import utcnow
from service.core.deps import ApiKeyDep, SessionDep
from service.declines import service
from service.declines.letter_pdf import render_pdf
from service.declines.printed import printed_letter
from service.exports.mbox import iter_mbox
from service.exports.spreadsheet import encode_rows, iter_rows
from service.models import DeclineStatus

router = APIRouter(prefix="/v1", tags=["exports"])


@router.get(
    "/declines/{decline_id}/export.mbox",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/mbox": {}}}},
)
def export_mbox(decline_id: str, session: SessionDep, api_key: ApiKeyDep) -> StreamingResponse:
    """Every kept message of the decline, sent and received, oldest first (mboxrd)."""
    decline = service.get(session=session, decline_id=decline_id, api_key=api_key)
    chunks = list(iter_mbox(session, [decline.id]))  # read now: the session ends with the request
    return StreamingResponse(
        iter(chunks),
        media_type="application/mbox",
        headers={"Content-Disposition": f'attachment; filename="decline-{decline.id}.mbox"'},
    )


@router.get(
    "/declines.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def export_csv(
    request: Request,
    api_key: ApiKeyDep,
    status: Annotated[
        DeclineStatus | None, Query(description="Only declines in this status.")
    ] = None,
    company: Annotated[
        str | None,
        Query(max_length=200, description="Only companies whose name contains this (any case)."),
    ] = None,
    contact_email: Annotated[
        str | None,
        Query(max_length=320, description="Only declines with a contact at this address."),
    ] = None,
) -> StreamingResponse:
    """The declines `GET /v1/declines` lists, one CSV row per contact, newest first, for a
    spreadsheet: UTF-8 with a byte-order mark, and a cell that would start a formula
    (`= + - @`, tab, CR) starts with a `'` instead."""
    rows = iter_rows(
        request.app.state.engine,
        api_key=api_key,
        status_filter=status,
        company=company,
        contact_email=contact_email,
    )
    name = f"declines-{utcnow():%Y-%m-%d}.csv"
    return StreamingResponse(
        encode_rows(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/declines/{decline_id}/letter.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {"schema": {"type": "string"}}}}},
)
def get_letter_pdf(
    decline_id: str,
    session: SessionDep,
    api_key: ApiKeyDep,
    contact: Annotated[
        str, Query(max_length=36, description="The id of the contact the letter is to.")
    ],
) -> Response:
    """The decline to one contact as a one-page business letter to print, sign and post:
    the email's words in the email's language, with sender, recipient, date and subject."""
    letter = printed_letter(
        session=session, decline_id=decline_id, contact_id=contact, api_key=api_key, now=utcnow()
    )
    return Response(
        render_pdf(letter),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="letter-{decline_id}-{contact}.pdf"'},
    )
