"""Real SMTP servers for tests: aiosmtpd on 127.0.0.1, each in its own thread.

`Sink` is the handler: it records every accepted message (envelope and exact bytes, by
Message-ID), counts connections, and answers RCPT per recipient as configured.
`SmtpServer` runs a sink plain, as STARTTLS + AUTH (trustme certificates) or as implicit
TLS, and can stop and start again on the same port. Fixtures at the bottom; a test module
or conftest imports the ones it uses.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any, Literal

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.peers import free_port

Mode = Literal["plain", "starttls", "tls"]
SERVER_NAME = "sink.test"  # fixed, so aiosmtpd never asks DNS for the machine's name


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes  # exactly the bytes the client sent, dot-stuffing undone
    message_id: str | None
    connection: int  # which connection (1, 2, ...) carried it


@dataclass
class Sink:
    """The aiosmtpd handler. Thread-safe: the server runs in another thread than the test."""

    rcpt_replies: dict[str, str] = field(default_factory=dict)  # address -> "450 4.2.0 ..."
    received: list[Received] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    connections: int = 0  # connections that said EHLO (aiosmtpd's own probe never does)
    # When set, a connection that already carried a message answers its next MAIL with
    # this reply and closes, like a server timing out an idle kept-open connection.
    drop_reused_with: str | None = None

    def __post_init__(self) -> None:
        self.rcpt_replies = {k.casefold(): v for k, v in self.rcpt_replies.items()}
        self._changed = threading.Condition()

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        if getattr(server, "sink_connection", None) is None:  # STARTTLS says EHLO twice
            with self._changed:
                self.connections += 1
                server.sink_connection = self.connections
        return responses

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        if self.drop_reused_with and getattr(server, "sink_messages", 0) > 0:
            asyncio.get_running_loop().call_soon(server.transport.close)  # after the reply
            return self.drop_reused_with
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self.rcpt_replies.get(address.casefold())
        if reply is not None:
            with self._changed:
                self.refused.append((address, reply))
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = bytes(envelope.original_content)
        headers = BytesHeaderParser().parsebytes(content)
        item = Received(
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            content=content,
            message_id=headers.get("Message-ID"),
            connection=getattr(server, "sink_connection", 0),
        )
        server.sink_messages = getattr(server, "sink_messages", 0) + 1
        with self._changed:
            self.received.append(item)
            self._changed.notify_all()
        return f"250 2.0.0 OK queued as {len(self.received)}"

    def by_message_id(self) -> dict[str | None, list[Received]]:
        with self._changed:
            result: dict[str | None, list[Received]] = {}
            for item in self.received:
                result.setdefault(item.message_id, []).append(item)
            return result

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Block until `count` messages arrived (call it via asyncio.to_thread from async)."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self.received) >= count, timeout)


@dataclass
class TlsMaterial:
    ca: trustme.CA
    ca_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        return context


class SmtpServer:
    """One aiosmtpd server around a `Sink`; restartable on the same port."""

    def __init__(
        self,
        sink: Sink,
        *,
        mode: Mode = "plain",
        tls: TlsMaterial | None = None,
        credentials: dict[str, str] | None = None,
    ) -> None:
        if mode != "plain" and tls is None:
            raise ValueError(f"{mode} needs TLS material")
        self.sink, self.mode, self.tls = sink, mode, tls
        self.credentials = credentials or {}
        self.host, self.port = "127.0.0.1", free_port()
        self._controller: Controller | None = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> SmtpServer:
        kwargs: dict[str, Any] = {"server_hostname": SERVER_NAME, "ready_timeout": 10.0}
        if self.credentials:
            kwargs.update(authenticator=self._authenticate, auth_required=True)
        if self.mode == "starttls":
            assert self.tls is not None
            kwargs.update(
                tls_context=self.tls.server_context(), require_starttls=True, auth_require_tls=True
            )
        elif self.mode == "tls":
            assert self.tls is not None
            # aiosmtpd does not count implicit TLS as TLS for AUTH; the socket is TLS anyway.
            kwargs.update(ssl_context=self.tls.server_context(), auth_require_tls=False)
        else:
            kwargs.update(auth_require_tls=False)
        self._controller = Controller(self.sink, hostname=self.host, port=self.port, **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening and drop every open connection (a server going down)."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def settings(self) -> dict[str, Any]:
        """The DECLINE_SMTP_* settings that point the service at this server."""
        values: dict[str, Any] = {
            "smtp_host": self.host,
            "smtp_port": self.port,
            "smtp_security": {"plain": "none", "starttls": "starttls", "tls": "tls"}[self.mode],
            "smtp_timeout_seconds": 10.0,
        }
        if self.tls is not None:
            values["smtp_ca_file"] = self.tls.ca_file
        if self.credentials:
            username, password = next(iter(self.credentials.items()))
            values.update(smtp_username=username, smtp_password=password)
        return values

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            if self.credentials.get(login) == password:
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


# Fixtures -------------------------------------------------------------------------------

CREDENTIALS = {"mailer": "s3cret-pass"}


@pytest.fixture(scope="session")
def tls_material(tmp_path_factory: pytest.TempPathFactory) -> TlsMaterial:
    ca = trustme.CA()
    ca_file = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return TlsMaterial(ca=ca, ca_file=ca_file)


@pytest.fixture
def smtp_server_factory(tls_material: TlsMaterial) -> Iterator[Any]:
    """Start servers on demand: `smtp_server_factory(mode="starttls", rcpt_replies={...})`."""
    servers: list[SmtpServer] = []

    def make(
        mode: Mode = "plain",
        *,
        rcpt_replies: dict[str, str] | None = None,
        credentials: dict[str, str] | None = None,
    ) -> SmtpServer:
        sink = Sink(rcpt_replies=dict(rcpt_replies or {}))
        server = SmtpServer(
            sink, mode=mode, tls=None if mode == "plain" else tls_material, credentials=credentials
        )
        servers.append(server.start())
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def smtp_server(smtp_server_factory: Any) -> SmtpServer:
    """A plain SMTP server that accepts everything."""
    server: SmtpServer = smtp_server_factory("plain")
    return server


@pytest.fixture
def smtp_server_starttls(smtp_server_factory: Any) -> SmtpServer:
    """STARTTLS required, then AUTH required (user `mailer`, password `s3cret-pass`)."""
    server: SmtpServer = smtp_server_factory("starttls", credentials=CREDENTIALS)
    return server


@pytest.fixture
def smtp_server_tls(smtp_server_factory: Any) -> SmtpServer:
    """Implicit TLS from the first byte, AUTH required."""
    server: SmtpServer = smtp_server_factory("tls", credentials=CREDENTIALS)
    return server
