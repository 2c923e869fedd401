"""Printing: machine facts, one table per section, small statistics helpers."""

from __future__ import annotations

import math
import os
import platform
import sqlite3
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path


@dataclass(frozen=True)
class Row:
    name: str
    figure: float | None  # None: not measured (the note says why)
    unit: str
    ratio: str = ""  # "vs baseline", already formatted
    note: str = ""


def ratio(value: float | None, baseline: float | None) -> str:
    """`value` as a multiple of `baseline`: "0.87x" (for times, >1x means slower)."""
    if value is None or not baseline:
        return ""
    text = f"{value / baseline:.2f}x"
    return text + (" (base)" if value == baseline else "")


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(title: str, rows: Sequence[Row], *, ratio_header: str = "vs baseline") -> None:
    headers = ("name", "figure", "unit", ratio_header, "note")
    cells = [(r.name, fmt(r.figure), r.unit, r.ratio, r.note) for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    right = {1, 3}

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(widths[i]) if i in right else v.ljust(widths[i]) for i, v in enumerate(values)
        ]
        return "  ".join(parts).rstrip()

    print()
    print(title)
    print("=" * len(title))
    print(line(headers))
    print(line(["-" * w for w in widths]))
    for c in cells:
        print(line(c))
    sys.stdout.flush()


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def _filesystem(path: Path) -> str:
    """The mount type holding `path` (from /proc/mounts; '?' elsewhere)."""
    try:
        mounts = [line.split() for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return "?"
    best, kind = "", "?"
    resolved = str(path.resolve())
    for fields in mounts:
        point = fields[1]
        inside = resolved == point or resolved.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, kind = point, fields[2]
    return kind


def machine_facts(postgres: str) -> None:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count() or 0
    temp = Path(tempfile.gettempdir())
    facts = [
        ("CPUs", f"{os.cpu_count()} (usable by this process: {usable})"),
        ("CPU model", _cpu_model()),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("SQLite", sqlite3.sqlite_version),
        ("PostgreSQL", postgres),
        ("platform", platform.platform()),
        ("temp dir", f"{temp} ({_filesystem(temp)})"),
        ("load average", load_note()),
        (
            "libraries",
            ", ".join(
                f"{p} {_version(p)}"
                for p in ("aiosmtplib", "aiosmtpd", "sqlalchemy", "fastapi", "psycopg")
            ),
        ),
    ]
    title = "Machine"
    print(title)
    print("=" * len(title))
    width = max(len(k) for k, _ in facts)
    for key, value in facts:
        print(f"{key.ljust(width)}  {value}")
    sys.stdout.flush()


def load_note(*, warn: bool = True) -> str:
    """The 1-minute load average, with a warning when other work shares the CPUs."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return "?"
    busy = warn and load > 0.5 * (os.cpu_count() or 1)
    return f"{load:.2f}" + (" (BUSY: other work shares the CPUs; figures run low)" if busy else "")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"
