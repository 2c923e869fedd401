"""Server-side dashboard sessions: logout ends one session, for every copy of its cookie."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from service.core.db import session_scope, utcnow
from service.dashboard import session as cookie
from service.models import DashboardSession
from tests.browser import LiveServer, serve
from tests.dashboard.browsers import browser, csrf_of, sign_in, signed_in
from tests.dashboard.conftest import Dashboard, set_password
from tests.factories import make_settings, run_due_at


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    set_password(database_url)
    with serve(make_settings(database_url, tmp_path), scheduler=False) as live:
        yield live


def test_logout_ends_that_session_and_every_copy_of_its_cookie_but_no_other(
    server: LiveServer,
) -> None:
    with (
        browser(server.url) as laptop,
        browser(server.url) as phone,
        browser(server.url) as thief,
    ):
        assert sign_in(laptop).status_code == 303
        assert sign_in(phone).status_code == 303
        copied = laptop.cookies.get(cookie.COOKIE, path="/dashboard")
        assert copied
        thief.cookies.set(cookie.COOKIE, copied, path="/dashboard")
        assert signed_in(thief)  # a copy works as long as the session does

        laptop_csrf, phone_csrf = csrf_of(laptop), csrf_of(phone)
        assert laptop_csrf != phone_csrf
        # One session's CSRF token does not act for another's.
        refused = phone.post("/dashboard/logout", data={"csrf_token": laptop_csrf})
        assert refused.status_code == 403 and signed_in(phone)

        out = laptop.post("/dashboard/logout", data={"csrf_token": laptop_csrf})
        assert out.status_code == 303 and out.headers["location"] == "/dashboard/login"

        after = thief.get("/dashboard/")
        assert after.status_code == 303
        assert after.headers["location"] == "/dashboard/login?next=/dashboard/"
        assert not signed_in(laptop)
        assert signed_in(phone)  # the admin's other session goes on


def test_the_database_holds_no_usable_session_token(server: LiveServer) -> None:
    with browser(server.url) as laptop, browser(server.url) as thief:
        assert sign_in(laptop).status_code == 303
        token = laptop.cookies.get(cookie.COOKIE, path="/dashboard")
        assert token
        with session_scope(server.engine) as db:
            stored = db.scalars(select(DashboardSession)).one()
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert stored.user_agent and stored.user_agent.startswith("python-httpx")
        assert stored.ip_address == "127.0.0.1"
        # Someone who read the table cannot turn what is stored into a session.
        for leaked in (stored.token_hash, stored.id):
            thief.cookies.set(cookie.COOKIE, leaked, path="/dashboard")
            assert not signed_in(thief)


def test_a_session_ends_when_it_expires(dashboard: Dashboard) -> None:
    assert dashboard.client.get("/dashboard/").status_code == 200
    with session_scope(dashboard.client.app.state.engine) as db:  # type: ignore[attr-defined]
        row = db.scalars(select(DashboardSession)).one()
        assert row.expires_at - row.created_at == timedelta(hours=12)
        row.expires_at = utcnow() - timedelta(seconds=1)
    response = dashboard.client.get("/dashboard/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/dashboard/login")


def test_run_due_forgets_expired_sessions_and_keeps_live_ones(dashboard: Dashboard) -> None:
    engine = dashboard.client.app.state.engine  # type: ignore[attr-defined]
    with session_scope(engine) as db:
        live = db.scalars(select(DashboardSession)).one()
        stale = DashboardSession(
            token_hash="0" * 64,
            generation=live.generation,
            created_at=utcnow() - timedelta(hours=13),
            expires_at=utcnow() - timedelta(hours=1),
        )
        db.add(stale)
    # Even a pass run as of a far-off `--now` judges sessions by the real clock.
    summary = run_due_at(dashboard.client, datetime(2031, 1, 1, tzinfo=UTC))
    assert summary["dashboard_sessions_purged"] == 1
    with session_scope(engine) as db:
        assert db.scalars(select(DashboardSession.id)).all() == [live.id]
    assert dashboard.client.get("/dashboard/", follow_redirects=False).status_code == 200


def test_a_new_password_ends_every_stored_session(dashboard: Dashboard, database_url: str) -> None:
    set_password(database_url, "a completely new passphrase")
    with session_scope(dashboard.client.app.state.engine) as db:  # type: ignore[attr-defined]
        assert db.scalars(select(DashboardSession)).all() == []
    assert dashboard.client.get("/dashboard/", follow_redirects=False).status_code == 303
