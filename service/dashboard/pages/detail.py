"""One decline: its facts, a timeline per contact, the kept copies and their downloads."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response

from service.core.db import utcnow
from service.core.deps import SessionDep, SettingsDep
from service.core.errors import NotFound
from service.dashboard import detail_queries
from service.dashboard.deps import AdminDep
from service.dashboard.render import page
from service.dashboard.security import CSP_MESSAGE_VIEW
from service.declines import service as declines
from service.declines.letter_pdf import render_pdf
from service.declines.printed import printed_letter
from service.models import Contact, InboundKind
from service.sent_copies import jobs as sent_copy_jobs
from service.sent_copies import service as copies

router = APIRouter()

# What `?done=` may say after an action (never the query's own text).
DONE = {
    "call": "Call logged.",
    "replied": "Marked as replied; the call is no longer needed.",
    "retried": "The message is queued to be sent again.",
    "edited": "Contact details saved.",
    "message_canceled": "The message was canceled before sending.",
    "canceled": "Follow-ups stopped: nothing more is sent and no calls are due.",
}


# The download routes come first: `/declines/{id}` would otherwise match `x.mbox`.
@router.get("/declines/{decline_id}.mbox")
def decline_mbox(decline_id: str, _: AdminDep, db: SessionDep) -> Response:
    data = detail_queries.decline_mbox(db, decline_id)
    return Response(
        data,
        media_type="application/mbox",
        headers={"Content-Disposition": f'attachment; filename="decline-{_safe(decline_id)}.mbox"'},
    )


@router.get("/contacts/{contact_id}/letter.pdf")
def contact_letter(contact_id: str, _: AdminDep, db: SessionDep) -> Response:
    contact = db.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"no contact with id {contact_id}")
    letter = printed_letter(
        session=db, decline_id=contact.decline_id, contact_id=contact.id, api_key=None, now=utcnow()
    )
    return Response(
        render_pdf(letter),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="letter-{_safe(contact_id)}.pdf"'},
    )


@router.get("/messages/{message_id}.eml")
def message_eml(message_id: str, _: AdminDep, db: SessionDep) -> Response:
    raw = declines.raw_message(session=db, message_id=message_id, api_key=None)
    return Response(
        raw,
        media_type="message/rfc822",
        headers={"Content-Disposition": f'attachment; filename="message-{_safe(message_id)}.eml"'},
    )


@router.get("/inbound/{inbound_id}.eml")
def inbound_eml(inbound_id: str, _: AdminDep, db: SessionDep) -> Response:
    record = detail_queries.incoming(db, inbound_id).record
    if record.raw is None:
        raise NotFound("this reply was recorded by hand; there is no email to download")
    return Response(
        record.raw,
        media_type="message/rfc822",
        headers={"Content-Disposition": f'attachment; filename="inbound-{_safe(inbound_id)}.eml"'},
    )


@router.get("/declines/{decline_id}")
def decline(
    decline_id: str, request: Request, _: AdminDep, db: SessionDep, settings: SettingsDep
) -> Response:
    detail = detail_queries.decline_detail(db, decline_id, delivery=settings.delivery)
    return page(
        request,
        "detail.html",
        active="declines",
        detail=detail,
        d=detail.decline,
        done=DONE.get(request.query_params.get("done", "")),
    )


@router.get("/messages/{message_id}")
def message_view(
    message_id: str, request: Request, _: AdminDep, db: SessionDep, settings: SettingsDep
) -> Response:
    found = detail_queries.outgoing(db, message_id)
    message = found.message
    kind = "Call reminder" if message.kind == "reminder" else "Email"
    copying = sent_copy_jobs.enabled(settings)
    response = page(
        request,
        "mail_view.html",
        active="declines",
        title=f"{kind} to {message.envelope_to}",
        decline=found.decline,
        facts=[
            ("Contact", found.contact.name),
            ("Status", message.status),
            ("Created", message.created_at),
            ("Sent", message.sent_at),
            ("Attempts", str(message.attempts)),
            ("Last SMTP reply or error", message.last_error or ""),
            ("Copy in Sent", copies.copy_state(db, message) if copying else None),
        ],
        chip=message.status,
        parts=detail_queries.mail_parts(message.raw),
        download=f"/dashboard/messages/{message.id}.eml",
        note=None,
    )
    response.headers["Content-Security-Policy"] = CSP_MESSAGE_VIEW
    return response


@router.get("/inbound/{inbound_id}")
def inbound_view(inbound_id: str, request: Request, _: AdminDep, db: SessionDep) -> Response:
    found = detail_queries.incoming(db, inbound_id)
    record = found.record
    manual = record.raw is None
    title = "Marked as replied" if manual else f"Mail from {record.from_address or 'unknown'}"
    response = page(
        request,
        "mail_view.html",
        active="declines",
        title=title,
        decline=found.decline,
        facts=[
            ("Contact", found.contact.name if found.contact else ""),
            ("Received", record.received_at),
            ("Classification", record.classification),
            ("Back on", record.return_at),
            ("Why", record.detail or ""),
            ("Source", record.source),
        ],
        chip=record.classification,
        parts=None
        if manual
        else detail_queries.mail_parts(
            record.raw or b"", readable=record.classification != InboundKind.unparseable
        ),
        download=None if manual else f"/dashboard/inbound/{record.id}.eml",
        note="Recorded by hand: there is no email to show." if manual else None,
    )
    response.headers["Content-Security-Policy"] = CSP_MESSAGE_VIEW
    return response


def _safe(value: str) -> str:
    """A file name part with nothing a header or a file system could misread."""
    return re.sub(r"[^A-Za-z0-9_-]", "", value)[:64] or "download"


@router.get("/declines/{decline_id}/stop")
def confirm_stop(
    decline_id: str, request: Request, _: AdminDep, db: SessionDep, settings: SettingsDep
) -> Response:
    """What canceling will and will not do, before it is done: it cannot be undone."""
    detail = detail_queries.decline_detail(db, decline_id, delivery=settings.delivery)
    return page(request, "confirm_stop.html", active="declines", detail=detail, d=detail.decline)
