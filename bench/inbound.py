"""Reading inbound mail: what one hostile message can cost, and what the caps and the
worker process add to ordinary mail, beside the bare parse+classify of the same bytes."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.hostile_mail import HOSTILE
from bench.report import Row, fmt, median, percentile, ratio, table
from service.inbound.classify import parse
from service.inbound.reader import Unparseable, read
from service.inbound.worker import ReaderPool

TESTS = Path(__file__).resolve().parent.parent / "tests" / "inbound"
TEST_CORPUS = (TESTS / "corpus", TESTS / "real_mail")
LIMIT_SECONDS = 10.0  # the default inbound_parse_timeout_seconds


def run(rounds: int, real_mail: Path | None) -> None:
    pool = ReaderPool(size=1)
    try:
        pool.read(b"Subject: warm up\r\n\r\nhi\r\n", timeout=60)  # the spawn is not a message's
        _corpora(pool, rounds, real_mail)
        _hostile(pool)
    finally:
        pool.close()


def _corpora(pool: ReaderPool, rounds: int, real_mail: Path | None) -> None:
    sets = [("test corpus", _messages(TEST_CORPUS))]
    if real_mail is not None:
        sets.append((f"real mail ({real_mail.name})", _messages((real_mail,))))
    rows: list[Row] = []
    for label, messages in sets:
        ways: list[tuple[str, Callable[[bytes], object]]] = [
            ("baseline: classify.parse in-process", parse),
            ("caps + parse in-process (reader.read)", read),
            ("caps + parse in a worker process", lambda raw: pool.read(raw, timeout=LIMIT_SECONDS)),
        ]
        base: dict[int, float] = {}
        for way, fn in ways:
            samples = _times(fn, messages, rounds)
            for pct in (50, 99):
                figure = (median(samples) if pct == 50 else percentile(samples, pct)) * 1000
                base.setdefault(pct, figure)
                rows.append(Row(f"{label}: {way}, p{pct}", figure, "ms", ratio(figure, base[pct])))
        count = len(messages)
        rows.append(Row(f"{label}: {count} messages, {rounds} rounds", None, ""))
    table("5. Reading ordinary inbound mail (ratio >1x = slower than the bare parse)", rows)


def _hostile(pool: ReaderPool) -> None:
    rows: list[Row] = []
    for name, make in HOSTILE.items():
        raw = make()
        started = time.perf_counter()
        outcome = pool.read(raw, timeout=LIMIT_SECONDS)
        took = (time.perf_counter() - started) * 1000
        verdict = outcome.reason if isinstance(outcome, Unparseable) else outcome.detected.value
        rows.append(Row(name, took, "ms", note=f"{len(raw):,} B; {verdict}"[:90]))
    rows.sort(key=lambda r: r.figure or 0, reverse=True)
    slowest = rows[0]
    rows.insert(
        0,
        Row(
            f"slowest of {len(rows)} hostile messages",
            slowest.figure,
            "ms",
            note=f"{slowest.name}; wall-clock limit {fmt(LIMIT_SECONDS * 1000)} ms",
        ),
    )
    table(
        "6. Hostile inbound mail, through the worker (before the caps: 2 s to minutes each)",
        rows,
    )


def _messages(directories: Sequence[Path]) -> list[bytes]:
    return [p.read_bytes() for d in directories for p in sorted(d.rglob("*.eml"))]


def _times(fn: Callable[[bytes], object], messages: list[bytes], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        for raw in messages:
            started = time.perf_counter()
            fn(raw)
            samples.append(time.perf_counter() - started)
    return samples


def real_mail_dir(value: str | None) -> Path | None:
    """The directory of real .eml files to measure too (flag, else DECLINE_BENCH_REAL_MAIL)."""
    chosen = value or os.environ.get("DECLINE_BENCH_REAL_MAIL")
    return Path(chosen) if chosen else None


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.inbound", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--real-mail", help="a directory of real .eml files to measure too")
    args = parser.parse_args()
    run(args.rounds, real_mail_dir(args.real_mail))
