"""The SMTP transport against real servers: TLS modes, AUTH, connection reuse, reconnects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from service.core.db import make_engine
from service.models import MessageStatus
from service.outbox.policy import OutcomeKind
from service.outbox.service import run_pass
from service.outbox.transports import SmtpTransport, make_transport
from tests.outbox.factories import get_message, get_messages, make_decline, make_settings
from tests.smtp_sink import SmtpServer

# aiosmtpd does not count implicit TLS as TLS for AUTH, and says so on every connection.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture
def db(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


def settings_for(db: Engine, tmp_path: Path, server: SmtpServer, **overrides):
    values = server.settings() | overrides
    return make_settings(str(db.url), tmp_path, **values)


async def deliver(db: Engine, settings, transport: SmtpTransport | None = None):
    own = transport is None
    transport = transport or SmtpTransport(settings)
    try:
        return await run_pass(engine=db, transport=transport, settings=settings)
    finally:
        if own:
            await transport.close()


@pytest.mark.parametrize("mode", ["starttls", "tls"])
async def test_tls_with_auth_delivers(
    db: Engine, tmp_path: Path, mode: str, request: pytest.FixtureRequest
) -> None:
    server: SmtpServer = request.getfixturevalue(f"smtp_server_{mode}")
    settings = settings_for(db, tmp_path, server)
    transport = make_transport(settings)
    assert isinstance(transport, SmtpTransport) and transport.name == "smtp"
    _, [mid] = make_decline(db, ["charles@engines.example"])
    summary = await deliver(db, settings, transport)
    await transport.close()
    row = get_message(db, mid)
    assert summary.sent == 1 and row.status == MessageStatus.sent
    [got] = server.sink.received
    assert got.content == row.raw


async def test_wrong_password_keeps_messages_queued_without_hammering(
    db: Engine, tmp_path: Path, smtp_server_starttls: SmtpServer
) -> None:
    settings = settings_for(
        db, tmp_path, smtp_server_starttls, smtp_password="wrong", smtp_connections=2
    )
    _, ids = make_decline(db, [f"r{i}@engines.example" for i in range(6)])
    summary = await deliver(db, settings)
    # A bad password is our configuration, not the message: retry once it is fixed.
    assert summary.retried == 6
    for row in get_messages(db, ids):
        assert row.status == MessageStatus.queued and row.last_error is not None
        assert "authentication failed" in row.last_error and "535" in row.last_error
    assert smtp_server_starttls.sink.received == []
    # Once refused, the rest of the batch does not try to log in again.
    assert smtp_server_starttls.sink.connections <= 2


async def test_untrusted_certificate_is_a_transient_error(
    db: Engine, tmp_path: Path, smtp_server_tls: SmtpServer
) -> None:
    settings = settings_for(db, tmp_path, smtp_server_tls, smtp_ca_file=None)
    _, [mid] = make_decline(db, ["charles@engines.example"])
    await deliver(db, settings)
    row = get_message(db, mid)
    assert row.status == MessageStatus.queued
    assert row.last_error is not None and "CERTIFICATE_VERIFY_FAILED" in row.last_error


async def test_connections_are_pooled_and_reused_across_passes(
    db: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    settings = settings_for(db, tmp_path, smtp_server, smtp_connections=3, outbox_batch_size=5)
    _, first = make_decline(db, [f"first{i}@x.example" for i in range(12)])
    transport = SmtpTransport(settings)
    one = await deliver(db, settings, transport)
    _, second = make_decline(db, [f"second{i}@x.example" for i in range(4)])
    two = await deliver(db, settings, transport)
    await transport.close()

    assert (one.sent, two.sent) == (12, 4)
    assert all(r.status == MessageStatus.sent for r in get_messages(db, first + second))
    assert smtp_server.sink.connections <= 3
    assert transport.connections_opened == smtp_server.sink.connections
    assert len(smtp_server.sink.received) == 16


async def test_reconnects_after_the_server_dropped_the_connection(
    db: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    settings = settings_for(db, tmp_path, smtp_server, smtp_connections=1)
    transport = SmtpTransport(settings)
    make_decline(db, ["before@x.example"])
    await deliver(db, settings, transport)
    smtp_server.restart()  # drops the kept-open connection
    _, [mid] = make_decline(db, ["after@x.example"])
    summary = await deliver(db, settings, transport)
    await transport.close()
    row = get_message(db, mid)
    assert summary.sent == 1 and row.attempts == 1 and row.status == MessageStatus.sent
    assert smtp_server.sink.connections == 2


async def test_a_refusal_leaves_the_connection_usable(
    db: Engine, tmp_path: Path, smtp_server_factory
) -> None:
    server: SmtpServer = smtp_server_factory(rcpt_replies={"gone@x.example": "550 5.1.1 No"})
    settings = settings_for(db, tmp_path, server, smtp_connections=1)
    _, ids = make_decline(db, ["a@x.example", "gone@x.example", "b@x.example", "c@x.example"])
    summary = await deliver(db, settings)
    assert (summary.sent, summary.failed) == (3, 1)
    assert server.sink.connections == 1  # RSET after the refusal, same connection after it
    statuses = [r.status for r in get_messages(db, ids)]
    assert statuses.count(MessageStatus.sent) == 3


async def test_send_reports_outcomes_without_a_database(smtp_server_factory, tmp_path) -> None:
    server: SmtpServer = smtp_server_factory(rcpt_replies={"busy@x.example": "452 4.2.2 Full"})
    settings = make_settings("sqlite://", tmp_path, **server.settings())
    transport = SmtpTransport(settings)

    class Item:
        id = "m1"
        envelope_from = "declines@mailer.example"
        envelope_to = "busy@x.example"
        raw = b"Subject: hi\r\n\r\nhello\r\n"

    outcome = await transport.send(Item())  # type: ignore[arg-type]
    await transport.close()
    assert outcome.kind is OutcomeKind.transient and outcome.code == 452
    assert outcome.detail == "452 4.2.2 Full"


async def test_a_connection_closed_by_the_server_is_retried_on_a_fresh_one(
    db: Engine, tmp_path: Path, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    smtp_server.sink.drop_reused_with = "421 4.4.2 Idle too long, closing"
    settings = settings_for(db, tmp_path, smtp_server, smtp_connections=1)
    transport = SmtpTransport(settings)
    make_decline(db, ["before@x.example"])
    await deliver(db, settings, transport)
    _, [mid] = make_decline(db, ["after@x.example"])
    with caplog.at_level("INFO", logger="service.outbox.transports"):
        summary = await deliver(db, settings, transport)
    await transport.close()
    row = get_message(db, mid)
    assert summary.sent == 1 and row.attempts == 1 and row.status == MessageStatus.sent
    assert smtp_server.sink.connections == 2
    assert "reconnecting" in caplog.text
