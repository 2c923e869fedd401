"""Step 1 of recording: note, the moment a server took a message, that it did.

`GroupCommit` commits acceptances as they come: one small UPDATE (`claims.accept`) a
transaction, each taking all that arrived while the one before ran, so concurrent
connections do not queue for a commit each. It is on every sender's path, so it keeps a
thread and a connection of its own for the pass: no pool checkout (nor PostgreSQL's
pre-ping round trip) per commit.

On SQLite the note is a local write of a fraction of a millisecond, less than handing it to
a thread and back costs, so it is written on the event loop itself whenever the write lock
is free at once; only when someone holds it does the note wait its turn in the thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from service.core.db import driver_connection, utcnow
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
        self._at_once: Connection | None = None  # SQLite only: the loop's own, never waits

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
            _close(self._at_once)
            self._at_once = None
            await loop.run_in_executor(self._thread, self._disconnect)
        finally:
            self._thread.shutdown(wait=False)

    async def _write(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            group, self._waiting = self._waiting, []
            try:
                kept = self._commit_at_once(group)
                if kept is None:
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

    def _commit_at_once(self, group: Sequence[Waiting]) -> int | None:
        """On SQLite, commit right here if nobody holds the write lock; None if someone does."""
        if self.engine.dialect.name != "sqlite" or not SQLITE_WRITER.acquire(blocking=False):
            return None
        try:
            if self._at_once is None:
                self._at_once = _connect(self.engine, waits=False)
            return write_acceptances(self._at_once, group)
        except Exception as exc:
            if isinstance(exc, OperationalError) and _busy(exc):
                return None  # another process writes: wait for it in the thread, not here
            _close(self._at_once)
            self._at_once = None
            raise
        finally:
            SQLITE_WRITER.release()

    def _commit(self, group: Sequence[Waiting]) -> int:
        if self._conn is None:
            self._conn = _connect(self.engine, waits=True)
        try:
            with serialized(self.engine):
                return write_acceptances(self._conn, group)
        except Exception:
            self._disconnect()  # the next group starts on a fresh connection
            raise

    def _disconnect(self) -> None:
        _close(self._conn)
        self._conn = None


def _connect(engine: Engine, *, waits: bool) -> Connection:
    conn = engine.connect()
    if conn.dialect.name == "postgresql":
        # Each note is one statement (claims.accept): no BEGIN or COMMIT round trips.
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        # Durable against our process dying, which is what this note is for, without
        # waiting for the disk: should the database server itself crash, the messages
        # taken in its last fraction of a second may go out twice. Set once for this
        # connection, not in every transaction.
        conn.exec_driver_sql("SET synchronous_commit = off")
        conn.commit()
    elif not waits:
        # Never wait for the lock on the event loop: busy at once, and the thread waits.
        # (on the driver's connection: through SQLAlchemy it would begin a transaction)
        driver = driver_connection(conn)
        conn.info[_BUSY_TIMEOUT] = driver.execute("PRAGMA busy_timeout").fetchone()[0]
        driver.execute("PRAGMA busy_timeout = 0")
    return conn


_BUSY_TIMEOUT = "outbox_notes_busy_timeout"


def _close(conn: Connection | None) -> None:
    """Back to the pool as it came (other work there waits and commits as usual)."""
    if conn is None:
        return
    try:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("RESET synchronous_commit")
            conn.commit()
        elif _BUSY_TIMEOUT in conn.info:
            timeout = int(conn.info.pop(_BUSY_TIMEOUT))
            driver_connection(conn).execute(f"PRAGMA busy_timeout = {timeout}")
    except Exception:  # noqa: BLE001 - then the pool must not get it back at all
        conn.invalidate()
    finally:
        conn.close()


def _busy(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return isinstance(exc.orig, sqlite3.OperationalError) and code in (
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
    )


def write_acceptances(conn: Connection, group: Sequence[tuple[ClaimedMessage, str, object]]) -> int:
    """One transaction: note these acceptances and commit; how many our claims still held."""
    # A bare connection, not a Session: this is on every sender's path, so it stays lean.
    with conn.begin():
        return accept(conn, [(item, reply) for item, reply, _ in group], utcnow())
