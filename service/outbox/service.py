"""Claim due messages, send them, record what happened. Safe on several replicas at once."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, Table, and_, bindparam, exists, or_, select, update
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from service.core.config import Settings
from service.core.db import session_scope, utcnow
from service.declines import status as decline_status
from service.follow_ups import service as follow_ups
from service.models import Decline, Message, MessageStatus
from service.outbox.policy import Decision, Outcome, decide
from service.outbox.transports import Transport, make_transport

log = logging.getLogger(__name__)

MESSAGES: Table = SQLModel.metadata.tables[Message.__tablename__]
DECLINES: Table = SQLModel.metadata.tables[Decline.__tablename__]


@dataclass(frozen=True)
class ClaimedMessage:
    """A message this worker holds a lease on: everything needed to send and record it."""

    id: str
    decline_id: str
    envelope_from: str
    envelope_to: str
    raw: bytes
    attempts: int
    created_at: datetime
    token: str


@dataclass
class PassSummary:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    canceled: int = 0

    def __iadd__(self, other: PassSummary) -> PassSummary:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)
        return self

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def claim_due(
    *, session: Session, now: datetime, limit: int, lease_seconds: float, token: str
) -> list[ClaimedMessage]:
    """Lease up to `limit` due messages to `token` in one statement; flush only."""
    m, d = MESSAGES.c, DECLINES.c
    clock = utcnow()
    # Leases live on the real clock, whatever `now` says: a `--now` in the past must not
    # hand out leases that are already over, nor one in the future steal live ones.
    lease_until = max(now, clock) + timedelta(seconds=lease_seconds)
    due = or_(
        and_(m.status == MessageStatus.queued, m.next_attempt_at <= now),
        and_(
            m.status == MessageStatus.sending,
            or_(m.lease_until.is_(None), m.lease_until < min(now, clock)),
        ),
    )
    canceled = exists().where(d.id == m.decline_id, d.canceled_at.is_not(None))
    pick = (
        select(m.id)
        .where(due, ~canceled)
        .order_by(m.next_attempt_at, m.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite holds BEGIN IMMEDIATE instead
    )
    stmt = (
        update(MESSAGES)
        .where(m.id.in_(pick))
        .values(
            status=MessageStatus.sending,
            lease_until=lease_until,
            claim_token=token,
            attempts=m.attempts + 1,
        )
        .returning(
            m.id, m.decline_id, m.envelope_from, m.envelope_to, m.raw, m.attempts, m.created_at
        )
    )
    rows = session.execute(stmt).all()
    claimed = [
        ClaimedMessage(
            id=r.id,
            decline_id=r.decline_id,
            envelope_from=r.envelope_from,
            envelope_to=r.envelope_to,
            raw=r.raw,
            attempts=r.attempts,
            created_at=r.created_at,
            token=token,
        )
        for r in rows
    ]
    return sorted(claimed, key=lambda c: c.created_at)


def record_outcomes(
    *,
    session: Session,
    outcomes: Sequence[tuple[ClaimedMessage, Outcome]],
    now: datetime,
    settings: Settings,
) -> PassSummary:
    """Store each outcome on a message this claim still holds; refresh their declines."""
    give_up_after = timedelta(hours=settings.outbox_give_up_hours)
    canceled = _canceled_declines(session, {item.decline_id for item, _ in outcomes})
    delivered: dict[str, list[ClaimedMessage]] = {}  # by claim token
    replies: dict[str, str] = {}  # the server's words on taking each message
    others: list[tuple[ClaimedMessage, Decision]] = []
    for item, outcome in outcomes:
        decision = decide(
            outcome,
            attempts=item.attempts,
            created_at=item.created_at,
            now=now,
            give_up_after=give_up_after,
        )
        if decision.status == MessageStatus.queued and item.decline_id in canceled:
            # Canceled while this attempt was in flight: no retry, and say so.
            decision = Decision(MessageStatus.canceled, None, decision.last_error)
        if decision.status == MessageStatus.sent:
            delivered.setdefault(item.token, []).append(item)
            replies[item.id] = outcome.detail[:500]
        else:
            others.append((item, decision))

    summary = PassSummary()
    touched: set[str] = set()
    # The common case, every message sent, is one statement per batch.
    for token, items in delivered.items():
        values: dict[str, object] = {
            "status": MessageStatus.sent,
            "last_error": None,
            "sent_at": utcnow(),
        }
        stored = _store(session, [i.id for i in items], token, values)
        for item in items:
            if _kept(item, stored, "sent"):
                touched.add(item.decline_id)
                _count(summary, MessageStatus.sent, item.id, None)
        _keep_replies(session, {i: replies[i] for i in stored if replies.get(i)})
        # The phone step's clock starts when the email is out.
        follow_ups.schedule_sent(session, stored, settings)
    failed: list[str] = []
    for item, decision in others:
        values = {"status": decision.status, "last_error": decision.last_error}
        if decision.next_attempt_at is not None:
            values["next_attempt_at"] = decision.next_attempt_at
        if _kept(item, _store(session, [item.id], item.token, values), decision.status):
            touched.add(item.decline_id)
            _count(summary, decision.status, item.id, decision.last_error)
            if decision.status == MessageStatus.failed:
                failed.append(item.id)
    decline_status.refresh(session, touched)
    # An email that will never arrive leaves the phone as the only way: call now.
    follow_ups.undelivered(session, failed, settings)
    return summary


def _keep_replies(session: Session, replies: dict[str, str]) -> None:
    """Remember what the server said when it took each message (one executemany)."""
    if replies:
        session.execute(
            update(MESSAGES).where(MESSAGES.c.id == bindparam("message")),
            [{"message": key, "smtp_reply": text} for key, text in replies.items()],
        )


def _store(session: Session, ids: list[str], token: str, values: dict[str, object]) -> set[str]:
    """Write `values` to the rows this claim still holds; return the ids written."""
    m = MESSAGES.c
    stmt = (
        update(MESSAGES)
        .where(m.id.in_(ids), m.claim_token == token, m.status == MessageStatus.sending)
        .values(**values, lease_until=None, claim_token=None)
        .returning(m.id)
    )
    return set(session.execute(stmt).scalars())


def _kept(item: ClaimedMessage, stored: set[str], what: str) -> bool:
    if item.id in stored:
        return True
    # Our lease ran out and another worker holds the message now: its result wins.
    log.warning("message %s: lease lost before recording %s", item.id, what)
    return False


def _canceled_declines(session: Session, decline_ids: set[str]) -> set[str]:
    """Which of these declines are canceled, with their rows locked until we commit.

    The lock orders us with a concurrent cancel (which updates the decline row first): either
    it sees the message we re-queue, or we see its canceled_at. Without it, a retry could
    outlive the cancel.
    """
    d = DECLINES.c
    rows = session.execute(
        select(d.id, d.canceled_at)
        .where(d.id.in_(sorted(decline_ids)))
        .order_by(d.id)
        .with_for_update()
    )
    return {decline_id for decline_id, canceled_at in rows if canceled_at is not None}


def _count(summary: PassSummary, status: MessageStatus, message_id: str, error: str | None) -> None:
    if status == MessageStatus.sent:
        summary.sent += 1
    elif status == MessageStatus.failed:
        summary.failed += 1
        log.warning("message %s failed: %s", message_id, error)
    elif status == MessageStatus.canceled:
        summary.canceled += 1
    else:
        summary.retried += 1
        log.info("message %s will be retried: %s", message_id, error)


async def send_all(transport: Transport, batch: Sequence[ClaimedMessage]) -> list[Outcome]:
    """Send concurrently; each message gets its own outcome, whatever happens to the others."""

    async def one(item: ClaimedMessage) -> Outcome:
        try:
            return await transport.send(item)
        except Exception as exc:  # a transport bug must cost a retry, never the batch
            log.exception("transport %s failed on message %s", transport.name, item.id)
            return Outcome.transient(f"unexpected {type(exc).__name__}: {exc}")

    return list(await asyncio.gather(*(one(item) for item in batch)))


async def run_pass(
    *, engine: Engine, transport: Transport, settings: Settings, now: datetime | None = None
) -> PassSummary:
    """Claim, send and record batches until nothing is due (as of `now`, default: the clock)."""
    total = PassSummary()
    # One batch is recorded while the next is claimed and sent, so the SMTP connections do
    # not sit idle during the database work. At most two batches are ever unrecorded.
    recording: asyncio.Task[PassSummary] | None = None
    try:
        while True:
            token = str(uuid.uuid4())
            batch = await asyncio.to_thread(_claim, engine, settings, now or utcnow(), token)
            if not batch:
                if recording is None:
                    break
                # Recording can queue mail of its own (a failed email's call reminder).
                total += await recording
                recording = None
                continue
            total.claimed += len(batch)
            outcomes = await send_all(transport, batch)
            pairs = list(zip(batch, outcomes, strict=True))
            if recording is not None:
                total += await recording
            recording = asyncio.ensure_future(
                asyncio.to_thread(_record, engine, settings, pairs, now or utcnow())
            )
    finally:
        if recording is not None:
            total += await recording
    return total


def _claim(engine: Engine, settings: Settings, now: datetime, token: str) -> list[ClaimedMessage]:
    with session_scope(engine) as session:
        return claim_due(
            session=session,
            now=now,
            limit=settings.outbox_batch_size,
            lease_seconds=settings.outbox_lease_seconds,
            token=token,
        )


def _record(
    engine: Engine,
    settings: Settings,
    pairs: Sequence[tuple[ClaimedMessage, Outcome]],
    now: datetime,
) -> PassSummary:
    with session_scope(engine) as session:
        return record_outcomes(session=session, outcomes=pairs, now=now, settings=settings)


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
