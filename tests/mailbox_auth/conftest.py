"""Peers for OAuth2 mailbox tests: the local provider and an aiosmtpd that takes XOAUTH2."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.imap_server import DOVECOT, Dovecot
from tests.mailbox_auth.oauth_server import OAuthServer, Provider
from tests.peers import free_port, missing_peer
from tests.smtp_sink import SERVER_NAME, Sink, TlsMaterial


class XOAuth2Sink(Sink):
    """A sink whose AUTH XOAUTH2 accepts only access tokens the provider says are valid."""

    def __init__(self, provider: Provider) -> None:
        super().__init__()
        self.provider = provider
        self.token_checks: list[bool] = []

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> AuthResult:  # noqa: N802
        raw = base64.b64decode(args[1]).decode() if len(args) > 1 else ""
        fields = dict(part.split("=", 1) for part in raw.split("\x01") if "=" in part)
        token = fields.get("auth", "").removeprefix("Bearer ")
        ok = fields.get("user") == self.provider.user and self.provider.valid(token)
        self.token_checks.append(ok)
        if ok:
            return AuthResult(success=True, auth_data=fields.get("user"))
        return AuthResult(
            success=False, handled=False, message="535 5.7.8 Username and Password not accepted"
        )


@pytest.fixture
def provider() -> Provider:
    return Provider()


@pytest.fixture
def oauth_server(provider: Provider) -> Iterator[OAuthServer]:
    server = OAuthServer(provider)
    yield server
    server.stop()


@pytest.fixture
def xoauth2_smtp(provider: Provider) -> Iterator[tuple[XOAuth2Sink, dict[str, Any]]]:
    sink = XOAuth2Sink(provider)
    port = free_port()
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=port,
        server_hostname=SERVER_NAME,
        auth_required=True,
        auth_require_tls=False,
        ready_timeout=10.0,
    )
    controller.start()
    yield (
        sink,
        {
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_security": "none",
            "smtp_username": provider.user,
        },
    )
    controller.stop()


def _oauth2_passdb(root: Path, server: OAuthServer) -> str:
    """Dovecot's oauth2 passdb, asking the local provider about each token (RFC 7662)."""
    conf = root / "dovecot-oauth2.conf.ext"
    conf.write_text(
        f"introspection_url = {server.url}/introspect\n"
        "introspection_mode = post\n"
        "username_attribute = username\n"
        "active_attribute = active\n"
        "active_value = true\n"
    )
    conf.chmod(0o644)
    return f"  driver = oauth2\n  mechanisms = xoauth2 oauthbearer plain\n  args = {conf}"


@pytest.fixture
def oauth_dovecot(tls_material: TlsMaterial, oauth_server: OAuthServer) -> Iterator[Dovecot]:
    """A Dovecot whose only sign-in is an OAuth2 access token the provider says is active."""
    if not DOVECOT.exists():
        missing_peer("Dovecot", "apt-get install -y dovecot-imapd")
    server = Dovecot(tls_material, mechanisms="plain xoauth2 oauthbearer")
    server.passdb = _oauth2_passdb(server.root, oauth_server)
    try:
        yield server.start()
    finally:
        server.cleanup()
