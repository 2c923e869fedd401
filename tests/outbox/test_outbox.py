"""The in-process Outbox: one pass at a time, wake-ups, and batch isolation."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import Engine

from service.models import MessageStatus
from service.outbox.jobs import deliver_due
from service.outbox.policy import Outcome
from service.outbox.service import Outbox, run_pass
from service.outbox.transports import BeforeEnd, CaptureTransport, OutgoingMail
from tests.outbox.factories import get_messages, make_decline, make_settings


class GatedTransport(CaptureTransport):
    """Capture, but each send waits for the test to open the gate (a slow server)."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()
        self.sent: list[str] = []

    async def send(self, item: OutgoingMail, before_end: BeforeEnd | None = None) -> Outcome:
        self.entered.set()
        await self.gate.wait()
        self.sent.append(item.id)
        return await super().send(item, before_end)


class OrderedTransport(CaptureTransport):
    """The first message cannot finish before the last one did; another one crashes."""

    def __init__(self, directory: Path, first: str, last: str, broken: str) -> None:
        super().__init__(directory)
        self.first, self.last, self.broken = first, last, broken
        self.last_done = asyncio.Event()

    async def send(self, item: OutgoingMail, before_end: BeforeEnd | None = None) -> Outcome:
        if item.id == self.broken:
            raise RuntimeError("transport bug")
        if item.id == self.first:
            await self.last_done.wait()
        outcome = await super().send(item, before_end)
        if item.id == self.last:
            self.last_done.set()
        return outcome


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


async def test_a_wake_during_a_pass_loops_once_more_instead_of_overlapping(
    engine: Engine, tmp_path: Path
) -> None:
    settings = make_settings(url_of(engine), tmp_path)
    transport = GatedTransport(tmp_path / "out")
    outbox = Outbox(engine=engine, transport=transport, settings=settings)
    outbox.start()
    _, first = make_decline(engine, ["first@x.example"])
    running = asyncio.ensure_future(outbox.run_pass())
    await transport.entered.wait()  # the pass holds the first message now

    _, second = make_decline(engine, ["second@x.example"])
    await asyncio.to_thread(outbox.wake)
    joined = asyncio.ensure_future(deliver_due(outbox))  # the periodic job, at the same time
    transport.gate.set()
    summary, job = await asyncio.gather(running, joined)
    await outbox.close()

    assert (
        summary.as_dict()
        == job
        == {"claimed": 2, "sent": 2, "retried": 0, "failed": 0, "canceled": 0}
    )
    assert sorted(transport.sent) == sorted(first + second)  # each once, by one pass
    assert all(m.status == MessageStatus.sent for m in get_messages(engine, first + second))


async def test_one_message_never_holds_up_or_loses_the_others(
    engine: Engine, tmp_path: Path
) -> None:
    settings = make_settings(url_of(engine), tmp_path)
    _, ids = make_decline(engine, [f"r{i}@x.example" for i in range(4)])
    first, broken, last = ids[0], ids[1], ids[3]
    transport = OrderedTransport(tmp_path / "out", first=first, last=last, broken=broken)
    # Sent one after another, the first message would wait forever for the last one.
    summary = await asyncio.wait_for(
        run_pass(engine=engine, transport=transport, settings=settings), timeout=30
    )
    assert (summary.sent, summary.retried) == (3, 1)
    rows = {m.id: m for m in get_messages(engine, ids)}
    assert rows[broken].status == MessageStatus.queued
    assert rows[broken].last_error == "unexpected RuntimeError: transport bug"


async def test_wake_before_start_or_after_close_is_harmless(engine: Engine, tmp_path: Path) -> None:
    settings = make_settings(url_of(engine), tmp_path)
    outbox = Outbox.from_settings(engine=engine, settings=settings)
    outbox.wake()  # not started: nothing to do, nothing raised
    outbox.start()
    await outbox.close()
    outbox.wake()
    await outbox.wait_idle()
    make_decline(engine, ["x@x.example"])
    assert (await deliver_due(outbox))["sent"] == 1  # an explicit pass still works
