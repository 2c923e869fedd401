"""A locked SQLite database makes requests wait, then answer; never lose or half-store."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from tests.factories import auth, decline_body, make_settings, new_api_key, running_app


def _path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def test_request_waits_for_a_writer_then_succeeds(sqlite_url: str, tmp_path: Path) -> None:
    token = new_api_key(sqlite_url)
    with running_app(make_settings(sqlite_url, tmp_path)) as client:
        locker = sqlite3.connect(_path(sqlite_url), isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")  # another process holding the write lock
        result: dict[str, int] = {}

        def post() -> None:
            result["status"] = client.post(
                "/v1/declines", json=decline_body(), headers=auth(token)
            ).status_code

        worker = threading.Thread(target=post)
        worker.start()
        time.sleep(1.0)
        assert "status" not in result  # still waiting on the lock, not failed
        locker.execute("COMMIT")
        locker.close()
        worker.join(30)
        assert result["status"] == 201
        assert len(client.get("/v1/declines", headers=auth(token)).json()["items"]) == 1


def test_lock_held_past_the_wait_gives_503_and_stores_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    token = new_api_key(sqlite_url)
    settings = make_settings(sqlite_url, tmp_path, database_busy_timeout_seconds=0.3)
    with running_app(settings) as client:
        locker = sqlite3.connect(_path(sqlite_url), isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")
        try:
            response = client.post("/v1/declines", json=decline_body(), headers=auth(token))
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "2"
        assert client.get("/v1/declines", headers=auth(token)).json()["items"] == []
