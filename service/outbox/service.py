"""Claim due messages, send them, record each outcome as it comes. Safe on several replicas.

A pass runs SMTP_CONNECTIONS senders. Each takes the next claimed message and sends it;
once a server took it, the sender has that noted (a commit shared with the other senders:
see `recording`) while it already starts its next message, but it holds back that next
message's end-of-data until the note is committed. That bounds duplicates: if the process
dies, the only messages a server may have taken without our record of it are the last one
of each sender, at most one each; one still short of its end-of-data is discarded by the
server. Meanwhile a feeder claims the next batch before the senders run dry, and a
heartbeat keeps every claim's lease alive.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from datetime import datetime

from sqlalchemy import Engine

from service.core.config import Settings
from service.core.db import session_scope, utcnow
from service.outbox.acceptances import GroupCommit, serialized
from service.outbox.claims import ClaimedMessage, claim_due
from service.outbox.leases import Leases
from service.outbox.policy import Outcome, OutcomeKind
from service.outbox.recording import OutcomeBatch, PassSummary
from service.outbox.transports import Abandoned, BeforeEnd, Transport, make_transport

log = logging.getLogger(__name__)


async def send_one(
    transport: Transport, item: ClaimedMessage, before_end: BeforeEnd | None = None
) -> Outcome:
    """Hand one message over; a transport bug costs this message a retry, nothing more."""
    try:
        return await transport.send(item, before_end)
    except Abandoned as exc:
        return Outcome.transient(f"not completed: {exc}")
    except Exception as exc:  # noqa: BLE001 - reported as this message's outcome
        log.exception("transport %s failed on message %s", transport.name, item.id)
        return Outcome.transient(f"unexpected {type(exc).__name__}: {exc}")


async def run_pass(
    *, engine: Engine, transport: Transport, settings: Settings, now: datetime | None = None
) -> PassSummary:
    """Claim, send and record until nothing is due (as of `now`, default: the clock)."""
    return await _Pass(engine=engine, transport=transport, settings=settings, now=now).run()


class _Pass:
    def __init__(
        self, *, engine: Engine, transport: Transport, settings: Settings, now: datetime | None
    ) -> None:
        self.engine, self.transport, self.settings, self.now = engine, transport, settings, now
        self.senders = settings.smtp_connections
        self.leases = Leases(engine, settings.outbox_lease_seconds)
        self.acceptances = GroupCommit(engine)
        self.outcomes = OutcomeBatch(
            engine=engine, settings=settings, now=now, on_recorded=self.leases.release
        )
        self.todo: deque[ClaimedMessage] = deque()
        self.busy = 0  # messages between being taken and having their outcome handed over
        self.over = False
        self.claimed = 0
        self.changed = asyncio.Condition()
        self.notes: set[asyncio.Task[None]] = set()  # acceptances being committed

    async def run(self) -> PassSummary:
        tasks = [asyncio.create_task(self._feed())]
        tasks += [asyncio.create_task(self._send()) for _ in range(self.senders)]
        heartbeat = asyncio.create_task(self.leases.heartbeat())
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in (*tasks, heartbeat):
                task.cancel()
            await asyncio.gather(*tasks, heartbeat, return_exceptions=True)
            await self.acceptances.close()
            await asyncio.gather(*self.notes, return_exceptions=True)
            await self.outcomes.close()
        self.outcomes.summary.claimed = self.claimed
        return self.outcomes.summary

    def _senders_idle(self) -> bool:
        return not self.todo and not self.busy

    async def _feed(self) -> None:
        while True:
            settled = self._senders_idle() and self.outcomes.idle
            claimed_at = self.leases.start_clock()
            batch = await asyncio.to_thread(
                _claim, self.engine, self.settings, self.now or utcnow(), str(uuid.uuid4())
            )
            if not batch and settled:
                async with self.changed:
                    self.over = True
                    self.changed.notify_all()
                return
            async with self.changed:
                if batch:
                    self.leases.hold(batch, claimed_at=claimed_at)
                    self.transport.new_batch()
                    self.todo.extend(batch)
                    self.claimed += len(batch)
                    self.changed.notify_all()
                    # Claim again while the senders still have one message each to go.
                    await self.changed.wait_for(lambda: len(self.todo) <= self.senders)
                    continue
                await self.changed.wait_for(self._senders_idle)
            # Recording can queue mail of its own (a failed email's call reminder).
            await self.outcomes.flush()

    async def _send(self) -> None:
        noted: asyncio.Task[None] | None = None  # this sender's last acceptance, committing
        while True:
            async with self.changed:
                await self.changed.wait_for(lambda: bool(self.todo) or self.over)
                if not self.todo:
                    break
                item = self.todo.popleft()
                self.busy += 1
                self.changed.notify_all()
            handed_over = noting = False
            try:
                if self.leases.start(item):
                    outcome = await self._attempt(item, noted)
                    if noted is not None:
                        await noted  # a failed note stops the pass, as a failed record does
                    if outcome.kind is OutcomeKind.sent and item.accepted_at is None:
                        noted, noting = self._note(item, outcome), True  # it hands over
                    else:
                        self.outcomes.add(item, outcome)
                    handed_over = True  # the lease is released once the outcome is recorded
            finally:
                if not handed_over:
                    self.leases.release(item)
                if not noting:
                    await self._done()
        if noted is not None:
            await noted

    def _note(self, item: ClaimedMessage, outcome: Outcome) -> asyncio.Task[None]:
        """Commit that a server took `item`, then hand its outcome over; the message counts
        as busy until then."""

        async def note() -> None:
            try:
                await self.acceptances.accepted(item, outcome.detail)
                self.outcomes.add(item, outcome)
            except BaseException:
                self.leases.release(item)
                raise
            finally:
                self.notes.discard(task)
                await self._done()

        task = asyncio.create_task(note())
        self.notes.add(task)
        return task

    async def _done(self) -> None:
        async with self.changed:
            self.busy -= 1
            self.changed.notify_all()

    async def _attempt(self, item: ClaimedMessage, noted: asyncio.Task[None] | None) -> Outcome:
        if item.accepted_at is not None:
            # A server took it on an attempt whose worker died before the full record.
            return Outcome.delivered(item.smtp_reply or "")
        if noted is None:
            return await send_one(self.transport, item)

        async def before_end() -> None:
            # The previous message must be on record before this one can be delivered:
            # the bound on duplicates.
            try:
                await asyncio.shield(noted)
            except Exception as exc:  # the sender raises it again, in full
                raise Abandoned(f"the previous delivery could not be noted: {exc}") from exc

        return await send_one(self.transport, item, before_end)


def _claim(engine: Engine, settings: Settings, now: datetime, token: str) -> list[ClaimedMessage]:
    with serialized(engine), session_scope(engine) as session:
        return claim_due(
            session=session,
            now=now,
            limit=settings.outbox_batch_size,
            lease_seconds=settings.outbox_lease_seconds,
            token=token,
        )


class Outbox:
    """The outbox of one process: one pass at a time, woken by new mail or by the clock.

    Create it, `start()` it inside the running event loop (the app's lifespan), call
    `wake()` from anywhere after a commit that queued mail, and `await close()` at the end.
    """

    def __init__(self, *, engine: Engine, transport: Transport, settings: Settings) -> None:
        self.engine = engine
        self.transport = transport
        self.settings = settings
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[PassSummary] | None = None
        self._again = False
        self._closed = False

    @classmethod
    def from_settings(cls, *, engine: Engine, settings: Settings) -> Outbox:
        return cls(engine=engine, transport=make_transport(settings), settings=settings)

    def start(self) -> None:
        """Remember the running loop, so `wake()` works from other threads."""
        self._loop = asyncio.get_running_loop()
        self._closed = False

    def wake(self) -> None:
        """Ask for a pass now; safe from any thread (e.g. a request's after-commit hook)."""
        loop = self._loop
        if loop is None or self._closed or loop.is_closed():
            return  # not started (a CLI run, a test): the next scheduled pass picks it up
        try:
            loop.call_soon_threadsafe(self._kick)
        except RuntimeError:  # the loop closed between the check and the call
            pass

    async def run_pass(self, *, now: datetime | None = None) -> PassSummary:
        """Run a pass, or join the one running (which then loops once more). `now` applies
        only when no pass is running."""
        return await asyncio.shield(self._ensure_pass(now))

    async def wait_idle(self) -> None:
        """Wait for the running pass, if any, to finish (its errors are logged, not raised)."""
        while self._task is not None and not self._task.done():
            await asyncio.wait([self._task])

    async def close(self) -> None:
        self._closed = True
        await self.wait_idle()
        await self.transport.close()

    def _kick(self) -> None:
        if not self._closed:
            self._ensure_pass(None)

    def _ensure_pass(self, now: datetime | None) -> asyncio.Task[PassSummary]:
        if self._task is not None and not self._task.done():
            self._again = True
            return self._task
        self._again = False
        self._task = asyncio.get_running_loop().create_task(self._passes(now))
        self._task.add_done_callback(_log_failure)
        return self._task

    async def _passes(self, now: datetime | None) -> PassSummary:
        total = PassSummary()
        while True:
            self._again = False
            total += await run_pass(
                engine=self.engine, transport=self.transport, settings=self.settings, now=now
            )
            if not self._again:
                return total


def _log_failure(task: asyncio.Task[PassSummary]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("outbox pass failed", exc_info=task.exception())
