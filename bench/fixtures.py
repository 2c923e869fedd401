"""What the benchmarks work on: a typical decline, its rendered messages, throwaway databases."""

from __future__ import annotations

import contextlib
import dataclasses
import secrets
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlmodel import col

from service.core.config import Settings
from service.core.db import make_engine, session_scope, utcnow
from service.core.migrate import upgrade
from service.declines import compose
from service.declines.schemas import DeclineCreate
from service.models import ApiKey, Contact, Decline, Message, MessageStatus
from tests.factories import decline_body, make_settings

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
MAIL_FROM = "Decline Service <declines@mailer.example>"


def typical_body(serial: int = 0) -> dict[str, Any]:
    """A typical decline: three contacts, a reason, future interest (the API's JSON body)."""
    body = decline_body(
        reason="accepted_offer",
        future_interest={"functional_area": "platform engineering"},
    )
    body["contacts"].append(
        {"name": "Ada Byron King", "email": "adaking@engines.example", "role": "interviewer"}
    )
    if serial:  # a distinct decline each time, as real traffic would be
        body["requisition_id"] = f"REQ-{serial}"
    return body


def typical_request() -> DeclineCreate:
    return DeclineCreate.model_validate(typical_body())


@dataclass(frozen=True)
class Rendered:
    """One message ready to send: what the outbox stores and what the raw baselines send."""

    envelope_from: str
    envelope_to: str
    raw: bytes
    message_id: str
    contact_index: int


def render_messages(
    count: int, *, distinct: int = 60, mail_from: str = MAIL_FROM
) -> list[Rendered]:
    """`count` messages rendered by the project's own `compose.compose`.

    `distinct` of them are composed (a multiple of three: whole declines); the rest are
    copies with a fresh Message-ID each (the column is unique), byte for byte otherwise.
    """
    request = typical_request()
    contacts = len(request.contacts)
    domain = mail_from.rpartition("@")[2].rstrip(">")
    now = utcnow()
    originals = []
    for i in range(min(count, distinct)):
        composed = compose.compose(
            request=request,
            contact_index=i % contacts,
            mail_from=mail_from,
            message_id=compose.make_message_id(domain),
            date=now,
        )
        originals.append(
            Rendered(
                envelope_from=composed.envelope_from,
                envelope_to=composed.envelope_to,
                raw=composed.raw,
                message_id=composed.message_id,
                contact_index=i % contacts,
            )
        )
    out = list(originals)
    for i in range(len(out), count):
        source = originals[i % len(originals)]
        assert source.contact_index == i % contacts  # seed_messages relies on it
        fresh = compose.make_message_id(domain)
        old = source.message_id.encode()
        assert source.raw.count(old) == 1
        out.append(
            dataclasses.replace(
                source, message_id=fresh, raw=source.raw.replace(old, fresh.encode())
            )
        )
    return out


@contextlib.contextmanager
def temp_dir(prefix: str = "decline-bench-") -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def postgres_version() -> str | None:
    """The server's version when PostgreSQL answers on 127.0.0.1:5432, else None."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2) as conn:
            row = conn.execute("SHOW server_version").fetchone()
    except Exception:  # noqa: BLE001 - any failure means: not reachable
        return None
    return str(row[0]) if row else "?"


@contextlib.contextmanager
def sqlite_database(directory: Path, name: str = "bench.db") -> Iterator[str]:
    """A fresh SQLite file database (the directory is the caller's to remove)."""
    path = directory / name
    yield f"sqlite:///{path}"


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A throwaway database `bench_<random>`, dropped at the end (even on ^C)."""
    import psycopg

    name = f"bench_{secrets.token_hex(6)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def migrated_engine(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()


def seed_messages(engine: Engine, messages: Sequence[Rendered], *, due: datetime) -> None:
    """Queue every message in one transaction: declines of three contacts, each with its own
    contact row and message row, as `accept` would have stored them."""
    with session_scope(engine) as session:
        key = ApiKey(name="bench", prefix="dk_bench", key_hash=secrets.token_hex(32))
        session.add(key)
        session.flush()
        declines: list[Decline] = []
        for start in range(0, len(messages), 3):
            declines.append(
                Decline(
                    api_key_id=key.id,
                    company="Analytical Engines Ltd",
                    company_key="analytical engines ltd",
                    job_title="Principal Engineer",
                    requisition_id=f"REQ-{start}",
                    reason="accepted_offer",
                    round="first",
                    candidate_name="Ada Lovelace",
                    candidate_email="ada@home.example",
                    follow_up_business_days=2,
                    request={},
                    created_at=due,
                    updated_at=due,
                )
            )
        session.add_all(declines)
        session.flush()
        contacts = [
            Contact(
                decline_id=declines[i // 3].id,
                position=i % 3,
                name=m.envelope_to,
                email=m.envelope_to,
                email_key=m.envelope_to.casefold(),
                role="recruiter",
            )
            for i, m in enumerate(messages)
        ]
        session.add_all(contacts)
        session.flush()
        session.add_all(
            Message.queued(m, decline_id=contact.decline_id, contact_id=contact.id, at=due)
            for contact, m in zip(contacts, messages, strict=True)
        )


def count_sent(engine: Engine) -> int:
    with session_scope(engine) as session:
        query = select(func.count()).select_from(Message)
        query = query.where(col(Message.status) == MessageStatus.sent)
        return int(session.scalar(query) or 0)


def bench_settings(url: str, directory: Path, **overrides: Any) -> Settings:
    """The project's test settings (`tests.factories.make_settings`) for a benchmark run."""
    values: dict[str, Any] = {"mail_from": MAIL_FROM, "smtp_timeout_seconds": 30.0}
    values.update(overrides)
    return make_settings(url, directory, **values)
