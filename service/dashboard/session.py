"""The dashboard's session: a signed, HttpOnly cookie carrying the CSRF token.

Stateless on purpose: any replica can read it. It names the admin password's generation,
so setting a new password signs every existing session out.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "decline_session"
PATH = "/dashboard"


@dataclass(frozen=True)
class SessionData:
    generation: int
    csrf: str


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="decline.dashboard.session")


def issue(
    request: Request, response: Response, *, secret_key: str, generation: int, max_age: int
) -> str:
    """Start a session on `response`; returns its CSRF token."""
    csrf = secrets.token_urlsafe(32)
    value = _serializer(secret_key).dumps({"g": generation, "c": csrf})
    response.set_cookie(
        COOKIE,
        value,
        max_age=max_age,
        path=PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",  # behind TLS (proxy headers honoured by uvicorn)
    )
    return csrf


def read(request: Request, *, secret_key: str, max_age: int) -> SessionData | None:
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    try:
        data = _serializer(secret_key).loads(value, max_age=max_age)
        return SessionData(generation=int(data["g"]), csrf=str(data["c"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def clear(response: Response) -> None:
    response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="lax")
