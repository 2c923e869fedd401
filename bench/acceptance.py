"""Section 3: how long `POST /v1/declines` takes to answer, beside a bare `GET /healthz`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from bench.fixtures import bench_settings, migrated_engine, sqlite_database, typical_body
from bench.report import Row, median, percentile, ratio, table
from service.app import create_app
from service.auth import api_keys
from service.core.db import session_scope, utcnow
from service.declines import service
from service.declines.schemas import DeclineCreate
from service.models import ApiKey

WARM_UP = 10


class _ParkedOutbox:
    """Stands in for `app.state.outbox` so that a commit's wake-up starts no delivery pass:
    we time the acceptance alone, with no send or capture write competing for the loop,
    the threads or the SQLite write lock. The real outbox is still closed by the lifespan."""

    def wake(self) -> None:
        return None


@contextmanager
def _app(directory: Path) -> Iterator[tuple[TestClient, str, Any]]:
    with sqlite_database(directory, "accept.db") as url, migrated_engine(url) as engine:
        with session_scope(engine) as session:
            _, token = api_keys.create(session=session, name="bench")
        # Capture mode (no SMTP host), no scheduler: nothing is sent during the timing.
        settings = bench_settings(url, directory, outbox_poll_seconds=3600)
        app: FastAPI = create_app(settings, scheduler=False)
        with TestClient(app) as client:
            app.state.outbox = _ParkedOutbox()
            yield client, token, (engine, settings)


def _time(fn: Callable[[int], None], iterations: int) -> list[float]:
    for i in range(WARM_UP):
        fn(-1 - i)
    samples = []
    for i in range(iterations):
        start = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - start)
    return samples


def run(iterations: int, directory: Path) -> None:
    with _app(directory) as (client, token, (engine, settings)):
        headers = {"Authorization": f"Bearer {token}"}

        def healthz(_: int) -> None:
            response = client.get("/healthz")
            if response.status_code != 200:
                raise RuntimeError(f"GET /healthz answered {response.status_code}")

        bodies = {i: typical_body(serial=10_000 + i) for i in range(-WARM_UP, iterations)}

        def post(i: int) -> None:
            response = client.post("/v1/declines", json=bodies[i], headers=headers)
            if response.status_code != 201:
                raise RuntimeError(f"POST /v1/declines answered {response.status_code}")

        with session_scope(engine) as session:
            key = session.scalars(select(ApiKey)).one()
        requests = {i: DeclineCreate.model_validate(b) for i, b in bodies.items()}

        def accept(i: int) -> None:
            with session_scope(engine) as session:
                service.accept(
                    session=session,
                    request=requests[i],
                    api_key=key,
                    settings=settings,
                    now=utcnow(),
                )

        cases = [
            ("baseline: GET /healthz (TestClient round trip)", healthz),
            ("POST /v1/declines, 3 contacts -> 201", post),
            ("service accept() + commit, no HTTP", accept),
        ]
        results = {}
        for name, fn in cases:
            results[name] = _time(fn, iterations)

    base = median(results[cases[0][0]]) * 1e3
    rows = []
    for name, samples in results.items():
        mid = median(samples) * 1e3
        p95 = percentile(samples, 95) * 1e3
        rows.append(Row(name, mid, "ms median", ratio(mid, base), f"p95 {p95:.2f} ms"))
    table(
        f"3. Acceptance latency (SQLite file, capture mode, outbox parked; {iterations} "
        "requests each; ratio >1x = slower)",
        rows,
    )
