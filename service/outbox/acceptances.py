"""Step 1 of recording: note, the moment a server took a message, that it did.

`GroupCommit` commits acceptances as they come: one small UPDATE (`claims.accept`) a
transaction, each taking all that arrived while the one before ran, so concurrent
connections do not queue for a commit each. It is on every sender's path, so it keeps a
thread and a connection of its own for the pass: no pool checkout (nor PostgreSQL's
pre-ping round trip) per commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Connection, Engine

from service.core.db import utcnow
from service.outbox.claims import ClaimedMessage, accept

log = logging.getLogger(__name__)

# SQLite takes one writer at a time anyway; within this process, writers that queue here
# are woken the moment the lock is free, where SQLite's busy handler would sleep and poll.
SQLITE_WRITER = threading.Lock()


def serialized(engine: Engine) -> contextlib.AbstractContextManager[object]:
    return SQLITE_WRITER if engine.dialect.name == "sqlite" else contextlib.nullcontext()


Waiting = tuple[ClaimedMessage, str, asyncio.Future[None]]


class GroupCommit:
    """Commit acceptances as they come, one write at a time, each taking all waiting."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._waiting: list[Waiting] = []
        self._writer: asyncio.Task[None] | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-notes")
        self._conn: Connection | None = None  # opened, used and closed in that thread only

    async def accepted(self, item: ClaimedMessage, reply: str) -> None:
        """Return once the server's acceptance of `item` is committed; raise if that failed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, reply, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        await done

    async def close(self) -> None:
        if self._writer is not None:
            await asyncio.wait([self._writer])
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._thread, self._disconnect)
        finally:
            self._thread.shutdown(wait=False)

    async def _write(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            group, self._waiting = self._waiting, []
            try:
                kept = await loop.run_in_executor(self._thread, self._commit, group)
            except Exception as exc:  # noqa: BLE001 - handed to every sender of the group
                for *_, done in group:
                    if not done.done():
                        done.set_exception(exc)
                continue
            if kept < len(group):  # which ones, the full record tells
                log.warning("%d of %d messages lost their lease", len(group) - kept, len(group))
            for *_, done in group:
                if not done.done():
                    done.set_result(None)

    def _commit(self, group: Sequence[Waiting]) -> int:
        if self._conn is None:
            self._conn = _connect(self.engine)
        try:
            with serialized(self.engine):
                return write_acceptances(self._conn, group)
        except Exception:
            self._disconnect()  # the next group starts on a fresh connection
            raise

    def _disconnect(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if conn.dialect.name == "postgresql":
                # Back to the pool as it came: other work there commits durably.
                conn.exec_driver_sql("RESET synchronous_commit")
                conn.commit()
        except Exception:  # noqa: BLE001 - then the pool must not get it back at all
            conn.invalidate()
        finally:
            conn.close()


def _connect(engine: Engine) -> Connection:
    conn = engine.connect()
    if conn.dialect.name == "postgresql":
        # Durable against our process dying, which is what this note is for, without
        # waiting for the disk: should the database server itself crash, the messages
        # taken in its last fraction of a second may go out twice. Set once for this
        # connection, not in every transaction.
        conn.exec_driver_sql("SET synchronous_commit = off")
        conn.commit()
    return conn


def write_acceptances(conn: Connection, group: Sequence[tuple[ClaimedMessage, str, object]]) -> int:
    """One transaction: note these acceptances and commit; how many our claims still held."""
    # A bare connection, not a Session: this is on every sender's path, so it stays lean.
    with conn.begin():
        return accept(conn, [(item, reply) for item, reply, _ in group], utcnow())
