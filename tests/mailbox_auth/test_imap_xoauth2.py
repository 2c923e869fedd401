"""IMAP over OAuth2 on a real Dovecot whose oauth2 passdb asks the local provider about
each token: the inbound poll and the Sent copy sign in with XOAUTH2, an expired token is
refreshed once, a revoked sign-in says so on /readyz and the System page while mail waits."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from service.core.config import Settings
from service.inbound.jobs import poll_inbox
from service.sent_copies.jobs import copy_sent
from tests.dashboard.conftest import login, set_password
from tests.factories import running_app
from tests.imap_server import Dovecot, ImapAccount
from tests.mailbox_auth.oauth_server import OAuthServer, Provider
from tests.mailbox_auth.test_smtp_xoauth2 import log_in
from tests.outbox.factories import make_settings
from tests.sent_copies.test_copy_to_sent import copy_row, sent_decline

MAIL = (
    b"From: Someone <someone@elsewhere.example>\r\nTo: ada@mailer.example\r\n"
    b"Subject: Hello\r\nMessage-ID: <hello-1@elsewhere.example>\r\n\r\nJust saying hello.\r\n"
)
REVOKED = (
    "the Microsoft 365 sign-in for ada@mailer.example was revoked; run `decline mailbox login`"
)


@dataclass
class Mailbox:
    """A signed-in OAuth2 mailbox with one message waiting in its INBOX."""

    engine: Engine
    settings: Settings
    provider: Provider
    outside: ImapAccount  # what the test sees from outside: PLAIN with a token as password

    def look(self) -> ImapAccount:
        self.outside.password = self.provider.issue()[0]
        return self.outside


@pytest.fixture
async def mailbox(
    engine: Engine,
    tmp_path: Path,
    oauth_server: OAuthServer,
    provider: Provider,
    oauth_dovecot: Dovecot,
) -> Mailbox:
    values = oauth_server.settings() | {
        "imap_host": oauth_dovecot.host,
        "imap_port": oauth_dovecot.port,
        "imap_security": "none",
        "imap_username": provider.user,
        "imap_timeout_seconds": 10.0,
    }
    settings = make_settings(str(engine.url), tmp_path, **values)
    log_in(engine, settings, provider)
    found = Mailbox(engine, settings, provider, oauth_dovecot.add_user(provider.user))
    await found.look().append(MAIL)
    await found.look().create_folder("Sent")
    return found


async def test_the_poll_and_the_sent_copy_sign_in_with_xoauth2(mailbox: Mailbox) -> None:
    engine, settings, provider = mailbox.engine, mailbox.settings, mailbox.provider
    assert settings.imap_password is None
    [mid] = sent_decline(engine, "charles@engines.example")
    checked = len(provider.introspections)

    polled = await poll_inbox(engine=engine, settings=settings)
    copied = await copy_sent(engine=engine, settings=settings)

    assert polled is not None and "error" not in polled and polled["fetched"] == 1
    assert copied is not None and copied["copied"] == 1
    assert copy_row(engine, mid).copied_at is not None
    assert provider.introspections[checked:] == [True, True]  # one sign-in each, token checked
    assert provider.refreshes() == 0


async def test_an_expired_token_is_refreshed_once_and_the_poll_succeeds(mailbox: Mailbox) -> None:
    provider = mailbox.provider
    provider.expire_all()  # Dovecot refuses it though we still think it valid
    checked = len(provider.introspections)

    polled = await poll_inbox(engine=mailbox.engine, settings=mailbox.settings)

    assert polled is not None and "error" not in polled and polled["fetched"] == 1
    assert provider.refreshes() == 1
    assert provider.introspections[checked:] == [False, True]


async def test_a_revoked_sign_in_says_so_while_mail_waits_until_a_new_login(
    mailbox: Mailbox,
) -> None:
    engine, settings, provider = mailbox.engine, mailbox.settings, mailbox.provider
    [mid] = sent_decline(engine, "charles@engines.example")
    provider.revoke_all()

    polled = await poll_inbox(engine=engine, settings=settings)
    copied = await copy_sent(engine=engine, settings=settings)

    assert polled is not None and REVOKED in polled["error"]
    assert copied is not None and copied["failed"] == 1
    assert REVOKED in (copy_row(engine, mid).last_error or "")
    assert provider.refreshes() == 1  # tried once; a revoked grant is not asked again
    assert await mailbox.look().uids("Sent") == []
    assert list((await mailbox.look().flags()).values()) == [set()]  # still unread, waiting

    set_password(str(engine.url))
    with running_app(settings) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503 and REVOKED in ready.json()["detail"]
        login(client)
        system = html.unescape(client.get("/dashboard/system").text)
        assert f"Mail is waiting: {REVOKED}" in re.sub(r"<[^>]+>", "", system)

    log_in(engine, settings, provider)  # someone ran `decline mailbox login` again
    again = await poll_inbox(engine=engine, settings=settings)
    assert again is not None and again.get("fetched") == 1
