"""Log in with the admin password, log out. Attempts are limited (see `login_limits`)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from service.auth import admin, sessions
from service.core.config import Settings
from service.core.deps import SessionDep, SettingsDep
from service.dashboard import login_limits
from service.dashboard import session as cookie
from service.dashboard.deps import CsrfDep, current_session, safe_next, session_max_age
from service.dashboard.render import page

router = APIRouter()

LOGIN_COOKIE = "decline_login"  # double-submit token for the login form itself


def _signer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="decline.dashboard.login")


def _safe_next(target: str | None) -> str:
    """Only our own pages: never an absolute or scheme-relative URL."""
    return target if target and safe_next(target) else "/dashboard/"


def _login_page(
    request: Request,
    settings: Settings,
    *,
    next_path: str,
    error: str | None = None,
    status_code: int = 200,
    has_password: bool = True,
) -> Response:
    nonce = secrets.token_urlsafe(24)
    response = page(
        request,
        "login.html",
        status_code=status_code,
        login_token=_signer(settings).dumps(nonce),
        next_path=next_path,
        error=error,
        has_password=has_password,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=3600,
        path="/dashboard",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/login")
def login_form(
    request: Request, db: SessionDep, settings: SettingsDep, next: str | None = None
) -> Response:
    if current_session(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(
        request, settings, next_path=_safe_next(next), has_password=admin.has_password(db)
    )


@router.post("/login")
def login(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    password: Annotated[str, Form(max_length=1024)] = "",
    login_token: Annotated[str, Form(max_length=512)] = "",
    next: Annotated[str, Form(max_length=2048)] = "/dashboard/",
) -> Response:
    next_path = _safe_next(next)
    try:
        nonce = _signer(settings).loads(login_token, max_age=3600)
    except BadSignature:
        nonce = None
    if not nonce or not secrets.compare_digest(str(nonce), request.cookies.get(LOGIN_COOKIE, "")):
        return _login_page(
            request,
            settings,
            next_path=next_path,
            error="This form expired. Please try again.",
            status_code=403,
        )
    host = request.client.host if request.client else None
    generation = admin.generation(db)
    browser = login_limits.known_browser(
        request, secret_key=settings.secret_key, generation=generation
    )
    # Counted before the check, so concurrent guesses cannot all slip under the limit.
    verdict = login_limits.for_app(request).attempt(
        address=login_limits.address_key(host), browser=browser
    )
    if not verdict.allowed:
        response = _login_page(
            request,
            settings,
            next_path=next_path,
            error="Too many attempts. Try again in "
            f"{login_limits.retry_phrase(verdict.retry_after)}.",
            status_code=429,
        )
        response.headers["Retry-After"] = str(verdict.retry_after)
        return response
    account = admin.verify(db, password)
    if account is None:
        return _login_page(
            request,
            settings,
            next_path=next_path,
            error="That password is not right.",
            status_code=401,
            has_password=generation is not None,
        )
    token = sessions.start(
        db,
        generation=account.generation,
        lifetime=timedelta(seconds=session_max_age(settings)),
        user_agent=request.headers.get("user-agent"),
        ip_address=host,
    )
    response = RedirectResponse(next_path, status_code=303)
    cookie.issue(request, response, token=token, max_age=session_max_age(settings))
    login_limits.remember_browser(
        request,
        response,
        secret_key=settings.secret_key,
        generation=account.generation,
        browser=browser,
    )
    response.delete_cookie(LOGIN_COOKIE, path="/dashboard")
    return response


@router.post("/logout")
def logout(data: CsrfDep, db: SessionDep) -> Response:
    """End this session on the server too: a copy of its cookie opens nothing afterwards."""
    sessions.end(db, data.id)
    response = RedirectResponse("/dashboard/login", status_code=303)
    cookie.clear(response)
    return response
