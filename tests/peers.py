"""Helpers for tests that need a real peer: skip with a how-to, or fail under REQUIRE_ALL."""

from __future__ import annotations

import os
import socket

import pytest

REQUIRE_ALL = os.environ.get("DECLINE_TEST_REQUIRE_ALL") == "1"


def missing_peer(what: str, how: str) -> None:
    """Skip (or fail, when DECLINE_TEST_REQUIRE_ALL=1) because a peer is not available."""
    message = f"{what} is not available: {how}"
    if REQUIRE_ALL:
        pytest.fail(message + " (DECLINE_TEST_REQUIRE_ALL=1 makes this a failure)")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def require_tool(command: str, how: str) -> str:
    """The path of a command-line tool the test runs; skip (or fail) without it."""
    import shutil

    path = shutil.which(command)
    if path is None:
        missing_peer(command, how)
    assert path is not None
    return path
