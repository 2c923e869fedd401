"""A real HTTP receiver on 127.0.0.1 that keeps every request and answers as told."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

from tests.peers import free_port


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    def verify(self, secret: str) -> dict:
        """The body, once the reference package has checked its signature with `secret`."""
        return Webhook(secret).verify(self.body, self.headers)  # type: ignore[no-any-return]


@dataclass
class Receiver:
    port: int
    # Each request takes the next (status, seconds to wait before answering); the last repeats.
    plan: list[tuple[int, float]] = field(default_factory=lambda: [(200, 0.0)])
    received: list[Received] = field(default_factory=list)
    padding: int = 0  # bytes added to each answer's body

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/decline"

    def answer(self) -> tuple[int, float]:
        index = min(len(self.received) - 1, len(self.plan) - 1)
        return self.plan[index]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            receiver.received.append(Received(self.path, headers, body))
            status, delay = receiver.answer()
            time.sleep(delay)
            reply = f"receiver says {status}".encode() + b"." * receiver.padding
            try:
                self.send_response(status)
                self.send_header("content-type", "text/plain")
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
            except OSError:
                pass  # the sender gave up waiting: that is what a slow receiver tests

        def log_message(self, *_: object) -> None:
            pass

    return Handler


@contextmanager
def receiving(receiver: Receiver) -> Iterator[Receiver]:
    """Listen on `receiver.port` until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", receiver.port), _handler(receiver))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def new_receiver(*plan: tuple[int, float]) -> Receiver:
    return Receiver(free_port(), list(plan) or [(200, 0.0)])
