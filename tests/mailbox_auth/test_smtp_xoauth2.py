"""Sending through an OAuth2 mailbox: refresh once on an expired token, wait on a revoked one."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from service.core.config import Settings
from service.mailbox_auth import oauth
from service.mailbox_auth.tokens import TokenSource, save_login, token_source
from service.models import MessageStatus
from service.outbox.service import run_pass
from service.outbox.transports import SmtpTransport
from tests.factories import running_app
from tests.mailbox_auth.oauth_server import OAuthServer, Provider
from tests.outbox.factories import get_message, make_decline, make_settings

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def oauth_settings(
    engine: Engine, tmp: Path, server: OAuthServer, smtp: dict[str, Any]
) -> Settings:
    return make_settings(str(engine.url), tmp, **(server.settings() | smtp))


def log_in(engine: Engine, settings: Settings, provider: Provider) -> tuple[str, str]:
    access, refresh = provider.issue()
    save_login(engine, settings, oauth.Grant(access, 3600, refresh))
    return access, refresh


async def deliver(engine: Engine, settings: Settings) -> Any:
    transport = SmtpTransport(settings)
    try:
        return await run_pass(engine=engine, transport=transport, settings=settings)
    finally:
        await transport.close()


async def test_expired_token_is_refreshed_once_and_the_mail_goes(
    engine: Engine, tmp_path: Path, oauth_server: OAuthServer, provider: Provider, xoauth2_smtp
) -> None:
    sink, smtp = xoauth2_smtp
    settings = oauth_settings(engine, tmp_path, oauth_server, smtp)
    log_in(engine, settings, provider)
    provider.expire_all()  # the server refuses it though we still think it valid
    _, [mid] = make_decline(engine, ["charles@engines.example"])
    summary = await deliver(engine, settings)
    assert summary.sent == 1 and get_message(engine, mid).status == MessageStatus.sent
    assert provider.refreshes() == 1
    assert sink.token_checks == [False, True]
    assert len(sink.received) == 1


async def test_revoked_sign_in_keeps_mail_queued_and_says_so_until_a_new_login(
    engine: Engine, tmp_path: Path, oauth_server: OAuthServer, provider: Provider, xoauth2_smtp
) -> None:
    sink, smtp = xoauth2_smtp
    settings = oauth_settings(engine, tmp_path, oauth_server, smtp)
    log_in(engine, settings, provider)
    provider.revoke_all()
    _, [mid] = make_decline(engine, ["charles@engines.example"])
    summary = await deliver(engine, settings)
    row = get_message(engine, mid)
    assert summary.sent == 0 and row.status == MessageStatus.queued
    reason = (
        f"the Microsoft 365 sign-in for {provider.user} was revoked; run `decline mailbox login`"
    )
    assert row.last_error is not None and reason in row.last_error

    with running_app(settings) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503 and reason in ready.json()["detail"]

    log_in(engine, settings, provider)  # someone ran `decline mailbox login` again
    with running_app(settings) as client:
        assert client.get("/readyz").status_code == 200
    with engine.begin() as conn:  # retry now rather than after the back-off
        conn.execute(text("UPDATE messages SET next_attempt_at = created_at"))
    summary = await deliver(engine, settings)
    assert get_message(engine, mid).status == MessageStatus.sent and len(sink.received) == 1


async def test_two_replicas_refresh_a_rotating_token_once(
    engine: Engine, tmp_path: Path, oauth_server: OAuthServer, provider: Provider
) -> None:
    settings = make_settings(str(engine.url), tmp_path, **oauth_server.settings())
    _, refresh = log_in(engine, settings, provider)
    provider.expire_all()
    with engine.begin() as conn:  # the stored access token is past its time
        conn.execute(text("UPDATE mailbox_tokens SET access_expires_at = updated_at"))
    first, second = TokenSource(settings, engine), TokenSource(settings, engine)
    a, b = await asyncio.gather(first.access_token(), second.access_token())
    # Refreshing twice with a rotated refresh token would have revoked one replica.
    assert provider.refreshes() == 1 and a == b and provider.valid(a)
    assert refresh not in provider.refresh_tokens


def test_tokens_are_stored_encrypted(
    engine: Engine, tmp_path: Path, oauth_server: OAuthServer, provider: Provider
) -> None:
    settings = make_settings(str(engine.url), tmp_path, **oauth_server.settings())
    access, refresh = log_in(engine, settings, provider)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM mailbox_tokens")).mappings().one()
    stored = " ".join(str(v) for v in row.values())
    assert access not in stored and refresh not in stored
    assert asyncio.run(token_source(settings, engine).access_token()) == access
