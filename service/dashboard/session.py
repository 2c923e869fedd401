"""The dashboard's session cookie: HttpOnly, SameSite=Lax, holding a random token.

The token means nothing by itself: it opens a row in `dashboard_sessions` (see
`service.auth.sessions`), which logout deletes, so a copy of the cookie dies with it. The
CSRF token is derived from the session token and SECRET_KEY, so it is stored nowhere.
"""

from __future__ import annotations

import hashlib
import hmac
from base64 import urlsafe_b64encode
from dataclasses import dataclass

from fastapi import Request, Response

COOKIE = "decline_session"
PATH = "/dashboard"


@dataclass(frozen=True)
class SessionData:
    id: str  # the row in dashboard_sessions
    csrf: str


def csrf_token(secret_key: str, token: str) -> str:
    digest = hmac.new(secret_key.encode(), b"csrf:" + token.encode(), hashlib.sha256).digest()
    return urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue(request: Request, response: Response, *, token: str, max_age: int) -> None:
    """Give the browser its session token."""
    response.set_cookie(
        COOKIE,
        token,
        max_age=max_age,
        path=PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",  # behind TLS (proxy headers honoured by uvicorn)
    )


def token(request: Request) -> str | None:
    return request.cookies.get(COOKIE) or None


def clear(response: Response) -> None:
    response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="lax")
