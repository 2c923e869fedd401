"""Dashboard dependencies: the admin's session, and the CSRF check on every form."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from service.auth import sessions
from service.core.config import Settings
from service.core.db import session_scope
from service.dashboard import session as cookie
from service.dashboard.session import SessionData


class LoginRequired(Exception):
    """No valid session: the handler sends the browser to the login page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class CsrfRefused(Exception):
    """A form without this session's CSRF token."""


def session_max_age(settings: Settings) -> int:
    return int(settings.dashboard_session_hours * 3600)


def current_session(request: Request) -> SessionData | None:
    """The browser's live session: one that logout, expiry or a new password has not ended."""
    token = cookie.token(request)
    if token is None:
        return None
    with session_scope(request.app.state.engine) as db:
        row = sessions.find(db, token)
        if row is None:
            return None
        session_id = row.id
    settings: Settings = request.app.state.settings
    return SessionData(id=session_id, csrf=cookie.csrf_token(settings.secret_key, token))


def require_admin(request: Request) -> SessionData:
    data = current_session(request)
    if data is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    request.state.csrf = data.csrf
    return data


AdminDep = Annotated[SessionData, Depends(require_admin)]


async def require_csrf(request: Request, data: AdminDep) -> SessionData:
    """Every state-changing request carries the session's token (form field or header)."""
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not sent or not secrets.compare_digest(sent, data.csrf):
        raise CsrfRefused()
    return data


CsrfDep = Annotated[SessionData, Depends(require_csrf)]


def login_url(next_path: str) -> str:
    return "/dashboard/login?next=" + quote(next_path, safe="/")


def safe_next(value: str) -> bool:
    """Only a path inside the dashboard: no other host, scheme, or header-splitting bytes."""
    return (
        value.startswith("/dashboard/")
        and "\\" not in value
        and "//" not in value
        and all(ch.isprintable() and not ch.isspace() for ch in value)
        and len(value) <= 500
    )
