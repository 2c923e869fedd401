"""Compose: a form that creates a decline through the same model and service as the API,
with a live preview of every contact's email (htmx) or a Preview button (no JavaScript)."""

from __future__ import annotations

import re
import secrets
from functools import cache
from typing import Annotated, Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core import metrics
from service.core.config import Settings
from service.core.db import on_commit, utcnow
from service.core.deps import SessionDep, SettingsDep
from service.core.errors import Unprocessable
from service.dashboard import compose_form
from service.dashboard.deps import AdminDep, CsrfDep
from service.dashboard.owner import dashboard_key, find_dashboard_key
from service.dashboard.render import page
from service.dashboard.security import CSP_MESSAGE_VIEW
from service.declines import service as declines
from service.declines.schemas import PreviewPublic
from service.declines.validation import PERSONAL_NOTE_MAX
from service.models import Decline

router = APIRouter()

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
IDEMPOTENCY_PREFIX = "dashboard-form:"


async def submitted_form(request: Request) -> dict[str, str]:
    """The Compose fields as strings (the form is parsed once; the CSRF check shares it)."""
    form = await request.form()
    values = compose_form.form_values(form)
    token = form.get("form_token")
    values["form_token"] = token if isinstance(token, str) and _TOKEN.match(token) else ""
    # Send shows what will go and asks; only Confirm sends. Anything else is a Send.
    action = form.get("action")
    values["action"] = action if action in ("preview", "confirm") else "send"
    return values


FormDep = Annotated[dict[str, str], Depends(submitted_form)]


@cache
def _zones() -> tuple[str, ...]:
    """IANA names for the time zone fields' suggestions (Area/City, and UTC)."""
    areas = {z for z in available_timezones() if "/" in z and z[0].isupper()}
    return ("UTC", *sorted(areas - {"Etc/UTC"}))


def _new_token() -> str:
    return secrets.token_urlsafe(18)


def _prefill(db: Session) -> dict[str, str]:
    """The candidate of the last decline composed here: one person declines many times."""
    key = find_dashboard_key(db)
    if key is None:
        return {}
    last = db.scalars(
        select(Decline)
        .where(col(Decline.api_key_id) == key.id)
        .order_by(col(Decline.created_at).desc(), col(Decline.id).desc())
        .limit(1)
    ).first()
    if last is None:
        return {}
    return {
        "candidate_name": last.candidate_name,
        "candidate_email": last.candidate_email,
        "candidate_phone": last.candidate_phone or "",
        "candidate_timezone": last.candidate_timezone or "",
    }


def _compose_page(
    request: Request,
    settings: Settings,
    values: dict[str, str],
    *,
    status_code: int = 200,
    errors: tuple[compose_form.FieldError, ...] = (),
    preview: PreviewPublic | None = None,
    notice: str | None = None,
    confirming: bool = False,
) -> Response:
    response = page(
        request,
        "compose.html",
        status_code=status_code,
        active="compose",
        values=values,
        form_token=values.get("form_token") or _new_token(),
        errors=compose_form.errors_by_field(errors),
        summary=[(e.field, compose_form.label_for(e.field), e.message) for e in errors],
        preview=preview,
        confirming=confirming and preview is not None,
        notice=notice,
        zones=_zones(),
        rows=range(compose_form.CONTACT_ROWS),
        reasons=compose_form.REASON_CHOICES,
        rounds=compose_form.ROUND_CHOICES,
        roles=compose_form.ROLE_CHOICES,
        languages=compose_form.LANGUAGE_CHOICES,
        contact_languages=compose_form.CONTACT_LANGUAGE_CHOICES,
        language_names=compose_form.LANGUAGE_NAMES,
        greetings=compose_form.GREETING_CHOICES,
        sign_offs=compose_form.SIGN_OFF_CHOICES,
        invitation_senders=compose_form.INVITATION_FROM_CHOICES,
        note_max=PERSONAL_NOTE_MAX,
        default_zone=settings.timezone,
    )
    return _allow_mail_styles(response)


def _allow_mail_styles(response: Response) -> Response:
    """The preview's iframe srcdoc inherits this page's CSP: let the email's inline styles
    apply (never scripts, which both the CSP and the iframe sandbox forbid)."""
    response.headers["Content-Security-Policy"] = CSP_MESSAGE_VIEW
    return response


@router.get("/compose")
def compose(request: Request, _: AdminDep, db: SessionDep, settings: SettingsDep) -> Response:
    return _compose_page(request, settings, compose_form.blank(**_prefill(db)))


@router.post("/compose")
def submit(
    request: Request, _: CsrfDep, form: FormDep, db: SessionDep, settings: SettingsDep
) -> Response:
    """`action=preview`: the page again with the preview; `send` (the default): the same,
    asking to confirm, with the recipients named; `confirm`: accept and send."""
    action = form["action"]
    parsed = compose_form.parse(form, default_zone=settings.timezone)
    if parsed.request is None:
        return _compose_page(request, settings, form, status_code=422, errors=parsed.errors)
    if action != "confirm":
        preview = declines.preview(request=parsed.request, settings=settings, now=utcnow())
        return _compose_page(request, settings, form, preview=preview, confirming=action == "send")
    token = form.get("form_token") or ""
    try:
        accepted = declines.accept_once(
            session=db,
            request=parsed.request,
            api_key=dashboard_key(db),
            settings=settings,
            now=utcnow(),
            idempotency_key=IDEMPOTENCY_PREFIX + token if token else None,
        )
    except declines.KeyReused:
        # This form was already sent, and has been changed since: don't guess which one
        # is meant. A fresh form token makes the next Send a new decline.
        fresh = {**form, "form_token": _new_token()}
        return _compose_page(
            request,
            settings,
            fresh,
            status_code=409,
            notice="This form was already sent, with other values. Nothing new was sent. "
            "Check the form and press Send again to send a new decline.",
        )
    except Unprocessable as exc:  # e.g. headers that would not read back as written
        return _compose_page(request, settings, form, status_code=422, notice=exc.detail)
    if not accepted.replayed:
        on_commit(db, request.app.state.outbox.wake)
        on_commit(db, metrics.DECLINES_ACCEPTED.inc)
    return RedirectResponse(f"/dashboard/declines/{accepted.body['id']}", status_code=303)


@router.post("/compose/preview")
def preview_fragment(
    request: Request, _: CsrfDep, form: FormDep, settings: SettingsDep
) -> Response:
    """The live preview (htmx swaps it into #preview); always 200, since htmx swaps only
    2xx. An incomplete form keeps the last preview and says what is left to fix."""
    parsed = compose_form.parse(form, default_zone=settings.timezone)
    context: dict[str, Any] = {
        "preview": None,
        "problems": [],
        "language_names": compose_form.LANGUAGE_NAMES,
        "preview_kept": request.headers.get("hx-request") == "true",
    }
    if parsed.request is None:
        context["problems"] = [(compose_form.label_for(e.field), e.message) for e in parsed.errors]
    else:
        context["preview"] = declines.preview(
            request=parsed.request, settings=settings, now=utcnow()
        )
    response = page(request, "_preview_fragment.html", **context)
    if context["preview"] is None:
        response.headers["HX-Reswap"] = "none"  # the problems still swap, out of band
    return _allow_mail_styles(response)
