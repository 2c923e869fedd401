"""Section 1: delivery throughput, raw aiosmtplib baselines beside the outbox end to end."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosmtplib

from bench.fixtures import (
    Rendered,
    bench_settings,
    count_sent,
    migrated_engine,
    postgres_database,
    seed_messages,
    sqlite_database,
)
from bench.report import Row, ratio, table
from bench.sink import HOST, SinkProcess
from service.core.db import utcnow
from service.outbox import acceptances, recording
from service.outbox import service as outbox_service
from service.outbox.policy import Outcome
from service.outbox.service import Outbox
from service.outbox.transports import BeforeEnd, OutgoingMail, Transport, make_transport

WARM_UP = 50


@dataclass(frozen=True)
class Run:
    rate: float  # messages per second
    seconds: float
    note: str
    phases: dict[str, float] = field(default_factory=dict)  # seconds spent per outbox phase


@contextlib.contextmanager
def phase_clock() -> Iterator[dict[str, float]]:
    """Time the phases of `run_pass` by wrapping the outbox's helpers for the duration
    (read-only use of service/outbox: nothing there is changed on disk).

    claim, note (committing that a server took a message) and record (the full record, a
    batch at a time) are timed inside their worker thread, beside the sending. send and
    wait are summed over the senders: a sender's time on the wire, and waiting for the
    note of its message before it may take the next one."""
    spent = {"claim": 0.0, "note": 0.0, "record": 0.0, "send": 0.0, "wait": 0.0, "notes": 0.0}
    phases = {
        "claim": (outbox_service, "_claim"),
        "note": (acceptances, "write_acceptances"),
        "record": (recording, "write_outcomes"),
        "send": (outbox_service, "send_one"),
        "wait": (acceptances.GroupCommit, "accepted"),
    }
    saved = [(owner, name, getattr(owner, name)) for owner, name in phases.values()]

    def timed(phase: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[phase] += time.perf_counter() - start
                spent["notes"] += phase == "note"

        return wrapper

    def timed_async(phase: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                spent[phase] += time.perf_counter() - start

        return wrapper

    for (owner, name, fn), phase in zip(saved, phases, strict=True):
        wrap = timed_async if asyncio.iscoroutinefunction(fn) else timed
        setattr(owner, name, wrap(phase, fn))
    try:
        yield spent
    finally:
        for owner, name, fn in saved:
            setattr(owner, name, fn)


def _check(sink: SinkProcess, before: int, expected: int, extra: str = "") -> str:
    got = sink.count() - before
    mark = "ok" if got == expected else "MISMATCH"
    return f"sink got {got}/{expected} {mark}" + (f"; {extra}" if extra else "")


# Raw baselines ------------------------------------------------------------------------------


async def _warm(port: int, messages: Sequence[Rendered]) -> None:
    client = aiosmtplib.SMTP(hostname=HOST, port=port, timeout=30)
    await client.connect()
    for m in messages[:WARM_UP]:
        await client.sendmail(m.envelope_from, [m.envelope_to], m.raw)
    await client.quit()


async def _raw_pooled(port: int, messages: Sequence[Rendered], connections: int) -> float:
    """`connections` kept-open connections, each taking the next message as it gets free."""
    clients = [aiosmtplib.SMTP(hostname=HOST, port=port, timeout=30) for _ in range(connections)]
    await asyncio.gather(*(c.connect() for c in clients))
    todo: Iterator[Rendered] = iter(messages)

    async def worker(client: aiosmtplib.SMTP) -> None:
        for m in todo:  # one shared iterator: whoever is free takes the next message
            await client.sendmail(m.envelope_from, [m.envelope_to], m.raw)

    start = time.perf_counter()
    if connections == 1:  # the plainest loop there is, no task in between
        for m in messages:
            await clients[0].sendmail(m.envelope_from, [m.envelope_to], m.raw)
    else:
        await asyncio.gather(*(worker(c) for c in clients))
    elapsed = time.perf_counter() - start
    await asyncio.gather(*(c.quit() for c in clients))
    return elapsed


async def _raw_fresh(port: int, messages: Sequence[Rendered]) -> float:
    """A new connection per message (connect, EHLO, MAIL/RCPT/DATA, QUIT): no pooling."""
    start = time.perf_counter()
    for m in messages:
        await aiosmtplib.send(
            m.raw, sender=m.envelope_from, recipients=[m.envelope_to], hostname=HOST, port=port
        )
    return time.perf_counter() - start


def raw_run(sink: SinkProcess, messages: Sequence[Rendered], connections: int) -> Run:
    asyncio.run(_warm(sink.port, messages))
    before = sink.count()
    elapsed = asyncio.run(_raw_pooled(sink.port, messages, connections))
    note = _check(sink, before, len(messages))
    return Run(len(messages) / elapsed, elapsed, note)


def naive_run(sink: SinkProcess, messages: Sequence[Rendered]) -> Run:
    before = sink.count()
    elapsed = asyncio.run(_raw_fresh(sink.port, messages))
    return Run(len(messages) / elapsed, elapsed, _check(sink, before, len(messages)))


# The outbox end to end ---------------------------------------------------------------------


class NullTransport:
    """Accepts every message at once: what is left is the outbox's own claim and record."""

    name = "null"

    async def send(self, item: OutgoingMail, before_end: BeforeEnd | None = None) -> Outcome:
        if before_end is not None:
            await before_end()
        return Outcome.delivered("250 OK (null transport)")

    def new_batch(self) -> None:
        return None

    async def close(self) -> None:
        return None


def outbox_run(
    sink: SinkProcess,
    messages: Sequence[Rendered],
    database: AbstractContextManager[str],
    directory: Path,
    *,
    connections: int,
    transport: Callable[[], Transport] | None = None,
) -> Run:
    """Seed N queued messages in one transaction, then time `Outbox.run_pass` until done."""
    with database as url, migrated_engine(url) as engine:
        settings = bench_settings(
            url,
            directory,
            smtp_host=HOST,
            smtp_port=sink.port,
            smtp_connections=connections,
        )
        seed_messages(engine, messages, due=utcnow())
        chosen = transport() if transport else make_transport(settings)
        outbox = Outbox(engine=engine, transport=chosen, settings=settings)

        async def one_pass() -> tuple[float, int, int]:
            try:
                start = time.perf_counter()
                summary = await outbox.run_pass()
                elapsed = time.perf_counter() - start
            finally:
                await outbox.close()
            return elapsed, summary.claimed, summary.sent

        before = sink.count()
        with phase_clock() as phases:
            elapsed, claimed, sent = asyncio.run(one_pass())
        stored = count_sent(engine)
        batches = -(-len(messages) // settings.outbox_batch_size)
        extra = (
            f"{batches} batches of {settings.outbox_batch_size},"
            f" {phases['notes']:.0f} note commits; {stored} marked sent"
        )
        if transport is None:
            note = _check(sink, before, len(messages), extra)
        else:
            note = f"nothing on the wire; {extra}"
        if claimed != len(messages) or sent != len(messages) or stored != len(messages):
            note += f" (claimed {claimed}, sent {sent}: INCOMPLETE)"
        senders = settings.smtp_connections
        phases["send"] /= senders
        phases["wait"] /= senders
        phases["idle"] = elapsed - phases["send"] - phases["wait"]
        return Run(len(messages) / elapsed, elapsed, note, dict(phases))


# The section ------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    measure: Callable[[], Run] | None  # None: cannot run here (the row says skipped)
    baseline: str = ""  # "A", "B" or "" (no ratio)
    runs: list[Run] = field(default_factory=list)

    @property
    def best(self) -> Run:
        return max(self.runs, key=lambda r: r.rate)


def run(
    sink: SinkProcess,
    messages: Sequence[Rendered],
    naive_count: int,
    directory: Path,
    *,
    postgres: bool,
    rounds: int,
    budget: float,
) -> None:
    """Up to `rounds` interleaved rounds; another round starts only if it should end within
    `budget` seconds of the first (so `make bench` stays short on a busy machine)."""
    n = len(messages)
    size = sum(len(m.raw) for m in messages) / n
    serial = iter(range(1_000_000))

    def on_sqlite() -> AbstractContextManager[str]:
        return sqlite_database(directory, f"bench-{next(serial)}.db")

    def outbox(connections: int, where: str, null: bool = False) -> Callable[[], Run]:
        def measure() -> Run:
            database = postgres_database() if where == "pg" else on_sqlite()
            transport = NullTransport if null else None
            return outbox_run(
                sink, messages, database, directory, connections=connections, transport=transport
            )

        return measure

    cases = [
        Case(f"A  raw aiosmtplib, 1 connection, N={n}", lambda: raw_run(sink, messages, 1), "A"),
        Case(f"B  raw aiosmtplib, 8 connections, N={n}", lambda: raw_run(sink, messages, 8), "B"),
        Case("outbox SQLite, smtp_connections=1", outbox(1, "sqlite"), "A"),
        Case("outbox SQLite, smtp_connections=4", outbox(4, "sqlite"), "B"),
        Case("outbox SQLite, smtp_connections=8", outbox(8, "sqlite"), "B"),
    ]
    pg = postgres  # PostgreSQL rows stay in the table, marked skipped, when there is none
    cases.append(
        Case("outbox PostgreSQL, smtp_connections=4", outbox(4, "pg") if pg else None, "B")
    )
    # The outbox's own cost, its ceiling: the same pass with a transport that sends nothing.
    cases.append(Case("outbox SQLite, null transport (claim+record)", outbox(1, "sqlite", True)))
    cases.append(Case("outbox PostgreSQL, null transport", outbox(1, "pg", True) if pg else None))
    cases.append(
        Case(
            f"naive: new connection per message, N={naive_count}",
            lambda: naive_run(sink, messages[:naive_count]),
            "A",
        )
    )
    # Rounds interleave every case, so a burst of outside load hits them all alike.
    started = time.perf_counter()
    done = 0
    while done < rounds:
        for case in cases:
            if case.measure is not None:
                case.runs.append(case.measure())
        done += 1
        elapsed = time.perf_counter() - started
        if elapsed / done * (done + 1) > budget:
            break

    bases = {"A": cases[0].best.rate, "B": cases[1].best.rate}
    rows = []
    for case in cases:
        if not case.runs:
            rows.append(Row(case.name, None, "msg/s", "", "skipped (no PostgreSQL)"))
            continue
        best = case.best
        label = f"{ratio(best.rate, bases[case.baseline])} {case.baseline}" if case.baseline else ""
        others = ", ".join(f"{r.rate:,.0f}" for r in case.runs if r is not best)
        note = best.note + (f"; other rounds {others}" if others else "")
        rows.append(Row(case.name, best.rate, "msg/s", label, note))
    table(
        f"1. Delivery throughput ({n} messages of {size / 1024:.1f} KiB each from "
        f"compose.compose; sink in its own process; best of {done}; ratio >1x = faster)",
        rows,
    )
    _phases([(c.name, c.best) for c in cases if c.runs and c.best.phases], n, bases["A"])


def _phases(runs: Sequence[tuple[str, Run]], n: int, raw_rate: float) -> None:
    """Where an outbox pass spends its time, per message."""
    title = (
        "   where the outbox's time goes (us per message; a sender's time on the wire (send),"
        " waiting for its acceptance to be noted (wait) or for work (idle); claim, note and"
        " record run in a thread, beside the senders)"
    )
    headers = ("run", "total", "send", "wait", "idle", "claim", "note", "record")
    cells = []
    for name, result in runs:
        per = {k: v / n * 1e6 for k, v in result.phases.items()}
        values = [result.seconds / n * 1e6] + [per[k] for k in headers[2:]]
        cells.append((name, *(f"{v:,.0f}" for v in values)))
    cells.append(("raw SMTP round trip, 1 connection (A)", f"{1e6 / raw_rate:,.0f}", *[""] * 6))
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    print()
    print(title)
    for line in (headers, tuple("-" * w for w in widths), *cells):
        numbers = zip(line[1:], widths[1:], strict=True)
        parts = [line[0].ljust(widths[0])] + [v.rjust(w) for v, w in numbers]
        print("   " + "  ".join(parts).rstrip())
