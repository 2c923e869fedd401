"""An SMTP server in its own process that writes down every message it accepts.

`python -m tests.outbox.counting_sink --port P --log FILE --delay-file FILE`: each message is
appended to the log (recipient, Message-ID) the moment its data is in, then the server waits
the number of seconds in the delay file (re-read for every message) before it answers
"250 OK". A client killed during that wait has had its message taken without hearing so:
exactly the case that turns into a duplicate when the message is sent again.

`CountingSink` starts and stops it from a test and reads the log.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from bench.sink import HOST, ChildSink, free_port


class Handler:
    def __init__(self, log: Path, delay_file: Path) -> None:
        self.log, self.delay_file = log, delay_file

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message_id = BytesHeaderParser().parsebytes(envelope.original_content)["Message-ID"]
        with self.log.open("a", encoding="utf-8") as out:
            for recipient in envelope.rcpt_tos:
                out.write(f"{recipient}\t{message_id}\n")
        await asyncio.sleep(float(self.delay_file.read_text() or 0))
        return "250 OK"


async def serve(port: int, log: Path, delay_file: Path) -> None:
    from aiosmtpd.smtp import SMTP

    handler = Handler(log, delay_file)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="sink.test", ident="counting sink"), HOST, port
    )
    async with server:
        await server.serve_forever()


class CountingSink(ChildSink):
    """The sink process, for a `with` block: deliveries per recipient, delay to change."""

    def __init__(self, directory: Path, *, delay: float) -> None:
        self.port = free_port()
        self.log = directory / "accepted.log"
        self.delay_file = directory / "delay"
        self.log.touch()
        self.set_delay(delay)
        args = ["-m", "tests.outbox.counting_sink", "--port", str(self.port)]
        args += ["--log", str(self.log), "--delay-file", str(self.delay_file)]
        super().__init__(args, self.port, start_timeout=30)

    def set_delay(self, seconds: float) -> None:
        self.delay_file.write_text(str(seconds))

    def deliveries(self) -> collections.Counter[str]:
        """How many times each recipient has been handed a message so far."""
        lines = self.log.read_text(encoding="utf-8").splitlines()
        return collections.Counter(line.split("\t")[0] for line in lines if "\t" in line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--delay-file", type=Path, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.log, args.delay_file))


if __name__ == "__main__":
    main()
