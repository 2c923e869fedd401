from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import auth

SETTLED = {"sent", "failed", "bounced", "canceled"}


def wait_settled(
    client: TestClient, token: str, decline_id: str, timeout: float = 20.0
) -> dict[str, Any]:
    """Poll until every message has left the queue (a deadline, not a speed check)."""
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/v1/declines/{decline_id}", headers=auth(token)).json()
        if all(c["message"]["status"] in SETTLED for c in body["contacts"]):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"messages still pending after {timeout}s: {body}")
        time.sleep(0.05)


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)
