"""Run the reader (service.inbound.reader) in worker processes, under a wall-clock limit.

Parsing is CPU work that holds the GIL: in a thread it would slow every request the API
serves meanwhile, and a thread cannot be stopped. Each worker process reads one message
at a time; one that runs past the limit is killed and replaced, and its message is
unparseable. Workers start with "spawn" (forking a process that runs an event loop and
threads is unsafe) when a message needs one, so `decline run-due` and a test pay for them
only when mail comes in; importing this module starts nothing.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

from service.inbound.classify import InboundMail
from service.inbound.reader import NotAnEmail, Unparseable, read

__all__ = ["ReaderPool", "running", "shared_pool"]

DEFAULT_WORKERS = 2
# A fresh worker imports the parser before it takes work; that is not the message's time.
STARTUP_SECONDS = 60.0
_READY = b"ready"
_CONTEXT = multiprocessing.get_context("spawn")


def _serve(conn: Connection) -> None:
    """A worker process: one raw message in, one answer out, until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is for the server; it stops us
    conn.send_bytes(_READY)
    while True:
        try:
            raw = conn.recv_bytes()
        except (EOFError, OSError):
            return
        answer: tuple[str, Any]
        try:
            answer = ("read", read(raw))
        except NotAnEmail as exc:
            answer = ("not_email", str(exc))
        except MemoryError:
            answer = ("read", Unparseable("parser error: out of memory"))
        conn.send(answer)


class _Worker:
    def __init__(self, generation: int) -> None:
        self.generation = generation
        self.conn, theirs = _CONTEXT.Pipe(duplex=True)
        self.process = _CONTEXT.Process(
            target=_serve, args=(theirs,), name="decline-inbound-reader", daemon=True
        )
        self.process.start()
        theirs.close()
        self.ready = False

    def ask(self, raw: bytes, timeout: float) -> tuple[str, Any]:
        try:
            if not self.ready:
                if not self.conn.poll(STARTUP_SECONDS) or self.conn.recv_bytes() != _READY:
                    return ("stopped", None)
                self.ready = True
            self.conn.send_bytes(raw)
            if not self.conn.poll(timeout):
                return ("timeout", None)
            answer: tuple[str, Any] = self.conn.recv()
            return answer
        except (EOFError, OSError):
            return ("stopped", None)

    def stop(self) -> None:
        self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=STARTUP_SECONDS)


class ReaderPool:
    """At most `size` worker processes; callers beyond that wait for one to be free."""

    def __init__(self, size: int = DEFAULT_WORKERS) -> None:
        self.size = size
        self._idle: list[_Worker] = []
        self._busy = 0
        self._generation = 0
        self._changed = threading.Condition()

    def read(self, raw: bytes, *, timeout: float) -> InboundMail | Unparseable:
        """What `reader.read(raw)` says, given at most `timeout` seconds of a worker's time."""
        for _ in range(2):  # a worker that died while idle is replaced once
            worker = self._take()
            kind, value = worker.ask(raw, timeout)
            self._give_back(worker, healthy=kind in ("read", "not_email"))
            if kind != "stopped":
                break
        if kind == "read":
            outcome: InboundMail | Unparseable = value
            return outcome
        if kind == "not_email":
            raise NotAnEmail(value)
        if kind == "timeout":
            return Unparseable(f"parser error: took longer than {timeout:g} s, stopped")
        return Unparseable("parser error: the worker process stopped")

    def close(self) -> None:
        """Stop the workers (busy ones when they finish); a later read starts new ones."""
        with self._changed:
            self._generation += 1
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()

    def _take(self) -> _Worker:
        with self._changed:
            while not self._idle and self._busy >= self.size:
                self._changed.wait()
            worker = self._idle.pop() if self._idle else _Worker(self._generation)
            self._busy += 1
            return worker

    def _give_back(self, worker: _Worker, *, healthy: bool) -> None:
        with self._changed:
            self._busy -= 1
            keep = healthy and worker.generation == self._generation
            if keep:
                self._idle.append(worker)
            self._changed.notify()
        if not keep:
            worker.stop()  # a replacement starts when next needed


_shared: ReaderPool | None = None
_owners = 0
_shared_lock = threading.Lock()


def shared_pool() -> ReaderPool:
    """This process's pool, created on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ReaderPool()
        return _shared


@contextmanager
def running(size: int = DEFAULT_WORKERS) -> Iterator[ReaderPool]:
    """Hold this process's pool (an app's lifespan does): up to `size` workers, started as
    messages arrive, all stopped when the last holder is done (tests run several apps in
    one process). Without a holder, the pool still works; its workers end with the process."""
    global _owners
    pool = shared_pool()
    with _shared_lock:
        _owners += 1
        pool.size = size if _owners == 1 else max(pool.size, size)
    try:
        yield pool
    finally:
        with _shared_lock:
            _owners -= 1
            last = _owners == 0
        if last:
            pool.close()
