"""Logging in and out, sessions, CSRF, rate limits and the security headers."""

from __future__ import annotations

import re
from pathlib import Path

from service.auth import admin
from service.core.db import make_engine, session_scope
from tests.dashboard.conftest import PASSWORD, Dashboard, login, set_password
from tests.factories import make_settings, running_app


def test_every_page_sends_a_visitor_without_a_session_to_login(
    database_url: str, tmp_path: Path
) -> None:
    set_password(database_url)
    with running_app(make_settings(database_url, tmp_path)) as client:
        response = client.get("/dashboard/", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/dashboard/login?next=/dashboard/"
        htmx = client.get("/dashboard/", headers={"HX-Request": "true"}, follow_redirects=False)
        assert htmx.headers["HX-Redirect"].startswith("/dashboard/login")


def test_login_sets_a_hardened_cookie_and_logout_ends_the_session(dashboard: Dashboard) -> None:
    client = dashboard.client
    assert client.get("/dashboard/").status_code == 200
    response = dashboard.post("/dashboard/logout")
    assert response.status_code == 303 and response.headers["location"] == "/dashboard/login"
    assert client.get("/dashboard/", follow_redirects=False).status_code == 303


def test_the_session_cookie_is_httponly_lax_and_scoped(database_url: str, tmp_path: Path) -> None:
    set_password(database_url)
    with running_app(make_settings(database_url, tmp_path)) as client:
        form = client.get("/dashboard/login")
        token = re.search(r'name="login_token" value="([^"]+)"', form.text)
        assert token is not None
        response = client.post(
            "/dashboard/login",
            data={
                "password": PASSWORD,
                "login_token": token.group(1),
                "next": "https://evil.example/",
            },
            follow_redirects=False,
        )
        assert response.headers["location"] == "/dashboard/"  # never off-site
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/dashboard" in cookie
        assert "secure" not in cookie  # plain HTTP here; behind TLS the cookie is Secure


def test_a_wrong_password_is_refused_and_attempts_are_rate_limited(
    database_url: str, tmp_path: Path
) -> None:
    set_password(database_url)
    settings = make_settings(database_url, tmp_path, login_rate_limit="3/minute")
    with running_app(settings) as client:
        codes = []
        for _ in range(4):
            form = client.get("/dashboard/login")
            token = re.search(r'name="login_token" value="([^"]+)"', form.text)
            assert token is not None
            response = client.post(
                "/dashboard/login",
                data={"password": "guess", "login_token": token.group(1)},
                follow_redirects=False,
            )
            codes.append(response.status_code)
        assert codes == [401, 401, 401, 429]
        assert "Too many attempts" in response.text and response.headers["Retry-After"]


def test_a_form_without_the_csrf_token_is_refused(dashboard: Dashboard) -> None:
    response = dashboard.client.post("/dashboard/logout", data={}, follow_redirects=False)
    assert response.status_code == 403
    forged = dashboard.client.post(
        "/dashboard/logout", data={"csrf_token": "forged"}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert dashboard.client.get("/dashboard/").status_code == 200  # still logged in


def test_a_new_password_signs_out_every_session(dashboard: Dashboard, database_url: str) -> None:
    set_password(database_url, "a completely new passphrase")
    assert dashboard.client.get("/dashboard/", follow_redirects=False).status_code == 303
    login(dashboard.client, "a completely new passphrase")
    assert dashboard.client.get("/dashboard/").status_code == 200


def test_admin_password_bootstraps_once(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path, admin_password="bootstrap passphrase")
    with running_app(settings) as client:
        login(client, "bootstrap passphrase")
    set_password(database_url, "changed afterwards ok")
    with running_app(settings) as client:  # a restart does not reset it
        login(client, "changed afterwards ok")
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        assert admin.verify(session, "bootstrap passphrase") is None
    engine.dispose()


def test_pages_carry_security_headers(dashboard: Dashboard) -> None:
    response = dashboard.client.get("/dashboard/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert "<script" not in response.text.replace(
        '<script src="/dashboard/static/htmx.min.js" defer></script>', ""
    )
    static = dashboard.client.get("/dashboard/static/htmx.min.js")
    assert static.status_code == 200 and "htmx" in static.text


def test_behind_tls_the_session_cookie_is_secure(database_url: str, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from service.app import create_app

    set_password(database_url)
    app = create_app(make_settings(database_url, tmp_path), scheduler=False)
    with TestClient(app, base_url="https://decline.example") as client:
        form = client.get("/dashboard/login")
        token = re.search(r'name="login_token" value="([^"]+)"', form.text)
        assert token is not None
        response = client.post(
            "/dashboard/login",
            data={"password": PASSWORD, "login_token": token.group(1)},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert "secure" in response.headers["set-cookie"].lower()
