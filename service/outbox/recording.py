"""Recording outcomes in two steps, so a crash can only repeat what was on the wire.

1. The moment a server takes a message, `acceptances.GroupCommit` notes it
   (`claims.accept`): one small UPDATE, committed before the same sender may complete
   another message. Acceptances that arrive while one commit runs share the next, so
   concurrent connections do not queue for a commit each.
2. `OutcomeBatch` records outcomes in full (status, retry time, the decline's status, the
   phone step's clock) a batch at a time, as before: the costly part stays batched.

A worker that dies between the two leaves a claimed message with `sent_at` set; whoever
takes the claim over finishes step 2 for it without sending it again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, bindparam, func, select, update
from sqlalchemy.orm import Session

from service import webhooks
from service.core.config import Settings
from service.core.db import session_scope, utcnow
from service.declines import status as decline_status
from service.follow_ups import service as follow_ups
from service.models import MessageStatus
from service.outbox.acceptances import serialized
from service.outbox.claims import DECLINES, MESSAGES, ClaimedMessage
from service.outbox.policy import Decision, Outcome, decide
from service.webhooks import EventType

log = logging.getLogger(__name__)

Pair = tuple[ClaimedMessage, Outcome]


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


class OutcomeBatch:
    """Step 2: record outcomes in full, `size` at a time (or all that wait, on `flush`)."""

    def __init__(
        self,
        *,
        engine: Engine,
        settings: Settings,
        now: datetime | None,
        on_recorded: Callable[[ClaimedMessage], None],
    ) -> None:
        self.engine, self.settings, self.now = engine, settings, now
        self.size = settings.outbox_batch_size
        self.on_recorded = on_recorded
        self.summary = PassSummary()
        self._waiting: list[Pair] = []
        self._writer: asyncio.Task[None] | None = None
        self._failure: Exception | None = None

    @property
    def idle(self) -> bool:
        return not self._waiting and not self._writing

    @property
    def _writing(self) -> bool:
        return self._writer is not None and not self._writer.done()

    def add(self, item: ClaimedMessage, outcome: Outcome) -> None:
        self._waiting.append((item, outcome))
        if len(self._waiting) >= self.size and not self._writing:
            self._writer = asyncio.create_task(self._write(whole_batches=True))

    async def flush(self) -> None:
        """Record everything added so far; raise the first write that failed, if one did."""
        while not self.idle:
            writer = self._writer
            if writer is None or writer.done():
                writer = self._writer = asyncio.create_task(self._write(whole_batches=False))
            await asyncio.wait([writer])
        if self._failure is not None:
            raise self._failure

    async def close(self) -> None:
        """Let a running write finish (its failure, if any, was logged)."""
        if self._writer is not None:
            await asyncio.wait([self._writer])

    async def _write(self, *, whole_batches: bool) -> None:
        while len(self._waiting) >= (self.size if whole_batches else 1):
            pairs, self._waiting = self._waiting[: self.size], self._waiting[self.size :]
            try:
                self.summary += await asyncio.to_thread(
                    write_outcomes, self.engine, self.settings, pairs, self.now or utcnow()
                )
            except Exception as exc:  # noqa: BLE001 - the pass reports it on flush
                # The messages a server took keep their noted acceptance: once their
                # lease is over, the next claim records them without sending again.
                log.error("recording %d outcomes failed: %s", len(pairs), exc)
                self._failure = self._failure or exc
            finally:
                for item, _ in pairs:
                    self.on_recorded(item)


def write_outcomes(
    engine: Engine,
    settings: Settings,
    pairs: Sequence[Pair],
    now: datetime,
) -> PassSummary:
    """One transaction: record these outcomes and commit."""
    with serialized(engine), session_scope(engine) as session:
        return record_outcomes(session=session, outcomes=pairs, now=now, settings=settings)


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
    sent_ids: list[str] = []
    # The common case, every message sent, is one statement per group.
    for token, items in delivered.items():
        values: dict[str, object] = {
            "status": MessageStatus.sent,
            "last_error": None,
            # When the server took it (noted at once by GroupCommit), else now.
            "sent_at": func.coalesce(MESSAGES.c.sent_at, utcnow()),
        }
        stored = _store(session, [i.id for i in items], token, values)
        for item in items:
            if _kept(item, stored, "sent"):
                touched.add(item.decline_id)
                sent_ids.append(item.id)
                _count(summary, MessageStatus.sent, item.id, None)
        _keep_replies(session, {i: replies[i] for i in stored if replies.get(i)})
        # The phone step's clock starts when the email is out.
        follow_ups.schedule_sent(session, stored, settings)
    failed: list[str] = []
    errors: dict[str, str | None] = {}
    for item, decision in others:
        values = {"status": decision.status, "last_error": decision.last_error}
        if decision.next_attempt_at is not None:
            values["next_attempt_at"] = decision.next_attempt_at
        if _kept(item, _store(session, [item.id], item.token, values), decision.status):
            touched.add(item.decline_id)
            _count(summary, decision.status, item.id, decision.last_error)
            if decision.status == MessageStatus.failed:
                failed.append(item.id)
                errors[item.id] = decision.last_error
    decline_status.refresh(session, touched)
    _emit(session, sent_ids, errors, now)
    # An email that will never arrive leaves the phone as the only way: call now.
    follow_ups.undelivered(session, failed, settings)
    return summary


def _emit(session: Session, sent: list[str], failed: dict[str, str | None], now: datetime) -> None:
    """The webhook events of these outcomes, in the transaction that records them."""
    if not (sent or failed) or not webhooks.any_endpoints(session):
        return
    m = MESSAGES.c
    rows = session.execute(
        select(m.id, m.decline_id, m.contact_id, m.kind).where(m.id.in_(sorted([*sent, *failed])))
    )
    for row in rows:
        data: dict[str, object] = {
            "message_id": row.id,
            "decline_id": row.decline_id,
            "contact_id": row.contact_id,
            "kind": row.kind,
        }
        if row.id in failed:
            webhooks.emit(session, EventType.message_failed, {**data, "error": failed[row.id]}, now)
        else:
            webhooks.emit(session, EventType.message_sent, data, now)


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
