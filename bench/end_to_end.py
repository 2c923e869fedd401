"""Section 0: the service as users run it, measured from outside, beside raw aiosmtplib.

`decline serve` in its own process (SQLite file, real SMTP to the sink process), declines of
three contacts posted by concurrent HTTP clients; the clock stops when the sink holds every
message. The server's CPU time comes from /proc/<pid>/stat around the burst (user + system,
every thread), so it counts all the work a decline costs: accept, compose, the three sends,
their records and the follow-up scheduling. The baseline is one persistent aiosmtplib
connection sending the same number of messages to the same sink: the ceiling for one
connection, measured in the same run.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.delivery import raw_run
from bench.fixtures import MAIL_FROM, render_messages, typical_body
from bench.report import Row, percentile, ratio, table
from bench.sink import HOST, SinkProcess, free_port

CONTACTS = 3
START_TIMEOUT = 30.0
DRAIN_TIMEOUT = 300.0
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, all its threads (proc(5): fields 14, 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _decline_command() -> list[str]:
    script = Path(sys.executable).with_name("decline")
    return [str(script)] if script.exists() else [sys.executable, "-m", "service.cli"]


@contextmanager
def serving(
    directory: Path, sink: SinkProcess
) -> Iterator[tuple[subprocess.Popen[bytes], str, str]]:
    """`decline serve` on a fresh SQLite file, sending to the sink; yields (process, base
    URL, API key)."""
    port = free_port()
    env = {
        **os.environ,
        "DECLINE_DATABASE_URL": f"sqlite:///{directory / 'e2e.db'}",
        "DECLINE_SMTP_HOST": HOST,
        "DECLINE_SMTP_PORT": str(sink.port),
        "DECLINE_SMTP_SECURITY": "none",
        "DECLINE_MAIL_FROM": MAIL_FROM,
        "DECLINE_SECRET_KEY": "bench-secret-key-bench-secret-key",
    }
    command = _decline_command()
    subprocess.run([*command, "migrate"], env=env, check=True, capture_output=True, cwd=directory)
    made = subprocess.run(
        [*command, "apikey", "create", "--name", "bench"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        cwd=directory,
    )
    key = made.stdout.strip().splitlines()[-1].strip()
    # The server's output to a file: a pipe nobody reads would fill and stall it.
    log = (directory / "serve.log").open("wb")
    proc = subprocess.Popen(
        [*command, "serve", "--host", HOST, "--port", str(port)],
        env=env,
        cwd=directory,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://{HOST}:{port}"
    try:
        _wait_ready(proc, base, directory / "serve.log")
        yield proc, base, key
    finally:
        log.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_ready(proc: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = log.read_text(errors="replace")
            raise RuntimeError(f"decline serve exited early: {err[-2000:]}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"decline serve did not answer /readyz within {START_TIMEOUT}s")


class Burst:
    def __init__(self) -> None:
        self.latencies: list[float] = []  # of each 201, from the first try
        self.busy = 0  # 503s (database busy), each sent again after its Retry-After


async def _burst(base: str, key: str, declines: int, clients: int, serial: int) -> Burst:
    """Post `declines` declines from `clients` concurrent connections, as a careful client
    does: a 503 is sent again, with the same Idempotency-Key, after its Retry-After."""
    headers = {"Authorization": f"Bearer {key}"}
    todo = iter(range(declines))
    burst = Burst()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as http:

        async def client() -> None:
            for i in todo:
                body = typical_body(serial=serial + i)
                started = time.perf_counter()
                while True:
                    answer = await http.post(
                        "/v1/declines", json=body, headers={"Idempotency-Key": f"e2e-{serial + i}"}
                    )
                    if answer.status_code != 503:
                        break
                    burst.busy += 1
                    await asyncio.sleep(float(answer.headers.get("Retry-After", "1")))
                burst.latencies.append(time.perf_counter() - started)
                if answer.status_code != 201:
                    raise RuntimeError(f"POST /v1/declines answered {answer.status_code}")

        await asyncio.gather(*(client() for _ in range(clients)))
    return burst


def _drain(sink: SinkProcess, target: int) -> None:
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while sink.count() < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the sink has {sink.count()} of {target} messages")
        time.sleep(0.01)


def run(sink: SinkProcess, directory: Path, *, declines: int, clients: int) -> None:
    messages = declines * CONTACTS
    raw = raw_run(sink, render_messages(messages), connections=1)
    with serving(directory, sink) as (proc, base, key):
        # Warm-up: imports, first connections, the SQLite page cache.
        before = sink.count()
        asyncio.run(_burst(base, key, 20, clients, serial=900_000))
        _drain(sink, before + 20 * CONTACTS)

        before, cpu_before = sink.count(), cpu_seconds(proc.pid)
        started = time.perf_counter()
        burst = asyncio.run(_burst(base, key, declines, clients, serial=1))
        latencies = burst.latencies
        accepted = time.perf_counter() - started
        _drain(sink, before + messages)
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(proc.pid) - cpu_before
    rate = messages / elapsed
    got = sink.count() - before
    rows = [
        Row(
            "baseline: raw aiosmtplib, one persistent connection",
            raw.rate,
            "msg/s",
            ratio(raw.rate, raw.rate),
            raw.note,
        ),
        Row(
            "decline serve: HTTP POST -> message at the sink",
            rate,
            "msg/s",
            ratio(rate, raw.rate),
            f"{got}/{messages} at the sink in {elapsed:.1f} s",
        ),
        Row(
            "  accepted (201s while the outbox sends)",
            declines / accepted,
            "declines/s",
            "",
            f"p50 {percentile(latencies, 50) * 1e3:.1f} ms, "
            f"p99 {percentile(latencies, 99) * 1e3:.1f} ms, {burst.busy} answered 503 first",
        ),
        Row(
            f"  server CPU per decline of {CONTACTS} contacts",
            cpu / declines * 1e3,
            "ms",
            "",
            f"{cpu:.2f} s CPU for {declines} declines (goal: 5 ms)",
        ),
    ]
    table(
        f"0. End to end: {declines} declines x {CONTACTS} contacts from {clients} clients, "
        "decline serve on SQLite, SMTP to a sink process (ratio >1x = faster than the ceiling)",
        rows,
        ratio_header="vs raw",
    )
