"""Kill the server mid-send, on default settings: after a restart every accepted message
arrives, within the lease window rather than minutes later, and at most the messages that
were inside an SMTP transaction at the kill arrive twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import select

from service.core.config import Settings
from service.core.db import make_engine
from service.models import Message
from tests.factories import auth, decline_body, new_api_key
from tests.outbox.counting_sink import CountingSink
from tests.peers import free_port, wait_for_port
from tests.waiting import wait_until

DECLINE = str(Path(sys.executable).parent / "decline")
DECLINES, CONTACTS = 40, 3  # 120 recipients, as in the report that a crash sent 20 twice
SMTP_CONNECTIONS = Settings.model_fields["smtp_connections"].default
# The default lease (30 s) plus a poll (10 s) is when a restarted service resumes; with the
# old 300 s lease nothing would move for five minutes.
RESUME_WITHIN = 90


def _serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    return subprocess.Popen(  # noqa: S603
        [DECLINE, "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
    )


def _accept_declines(port: int, token: str) -> set[str]:
    recipients: set[str] = set()
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=auth(token)) as client:
        for i in range(DECLINES):
            contacts = [
                {"name": f"Contact {i}-{j}", "email": f"c{i}-{j}@corp.example"}
                for j in range(CONTACTS)
            ]
            response = client.post("/v1/declines", json=decline_body(contacts=contacts))
            assert response.status_code == 201, response.text
            recipients |= {c["email"] for c in response.json()["contacts"]}
    return recipients


def test_sigkill_mid_send_resumes_soon_and_repeats_only_what_was_on_the_wire(
    tmp_path: Path, database_url: str
) -> None:
    token = new_api_key(database_url)
    port = free_port()
    log = tmp_path / "serve.log"
    with CountingSink(tmp_path, delay=0.5) as sink:
        # Only what a deployment sets: lease, batch, poll and connections are the defaults.
        env = {k: v for k, v in os.environ.items() if not k.startswith("DECLINE_")} | {
            "DECLINE_DATABASE_URL": database_url,
            "DECLINE_SMTP_HOST": "127.0.0.1",
            "DECLINE_SMTP_PORT": str(sink.port),
            "DECLINE_MAIL_FROM": "declines@mailer.example",
            "DECLINE_SECRET_KEY": "crash-test-secret-crash-test-secret",
        }
        server = _serve(env, port, log)
        try:
            wait_for_port(port, timeout=30)
            recipients = _accept_declines(port, token)
            assert len(recipients) == DECLINES * CONTACTS
            wait_until(lambda: len(sink.deliveries()) >= 20, "the first deliveries", 60)
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=10)
            at_kill = sink.deliveries()
            assert len(at_kill) < len(recipients), "the kill came after everything was sent"

            sink.set_delay(0.0)
            server = _serve(env, port, log)
            wait_until(
                lambda: set(sink.deliveries()) >= recipients,
                "every message after the restart",
                RESUME_WITHIN,
            )
        finally:
            if server.poll() is None:
                server.terminate()
                server.wait(timeout=10)

    deliveries = sink.deliveries()
    assert set(deliveries) == recipients
    twice = sorted(r for r, n in deliveries.items() if n > 1)
    assert all(deliveries[r] == 2 for r in twice), deliveries
    # Only a message inside an SMTP transaction at the kill can be sent again: one per
    # connection at most.
    assert len(twice) <= SMTP_CONNECTIONS, f"{len(twice)} sent twice: {twice}"
    engine = make_engine(database_url)

    def statuses() -> set[str]:
        with engine.connect() as conn:
            return set(conn.execute(select(Message.status)).scalars())

    try:
        wait_until(lambda: statuses() == {"sent"}, "every row marked sent", 30)
    finally:
        engine.dispose()
