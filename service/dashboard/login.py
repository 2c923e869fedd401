"""Log in with the admin password, log out. Attempts are rate-limited per client address."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from service.auth import admin
from service.core.config import Settings
from service.core.deps import SessionDep, SettingsDep
from service.dashboard import session as cookie
from service.dashboard.deps import CsrfDep, current_session, safe_next, session_max_age
from service.dashboard.render import page

router = APIRouter()

LOGIN_COOKIE = "decline_login"  # double-submit token for the login form itself


def _limiter(request: Request) -> MovingWindowRateLimiter:
    """Per app instance, in memory: with several replicas an attacker gets the limit once
    per replica, which still makes online guessing against an argon2 hash hopeless."""
    state = request.app.state
    if getattr(state, "login_limiter", None) is None:
        state.login_limiter = MovingWindowRateLimiter(MemoryStorage())
    limiter: MovingWindowRateLimiter = state.login_limiter
    return limiter


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
    client = request.client.host if request.client else "unknown"
    limit, limiter = parse(settings.login_rate_limit), _limiter(request)
    # Only failures count, but a client out of attempts is refused before any check.
    if not limiter.test(limit, "login", client):
        response = _login_page(
            request,
            settings,
            next_path=next_path,
            error="Too many attempts. Wait a minute, then try again.",
            status_code=429,
        )
        response.headers["Retry-After"] = "60"
        return response
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
    account = admin.verify(db, password)
    if account is None:
        limiter.hit(limit, "login", client)
        return _login_page(
            request,
            settings,
            next_path=next_path,
            error="That password is not right.",
            status_code=401,
            has_password=admin.has_password(db),
        )
    response = RedirectResponse(next_path, status_code=303)
    cookie.issue(
        request,
        response,
        secret_key=settings.secret_key,
        generation=account.generation,
        max_age=session_max_age(settings),
    )
    response.delete_cookie(LOGIN_COOKIE, path="/dashboard")
    return response


@router.post("/logout")
def logout(_: CsrfDep) -> Response:
    response = RedirectResponse("/dashboard/login", status_code=303)
    cookie.clear(response)
    return response
