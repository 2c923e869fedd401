"""Kill the server mid-send; after a restart every accepted message still arrives."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from email import message_from_bytes
from pathlib import Path

import httpx
from aiosmtpd.controller import Controller
from sqlalchemy import select

from service.core.db import make_engine
from service.models import Message
from tests.factories import auth, decline_body, new_api_key
from tests.peers import free_port, wait_for_port
from tests.waiting import wait_until

DECLINE = str(Path(sys.executable).parent / "decline")


class SlowSink:
    """An SMTP server that takes its time, so a kill lands while messages are in flight."""

    def __init__(self) -> None:
        self.message_ids: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd hook
        await asyncio.sleep(0.1)
        header = message_from_bytes(envelope.content)["Message-ID"]
        with self.lock:
            self.message_ids.append(str(header))
        return "250 OK"

    def received(self) -> set[str]:
        with self.lock:
            return set(self.message_ids)


def _serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    return subprocess.Popen(  # noqa: S603
        [DECLINE, "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
    )


def test_sigkill_mid_send_loses_nothing(tmp_path: Path, database_url: str) -> None:
    sink = SlowSink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    token = new_api_key(database_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECLINE_")} | {
        "DECLINE_DATABASE_URL": database_url,
        "DECLINE_SMTP_HOST": "127.0.0.1",
        "DECLINE_SMTP_PORT": str(smtp_port),
        "DECLINE_SMTP_CONNECTIONS": "2",
        "DECLINE_OUTBOX_BATCH_SIZE": "10",
        "DECLINE_OUTBOX_LEASE_SECONDS": "2",
        "DECLINE_OUTBOX_POLL_SECONDS": "1",
        "DECLINE_MAIL_FROM": "declines@mailer.example",
        "DECLINE_SECRET_KEY": "crash-test-secret-crash-test-secret",
    }
    port = free_port()
    log = tmp_path / "serve.log"
    server = _serve(env, port, log)
    try:
        wait_for_port(port, timeout=30)
        accepted: set[str] = set()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=auth(token)) as client:
            for i in range(20):
                body = decline_body(
                    company=f"Burst {i}",
                    contacts=[
                        {"name": f"Contact {i}-{j}", "email": f"c{i}-{j}@corp.example"}
                        for j in range(3)
                    ],
                )
                response = client.post("/v1/declines", json=body)
                assert response.status_code == 201, response.text
                accepted |= {c["message"]["message_id"] for c in response.json()["contacts"]}

        wait_until(lambda: len(sink.received()) >= 5, "the first deliveries", 30)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        at_kill = sink.received()
        assert len(at_kill) < len(accepted), "the kill came after everything was sent"

        server = _serve(env, port, log)
        wait_until(lambda: sink.received() >= accepted, "every message after the restart", 60)
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=10)
        controller.stop()

    assert sink.received() == accepted
    engine = make_engine(database_url)

    def statuses() -> set[str]:
        with engine.connect() as conn:
            return set(conn.execute(select(Message.status)).scalars())

    try:
        wait_until(lambda: statuses() == {"sent"}, "every row marked sent", 30)
    finally:
        engine.dispose()
