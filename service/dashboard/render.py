"""Render dashboard pages from `templates/dashboard/` with the shared Jinja2 environment."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from sqlalchemy.orm import Session
from starlette.responses import Response

from service import __version__
from service.core.config import Settings
from service.core.db import session_scope, utcnow
from service.dashboard.outage import Outage, delivery_outage
from service.dashboard.relative import relative
from service.declines.validation import display_phone
from service.outbox import trouble
from service.templating import environment

_templates = Jinja2Templates(env=environment())


def _when(value: datetime | None, zone: str = "UTC") -> str:
    """ "Mon 23 Nov 2026, 09:05 EST" in the operator's time zone, named, since calls are
    booked in other people's zones; "" for nothing."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M %Z}"


def _at(value: datetime | None, zone: str = "UTC", short: bool = False) -> Markup:
    """A `<time>` element: the absolute time with how far it is ("in 2 h"); `short` shows
    only how far, the absolute time in its tooltip (for lists)."""
    if value is None:
        return Markup("")
    absolute, far = _when(value, zone), relative(value, utcnow(), zone)
    shown = (
        escape(far) if short else Markup('{} <span class="muted">({})</span>').format(absolute, far)
    )
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        value.isoformat(), absolute, shown
    )


def _label(value: str | None) -> str:
    """`no_answer` -> "no answer"."""
    return (value or "").replace("_", " ")


def _phone(e164: str | None) -> str:
    """+442079460958 -> "+44 20 7946 0958", as people read it aloud."""
    return display_phone(e164) if e164 else ""


environment().filters.setdefault("when", _when)
environment().filters.setdefault("phone", _phone)
environment().filters.setdefault("label", _label)
environment().globals.setdefault("trouble", trouble)
environment().globals.setdefault("at", _at)


def page(request: Request, template: str, *, status_code: int = 200, **context: Any) -> Response:
    """A full page, or (for htmx) the same template: the layout decides what to emit."""
    settings: Settings = request.app.state.settings
    csrf = getattr(request.state, "csrf", "")
    htmx = request.headers.get("hx-request") == "true"
    return _templates.TemplateResponse(
        request,
        f"dashboard/{template}",
        {
            "settings": settings,
            "capture": settings.capture_mode,
            "zone": settings.timezone,
            "csrf": csrf,
            "version": __version__,
            "htmx": htmx,
            # Signed-in full pages only: a fragment has no banner, the login page no data.
            "outage": _outage(request) if csrf and not htmx else None,
            "active": "",
            **context,
        },
        status_code=status_code,
    )


def _outage(request: Request) -> Outage | None:
    """From the request's own transaction while it is open (a second one would wait on its
    write lock on SQLite); an error page, rendered after it closed, reads in its own."""
    session: Session | None = getattr(request.state, "db", None)
    if session is not None:
        return delivery_outage(session)
    with session_scope(request.app.state.engine) as own:
        return delivery_outage(own)
