"""Typed FastAPI dependencies: settings, the request's unit of work, the caller's key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from service.auth import api_keys
from service.core.config import Settings
from service.core.db import session_scope
from service.core.errors import Unauthorized
from service.models import ApiKey


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """The request's one transaction: committed before the response leaves."""
    with session_scope(request.app.state.engine) as session:
        # Pages read from it too (the dashboard's banner): a second transaction would wait
        # on this one's write lock on SQLite.
        request.state.db = session
        try:
            yield session
        finally:
            # Closed now: an error page rendered after this reads in a transaction of its own.
            request.state.db = None


SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": commit before the response is sent, so a 201 means it is stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

_bearer = HTTPBearer(auto_error=False)


def require_api_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiKey:
    if credentials is None:
        raise Unauthorized("send your API key as 'Authorization: Bearer <key>'")
    # Its own short transaction: a route that runs long work (run-due) must not sit on an
    # open transaction, which on SQLite holds the write lock.
    with session_scope(request.app.state.engine) as session:
        key = api_keys.authenticate(session=session, token=credentials.credentials)
    if key is None:
        raise Unauthorized("this API key is not valid or has been revoked")
    return key


ApiKeyDep = Annotated[ApiKey, Depends(require_api_key)]
