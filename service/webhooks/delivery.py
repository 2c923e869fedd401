"""Delivering queued webhook events: claim due rows with a lease, POST them signed, record
each answer. At least once: a worker that dies after the POST but before recording leaves
the claim to expire, and the next pass sends the same body under the same `webhook-id`."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import Engine, Table, and_, or_, select, update
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from service.core.config import Settings
from service.core.db import session_scope, utcnow
from service.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from service.webhooks import signing, ssrf
from service.webhooks.policy import Answer, clip_error, decide, excerpt
from service.webhooks.service import unseal

log = logging.getLogger(__name__)

DELIVERIES: Table = SQLModel.metadata.tables[WebhookDelivery.__tablename__]
ENDPOINTS: Table = SQLModel.metadata.tables[WebhookEndpoint.__tablename__]
Status = WebhookDeliveryStatus
READ_BYTES = 4096  # of an answer's body; the first 1 KB of it is kept


@dataclass(frozen=True)
class Claimed:
    """A delivery this worker holds a lease on, with what sending it needs."""

    id: str
    payload: str
    attempts: int
    response_codes: list[int | None]
    token: str
    url: str
    secrets: list[str]  # every secret in use: the current one first


@dataclass
class PassSummary:
    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def lease_seconds(settings: Settings) -> float:
    """Long enough for one batch of parallel POSTs, each bounded by the timeout."""
    return settings.webhook_timeout_seconds * 3 + 30


def claim_due(*, session: Session, now: datetime, settings: Settings) -> list[Claimed]:
    """Lease up to a batch of due deliveries to a fresh token in one statement; flush only."""
    d = DELIVERIES.c
    clock = utcnow()
    token = str(uuid.uuid4())
    # Leases live on the real clock, whatever `now` says (as the email outbox's do).
    due = or_(
        and_(d.status == Status.pending, d.next_attempt_at <= now),
        and_(
            d.status == Status.delivering,
            or_(d.lease_until.is_(None), d.lease_until < min(now, clock)),
        ),
    )
    pick = (
        select(d.id)
        .where(due)
        .order_by(d.next_attempt_at, d.id)
        .limit(settings.webhook_batch_size)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite holds BEGIN IMMEDIATE instead
    )
    stmt = (
        update(DELIVERIES)
        .where(d.id.in_(pick))
        .values(
            status=Status.delivering,
            lease_until=clock + timedelta(seconds=lease_seconds(settings)),
            claim_token=token,
            attempts=d.attempts + 1,
        )
        .returning(d.id, d.endpoint_id, d.payload, d.attempts, d.response_codes)
    )
    rows = session.execute(stmt).all()
    endpoints = _endpoints(session, {r.endpoint_id for r in rows}, settings)
    claimed = []
    for r in rows:
        url, secrets = endpoints[r.endpoint_id]
        codes = list(r.response_codes or [])
        claimed.append(Claimed(r.id, r.payload, r.attempts, codes, token, url, secrets))
    return claimed


def _endpoints(
    session: Session, ids: set[str], settings: Settings
) -> dict[str, tuple[str, list[str]]]:
    """Each endpoint's URL and the secrets that sign for it now (the overlap is real time)."""
    found = {}
    clock = utcnow()
    for row in session.execute(select(ENDPOINTS).where(ENDPOINTS.c.id.in_(sorted(ids)))):
        sealed = [row.secret_enc]
        until = row.previous_secret_until
        if row.previous_secret_enc and until is not None and until > clock:
            sealed.append(row.previous_secret_enc)
        secrets = [s for s in (unseal(settings, v) for v in sealed) if s]
        found[row.id] = (row.url, secrets)
    return found


async def post(client: httpx.AsyncClient, item: Claimed, settings: Settings) -> Answer:
    """One signed POST of `item`; never raises, whatever the receiver does."""
    if not item.secrets:
        return Answer(error="the endpoint's secret cannot be read: was SECRET_KEY changed?")
    try:
        # Again at every attempt: the name may resolve elsewhere than when it was saved.
        await asyncio.to_thread(
            ssrf.check_target, item.url, allow_private=settings.webhooks_allow_private
        )
    except ssrf.RefusedTarget as exc:
        return Answer(error=f"refused: {exc}")
    body = item.payload.encode()
    headers = dict(
        signing.headers(
            secrets_in_use=item.secrets,
            msg_id=item.id,
            timestamp=int(utcnow().timestamp()),  # the attempt's time: receivers check it
            body=body,
        )
    )
    headers["content-type"] = "application/json"
    try:
        async with asyncio.timeout(settings.webhook_timeout_seconds * 2):
            return await _exchange(client, item.url, body, headers)
    except (httpx.TimeoutException, TimeoutError):
        return Answer(error=f"no answer within {settings.webhook_timeout_seconds:g} s")
    except httpx.HTTPError as exc:
        return Answer(error=f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)


async def _exchange(
    client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]
) -> Answer:
    """POST and read no more of the answer than is kept: a receiver cannot flood us."""
    async with client.stream("POST", url, content=body, headers=headers) as response:
        kept = b""
        async for chunk in response.aiter_bytes():
            kept += chunk
            if len(kept) > READ_BYTES:
                break
        text = kept[:READ_BYTES].decode(response.encoding or "utf-8", errors="replace")
        return Answer(status_code=response.status_code, body=text)


def record(
    *, session: Session, item: Claimed, answer: Answer, settings: Settings, now: datetime
) -> WebhookDeliveryStatus | None:
    """Store one attempt's answer where the claim still holds the row; the new status, or
    None when another worker took it over meanwhile."""
    decision = decide(
        answer, attempts=item.attempts, max_attempts=settings.webhook_max_attempts, now=now
    )
    d = DELIVERIES.c
    values: dict[str, object] = {
        "status": decision.status,
        "lease_until": None,
        "claim_token": None,
        "last_status_code": answer.status_code,
        "last_response": excerpt(answer.body) if answer.body else None,
        "last_error": None if answer.ok else clip_error(answer.error or _refused(answer)),
        "response_codes": [*item.response_codes, answer.status_code],
    }
    if decision.next_attempt_at is not None:
        values["next_attempt_at"] = decision.next_attempt_at
    if answer.ok:
        values["delivered_at"] = utcnow()
    stored = session.execute(
        update(DELIVERIES)
        .where(d.id == item.id, d.claim_token == item.token, d.status == Status.delivering)
        .values(**values)
        .returning(d.id)
    ).first()
    if stored is None:
        log.warning("webhook delivery %s: lease lost before recording it", item.id)
        return None
    return decision.status


def _refused(answer: Answer) -> str:
    return f"the receiver answered {answer.status_code}"


async def run_pass(
    *, engine: Engine, settings: Settings, now: datetime | None = None
) -> PassSummary:
    """Deliver every webhook due as of `now` (default: the clock), a batch at a time."""
    summary = PassSummary()
    timeout = httpx.Timeout(settings.webhook_timeout_seconds)
    # No redirects: a 3xx could point the request anywhere the guard did not check.
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        while True:
            at = now or utcnow()
            batch = await asyncio.to_thread(_claim, engine, settings, at)
            if not batch:
                return summary
            summary.claimed += len(batch)
            answers = await asyncio.gather(*(post(client, item, settings) for item in batch))
            statuses = await asyncio.to_thread(
                _record_all, engine, settings, list(zip(batch, answers, strict=True)), now
            )
            for status in statuses:
                if status is Status.delivered:
                    summary.delivered += 1
                elif status is Status.failed:
                    summary.failed += 1
                elif status is Status.pending:
                    summary.retried += 1


def _claim(engine: Engine, settings: Settings, now: datetime) -> list[Claimed]:
    with session_scope(engine) as session:
        return claim_due(session=session, now=now, settings=settings)


def _record_all(
    engine: Engine,
    settings: Settings,
    pairs: list[tuple[Claimed, Answer]],
    now: datetime | None,
) -> list[WebhookDeliveryStatus | None]:
    with session_scope(engine) as session:
        at = now or utcnow()
        return [
            record(session=session, item=item, answer=answer, settings=settings, now=at)
            for item, answer in pairs
        ]
