"""Run a program on a real pseudo-terminal, as a person at a keyboard would, and answer its
prompts: stdin is a tty, so the program takes the interactive path."""

from __future__ import annotations

import os
import pty
import select
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Session:
    code: int  # the exit status (or -signal)
    output: str  # everything the program wrote to the terminal, stdout and stderr


def run_on_tty(
    argv: Sequence[str],
    *,
    env: dict[str, str],
    cwd: Path,
    answers: Sequence[tuple[str, str]] = (),
    timeout: float = 60.0,
) -> Session:
    """Run `argv`; each time the output shows the next prompt of `answers`, type its reply.
    A program still running after `timeout` seconds is killed, and the test fails."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: its stdin, stdout and stderr are the terminal
        try:
            os.chdir(cwd)
            os.execvpe(argv[0], list(argv), env)  # noqa: S606 - a test runs its own argv
        finally:
            os._exit(127)
    output, pending, seen = b"", list(answers), 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the program has closed the terminal
                break
            if not chunk:
                break
            output += chunk
            found = output.find(pending[0][0].encode(), seen) if pending else -1
            if found >= 0:
                seen = found + 1  # the next prompt must come after this one
                os.write(fd, pending.pop(0)[1].encode())
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError(f"{argv[0]} still running after {timeout}s:\n{_text(output)}")
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    return Session(os.waitstatus_to_exitcode(status), _text(output))


def _text(output: bytes) -> str:
    return output.decode("utf-8", "replace").replace("\r\n", "\n")
