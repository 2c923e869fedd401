"""A running app with an admin password, and a logged-in browser-like client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.auth import admin
from service.core.config import Settings
from service.core.db import make_engine, session_scope
from tests.dashboard.browsers import PASSWORD, csrf_of, sign_in
from tests.factories import make_settings, new_api_key, running_app


@dataclass
class Dashboard:
    client: TestClient
    settings: Settings
    token: str  # an API key, for setting things up over the API
    csrf: str = ""

    def login(self, password: str = PASSWORD) -> None:
        self.csrf = login(self.client, password)

    def post(self, url: str, **data: str) -> object:
        """Submit a dashboard form the way a browser does (no JavaScript)."""
        return self.client.post(url, data={"csrf_token": self.csrf, **data}, follow_redirects=False)


def login(client: TestClient, password: str = PASSWORD) -> str:
    """Log in through the form; returns the session's CSRF token."""
    response = sign_in(client, password)
    assert response.status_code == 303, response.text
    return csrf_of(client)


def set_password(database_url: str, password: str = PASSWORD) -> None:
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        admin.set_password(session, password)
    engine.dispose()


@pytest.fixture
def dashboard(database_url: str, tmp_path: Path) -> Iterator[Dashboard]:
    set_password(database_url)
    settings = make_settings(database_url, tmp_path)
    token = new_api_key(database_url)
    with running_app(settings) as client:
        dash = Dashboard(client=client, settings=settings, token=token)
        dash.login()
        yield dash
