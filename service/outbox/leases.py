"""The claims one pass holds, kept alive by a heartbeat, and given up when that fails.

Leases are short (OUTBOX_LEASE_SECONDS, 30) so a dead worker's messages are free again
within seconds; a live worker renews every claim it still holds every lease/3. A message is
only started while its lease is known to be ours for a while yet: if renewing fails (the
database is away) or falls behind, the worker stops sending those messages and leaves them
to whoever claims them once the lease is over, rather than risk sending them twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from service.core.db import session_scope
from service.outbox.claims import ClaimedMessage, renew

log = logging.getLogger(__name__)

Clock = Callable[[], float]


@dataclass
class Claim:
    """One claim token: the messages not yet recorded, and until when the lease is surely ours."""

    ids: set[str]
    valid_until: float  # on the monotonic clock
    pending: set[str] = field(default_factory=set)  # not started yet: these we can still spare
    lost: bool = False


class Leases:
    """Every claim of one pass. Used from the event loop only; renewals run in a thread."""

    def __init__(self, engine: Engine, lease_seconds: float, clock: Clock = time.monotonic) -> None:
        self.engine = engine
        self.lease_seconds = lease_seconds
        self.clock = clock
        self._claims: dict[str, Claim] = {}

    @property
    def interval(self) -> float:
        return self.lease_seconds / 3

    def start_clock(self) -> float:
        """Read before claiming: the lease the database grants ends after this plus a lease."""
        return self.clock()

    def hold(self, batch: Iterable[ClaimedMessage], *, claimed_at: float) -> None:
        for item in batch:
            claim = self._claims.get(item.token)
            if claim is None:
                claim = Claim(set(), claimed_at + self.lease_seconds)
                self._claims[item.token] = claim
            claim.ids.add(item.id)
            claim.pending.add(item.id)

    def start(self, item: ClaimedMessage) -> bool:
        """May `item` be sent now? True means: it is ours, for at least one more heartbeat."""
        claim = self._claims.get(item.token)
        if claim is None or item.id not in claim.pending:
            return False
        claim.pending.discard(item.id)
        # One interval of margin: the heartbeat that should have renewed it by now is late.
        if claim.lost or self.clock() > claim.valid_until - self.interval:
            log.warning(
                "message %s: lease not renewed in time; leaving it to its next claim", item.id
            )
            self.release(item)
            return False
        return True

    def release(self, item: ClaimedMessage) -> None:
        """`item` is recorded (or given up): stop renewing it."""
        claim = self._claims.get(item.token)
        if claim is None:
            return
        claim.ids.discard(item.id)
        claim.pending.discard(item.id)
        if not claim.ids:
            del self._claims[item.token]

    async def heartbeat(self) -> None:
        """Renew every lease held, every lease/3, until cancelled."""
        while True:
            await asyncio.sleep(self.interval)
            await self.renew_all()

    async def renew_all(self) -> None:
        held = {token: set(claim.ids) for token, claim in self._claims.items() if not claim.lost}
        if not held:
            return
        started = self.clock()
        try:
            renewed = await asyncio.to_thread(self._renew, held)
        except Exception as exc:  # noqa: BLE001 - whatever the cause, the lease is in doubt
            self._give_up(held, exc)
            return
        for token, ids in held.items():
            claim = self._claims.get(token)
            if claim is None:
                continue
            claim.valid_until = started + self.lease_seconds
            # A message already on the wire cannot be called back; one not yet started can.
            for gone in claim.pending & (ids - renewed[token]):
                log.warning("message %s: another worker holds it now; not sending it", gone)
                claim.pending.discard(gone)
                claim.ids.discard(gone)

    def _renew(self, held: dict[str, set[str]]) -> dict[str, set[str]]:
        with session_scope(self.engine) as session:
            return {
                token: renew(
                    session=session, token=token, ids=ids, lease_seconds=self.lease_seconds
                )
                for token, ids in held.items()
            }

    def _give_up(self, held: dict[str, set[str]], exc: Exception) -> None:
        spared = 0
        for token in held:
            claim = self._claims.get(token)
            if claim is not None:
                claim.lost = True
                spared += len(claim.pending)
        log.error(
            "cannot renew outbox leases (%s: %s); not sending the %d messages not yet started",
            type(exc).__name__,
            exc,
            spared,
        )
