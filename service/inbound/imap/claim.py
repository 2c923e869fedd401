"""One poller at a time per mailbox, and the writes of its progress.

- PostgreSQL: `pg_try_advisory_lock` (a bigint from the mailbox key) on a dedicated
  autocommit connection held for the whole poll, unlocked at the end (on errors too; a
  connection that cannot unlock is discarded, which releases it).
- SQLite (one host, but cron's `decline run-due` may run beside `decline serve`): the
  row's `lease_until` is a lease taken by a conditional UPDATE (free, or expired), valid
  for a few times the IMAP timeout, renewed with every progress write and cleared at the
  end. Writes are fenced by the lease value: a poller whose lease lapsed and was taken
  over stops instead of writing over the new holder's progress.

Every write is a short transaction of its own that also updates the mailbox row through
that fence, so work done alongside (a failure recorded) commits only while the claim holds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Engine, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.db import session_scope, utcnow
from service.models import ImapMailbox

log = logging.getLogger(__name__)

Work = Callable[[Session], Any]


class LeaseLost(Exception):
    """Another poller took the SQLite lease over: stop without writing."""


class Claim:
    """Holds the mailbox for one poll and writes its progress (in short transactions)."""

    def __init__(self, engine: Engine, key: str) -> None:
        self.engine = engine
        self.key = key

    async def acquire(self) -> bool:
        raise NotImplementedError

    async def release(self) -> None:
        raise NotImplementedError

    async def renew(self) -> None:
        """Called before each batch; a no-op unless the claim expires."""

    def _fence(self) -> list[Any]:
        return []

    def _extra_values(self) -> dict[str, Any]:
        return {}

    def _written(self) -> None:
        """The fenced write committed."""

    async def start(self, uidvalidity: int, on_reset: Work) -> tuple[int, bool]:
        """(the last UID handled, whether UIDVALIDITY changed and progress restarts at 0);
        `on_reset` runs in the same transaction as the restart."""
        return await asyncio.to_thread(self._start, uidvalidity, on_reset)

    def _start(self, uidvalidity: int, on_reset: Work) -> tuple[int, bool]:
        with session_scope(self.engine) as session:
            row = session.get(ImapMailbox, self.key)
            known = row.uidvalidity if row is not None else None
            if row is not None and known == uidvalidity:
                return row.last_uid, False
        self._write(on_reset, uidvalidity=uidvalidity, last_uid=0)
        return 0, known is not None

    async def advance(self, uid: int, work: Work | None = None) -> Any:
        """Record `uid` as handled, together with `work` (whose result is returned)."""
        return await asyncio.to_thread(self._write, work, last_uid=uid)

    async def commit(self, work: Work) -> Any:
        """Run `work` in a transaction that commits only while the claim holds."""
        return await asyncio.to_thread(self._write, work)

    def _write(self, work: Work | None = None, **values: Any) -> Any:
        with session_scope(self.engine) as session:
            done = work(session) if work is not None else None
            result = session.execute(
                update(ImapMailbox)
                .where(col(ImapMailbox.key) == self.key, *self._fence())
                .values(**values, **self._extra_values(), updated_at=utcnow())
            )
            if cast("CursorResult[Any]", result).rowcount != 1:
                raise LeaseLost
        self._written()
        return done

    def _ensure_row(self, conn: Connection | None = None) -> None:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(ImapMailbox)
            .values(key=self.key, last_uid=0, updated_at=utcnow())
            .on_conflict_do_nothing(index_elements=["key"])
        )
        if conn is not None:
            conn.execute(statement)
            return
        with session_scope(self.engine) as session:
            session.execute(statement)


def claim_for(engine: Engine, key: str, lease_seconds: float) -> Claim:
    """The advisory lock on PostgreSQL, the lease elsewhere (SQLite)."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine, key)
    return Lease(engine, key, lease_seconds)


class AdvisoryLock(Claim):
    """PostgreSQL: a session advisory lock on a dedicated autocommit connection."""

    def __init__(self, engine: Engine, key: str) -> None:
        super().__init__(engine, key)
        self.lock_id = int.from_bytes(bytes.fromhex(key)[:8], "big", signed=True)
        self.conn: Connection | None = None

    async def acquire(self) -> bool:
        return await asyncio.to_thread(self._acquire)

    def _acquire(self) -> bool:
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = conn.execute(
                text("SELECT pg_try_advisory_lock(:id)"), {"id": self.lock_id}
            ).scalar_one()
            if got:
                self._ensure_row(conn)
        except BaseException:
            conn.invalidate()
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self.conn = conn
        return True

    async def release(self) -> None:
        await asyncio.to_thread(self._release)

    def _release(self) -> None:
        conn, self.conn = self.conn, None
        if conn is None:
            return
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": self.lock_id})
        except Exception:
            log.exception("could not unlock the IMAP mailbox; dropping the connection instead")
            conn.invalidate()  # closing the session releases its advisory locks
        finally:
            conn.close()


class Lease(Claim):
    """SQLite: `lease_until` on the mailbox row; every write is fenced by our lease value."""

    def __init__(self, engine: Engine, key: str, seconds: float) -> None:
        super().__init__(engine, key)
        self.seconds = seconds
        self.until: datetime | None = None  # the lease we hold, as written
        self.next_until: datetime | None = None

    def _fence(self) -> list[Any]:
        return [col(ImapMailbox.lease_until) == self.until]

    def _extra_values(self) -> dict[str, Any]:
        self.next_until = utcnow() + timedelta(seconds=self.seconds)
        return {"lease_until": self.next_until}

    def _written(self) -> None:
        self.until = self.next_until

    async def acquire(self) -> bool:
        return await asyncio.to_thread(self._acquire)

    def _acquire(self) -> bool:
        self._ensure_row()
        now = utcnow()
        until = now + timedelta(seconds=self.seconds)
        with session_scope(self.engine) as session:
            lease = col(ImapMailbox.lease_until)
            result = session.execute(
                update(ImapMailbox)
                .where(col(ImapMailbox.key) == self.key, lease.is_(None) | (lease < now))
                .values(lease_until=until)
            )
            got = cast("CursorResult[Any]", result).rowcount == 1
        if got:
            self.until = until
        return got

    async def renew(self) -> None:
        await asyncio.to_thread(self._write)

    async def release(self) -> None:
        if self.until is None:
            return
        try:
            await asyncio.to_thread(self._release)
        except Exception:  # the lease runs out on its own
            log.exception("could not clear the IMAP mailbox lease")

    def _release(self) -> None:
        with session_scope(self.engine) as session:
            session.execute(
                update(ImapMailbox)
                .where(col(ImapMailbox.key) == self.key, *self._fence())
                .values(lease_until=None)
            )
        self.until = None
