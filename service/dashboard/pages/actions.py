"""The dashboard's actions on a decline, each one service call: log a call, mark replied, retry
or cancel a message, cancel the decline.

A plain form gets a 303 to a safe `next` (or the decline's page) with `?done=` for the flash;
an htmx request aimed at a contact's section gets that section back, re-rendered; any other
htmx request is told where to go (HX-Redirect). A refusal (409) is the message page, or for
htmx the section with the reason in it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from service.core.config import Settings
from service.core.db import on_commit, utcnow
from service.core.deps import SessionDep, SettingsDep
from service.core.errors import Conflict, Unprocessable
from service.dashboard import detail_queries
from service.dashboard.deps import CsrfDep, safe_next
from service.dashboard.pages.detail import DONE
from service.dashboard.render import page
from service.declines import service as declines
from service.follow_ups import contact_edit, resend
from service.follow_ups import service as follow_ups
from service.follow_ups.schemas import ContactPatch
from service.inbound import service as inbound
from service.models import CallOutcome

router = APIRouter()

FormText = Annotated[str | None, Form()]
NextPath = Annotated[str | None, Form(alias="next")]  # where a plain form returns to
NOTES_MAX = 2000


@router.post("/contacts/{contact_id}/calls")
def log_call(
    contact_id: str,
    request: Request,
    _: CsrfDep,
    db: SessionDep,
    settings: SettingsDep,
    outcome: FormText = None,
    notes: FormText = None,
    next_path: NextPath = None,
) -> Response:
    try:
        chosen = CallOutcome(outcome or "")
    except ValueError:
        raise Unprocessable("Choose how the call went: reached, no answer or voicemail.") from None
    try:
        follow_up = follow_ups.log_call(
            session=db,
            contact_id=contact_id,
            api_key=None,
            outcome=chosen,
            notes=_notes(notes),
            settings=settings,
            now=utcnow(),
        )
    except Conflict as exc:
        return _refused(request, db, settings, exc)
    return _done(
        request, db, settings, follow_up.decline_id, follow_up.contact_id, "call", next_path
    )


@router.post("/contacts/{contact_id}/reply")
def mark_replied(
    contact_id: str,
    request: Request,
    _: CsrfDep,
    db: SessionDep,
    settings: SettingsDep,
    notes: FormText = None,
    next_path: NextPath = None,
) -> Response:
    contact = inbound.record_manual_reply(
        session=db,
        contact_id=contact_id,
        api_key=None,
        notes=_notes(notes),
        settings=settings,
        now=utcnow(),
    )
    return _done(request, db, settings, contact.decline_id, contact.id, "replied", next_path)


@router.post("/contacts/{contact_id}/resend")
def resend_decline(
    contact_id: str,
    request: Request,
    _: CsrfDep,
    db: SessionDep,
    settings: SettingsDep,
    email: FormText = None,
    next_path: NextPath = None,
) -> Response:
    try:
        contact = resend.resend(
            session=db,
            contact_id=contact_id,
            api_key=None,
            email=(email or "").strip(),
            settings=settings,
            now=utcnow(),
        )
    except Conflict as exc:
        return _refused(request, db, settings, exc)
    on_commit(db, request.app.state.outbox.wake)
    return _done(request, db, settings, contact.decline_id, contact.id, "retried", next_path)


@router.post("/contacts/{contact_id}/edit")
def edit_contact(
    contact_id: str,
    request: Request,
    _: CsrfDep,
    db: SessionDep,
    settings: SettingsDep,
    phone: FormText = None,
    email: FormText = None,
    next_path: NextPath = None,
) -> Response:
    """The contact form: an empty phone removes it; a changed email sends the decline again."""
    fields: dict[str, str | None] = {"phone": (phone or "").strip() or None}
    if email is not None:
        fields["email"] = email.strip()
    try:
        patch = ContactPatch.model_validate(fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        message = str(error["msg"]).removeprefix("Value error, ")
        raise Unprocessable(f"{error['loc'][0]}: {message}") from None
    try:
        contact = contact_edit.edit_contact(
            session=db,
            contact_id=contact_id,
            api_key=None,
            patch=patch,
            settings=settings,
            now=utcnow(),
        )
    except Conflict as exc:
        return _refused(request, db, settings, exc)
    on_commit(db, request.app.state.outbox.wake)
    return _done(request, db, settings, contact.decline_id, contact.id, "edited", next_path)


@router.post("/messages/{message_id}/retry")
def retry_message(
    message_id: str,
    request: Request,
    _: CsrfDep,
    db: SessionDep,
    settings: SettingsDep,
    next_path: NextPath = None,
) -> Response:
    try:
        message = declines.retry_message(
            session=db, message_id=message_id, api_key=None, now=utcnow()
        )
    except Conflict as exc:
        return _refused(request, db, settings, exc)
    on_commit(db, request.app.state.outbox.wake)
    return _done(
        request, db, settings, message.decline_id, message.contact_id, "retried", next_path
    )


@router.post("/messages/{message_id}/cancel")
def cancel_message(
    message_id: str,
    request: Request,
    _: CsrfDep,
    db: SessionDep,
    settings: SettingsDep,
    next_path: NextPath = None,
) -> Response:
    try:
        message = declines.cancel_message(session=db, message_id=message_id, api_key=None)
    except Conflict as exc:
        return _refused(request, db, settings, exc)
    return _done(
        request, db, settings, message.decline_id, message.contact_id, "message_canceled", next_path
    )


@router.post("/declines/{decline_id}/cancel")
def cancel_decline(
    decline_id: str,
    request: Request,
    _: CsrfDep,
    db: SessionDep,
    settings: SettingsDep,
    next_path: NextPath = None,
) -> Response:
    decline = declines.cancel(session=db, decline_id=decline_id, api_key=None, now=utcnow())
    return _done(request, db, settings, decline.id, None, "canceled", next_path)


def _notes(value: str | None) -> str | None:
    text = (value or "").strip()
    if len(text) > NOTES_MAX:
        raise Unprocessable(f"Notes can be at most {NOTES_MAX} characters.")
    return text or None


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _section(request: Request) -> str | None:
    """The contact whose section an htmx request asked to replace, if any."""
    target = request.headers.get("hx-target") or ""
    return target.removeprefix("contact-") if target.startswith("contact-") else None


def _done(
    request: Request,
    db: Session,
    settings: Settings,
    decline_id: str,
    contact_id: str | None,
    done: str,
    next_path: str | None,
) -> Response:
    if _is_htmx(request) and contact_id is not None and _section(request) == contact_id:
        item = detail_queries.contact_detail(db, contact_id, delivery=settings.delivery)
        return page(request, "_declines_contact.html", item=item, flash=DONE[done], error=None)
    url = after(next_path, decline_id, contact_id, done)
    if _is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _refused(request: Request, db: Session, settings: Settings, exc: Conflict) -> Response:
    """A refusal: for htmx, the section again with the reason; otherwise the 409 page."""
    contact_id = _section(request)
    if not _is_htmx(request) or contact_id is None:
        raise exc
    db.rollback()
    item = detail_queries.contact_detail(db, contact_id, delivery=settings.delivery)
    return page(request, "_declines_contact.html", item=item, flash=None, error=exc.detail)


def after(next_path: str | None, decline_id: str, contact_id: str | None, done: str) -> str:
    """Where a plain form goes next: `next` if it is a dashboard path, else the decline."""
    if next_path and safe_next(next_path):
        path, _, anchor = next_path.partition("#")
        separator = "&" if "?" in path else "?"
        return f"{path}{separator}done={done}" + (f"#{anchor}" if anchor else "")
    anchor = f"#contact-{contact_id}" if contact_id else ""
    return f"/dashboard/declines/{decline_id}?done={done}{anchor}"
