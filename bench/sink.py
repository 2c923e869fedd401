"""An SMTP sink in its own process: aiosmtpd, a handler that answers "250 OK" to everything.

Run by the parent through `SinkProcess`. Besides the SMTP port the sink listens on a control
port: send `count\\n` to read how many messages it accepted so far.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import socket
import subprocess
import sys
import time
from types import TracebackType
from typing import Any, Self

HOST = "127.0.0.1"


class Handler:
    """The minimal aiosmtpd handler: take every message, keep nothing but a count."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


async def serve(smtp_port: int, control_port: int) -> None:
    from aiosmtpd.smtp import SMTP

    handler = Handler()
    loop = asyncio.get_running_loop()
    # A fixed hostname, so aiosmtpd never asks DNS for the machine's name.
    smtp = await loop.create_server(
        lambda: SMTP(handler, hostname="sink.bench", ident="bench sink"), HOST, smtp_port
    )

    async def control(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.write(f"{handler.count}\n".encode())
        await writer.drain()
        writer.close()

    ctl = await asyncio.start_server(control, HOST, control_port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with smtp, ctl:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smtp-port", type=int, required=True)
    parser.add_argument("--control-port", type=int, required=True)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.smtp_port, args.control_port))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class ChildSink:
    """A sink module run in a child process: started once `ready_port` answers, stopped on
    exit (even ^C)."""

    def __init__(self, args: list[str], ready_port: int, *, start_timeout: float = 15.0) -> None:
        self.args, self.ready_port, self.start_timeout = args, ready_port, start_timeout
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        # Its own session: a ^C in the terminal reaches only us, and we stop it in order.
        self._proc = subprocess.Popen([sys.executable, *self.args], start_new_session=True)
        try:
            self._wait_for_port(self.ready_port, self.start_timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def _wait_for_port(self, port: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError(f"the SMTP sink exited early (code {self._proc.returncode})")
            try:
                with socket.create_connection((HOST, port), timeout=0.2) as sock:
                    sock.sendall(b"ping\n")
                return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"the SMTP sink did not open 127.0.0.1:{port} within {timeout}s")


class SinkProcess(ChildSink):
    """This module's sink, counting what it accepted."""

    def __init__(self) -> None:
        self.port = free_port()
        self.control_port = free_port()
        args = ["-m", "bench.sink", "--smtp-port", str(self.port)]
        args += ["--control-port", str(self.control_port)]
        super().__init__(args, self.control_port)  # opened after the SMTP port

    def count(self) -> int:
        """How many messages the sink has accepted since it started."""
        with socket.create_connection((HOST, self.control_port), timeout=5) as sock:
            sock.sendall(b"count\n")
            data = b""
            while chunk := sock.recv(64):
                data += chunk
        return int(data.strip())


if __name__ == "__main__":
    main()
