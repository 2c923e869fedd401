"""`decline run-due` files what it sent in the Sent folder in the same pass; the scheduler
runs the copy job beside the outbox; two copiers at once still make one copy."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from sqlalchemy import Engine

from service.jobs import build_scheduler, run_due
from service.models import MessageStatus
from service.outbox.service import Outbox
from service.sent_copies.jobs import JOB_ID, copy_sent
from tests.cli.test_commands import _env, _run
from tests.imap_server import ImapAccount
from tests.outbox.factories import get_message, make_decline
from tests.peers import free_port
from tests.sent_copies.test_copy_to_sent import copy_settings, sent_decline
from tests.smtp_sink import SmtpServer


async def test_run_due_sends_then_copies_in_one_pass(
    engine: Engine, tmp_path: Path, imap_server: ImapAccount, smtp_server: SmtpServer
) -> None:
    await imap_server.create_folder("Sent Items")
    _, [mid] = make_decline(engine, ["charles@engines.example"])
    env = _env(
        tmp_path,
        str(engine.url),
        DECLINE_MAIL_FROM="Ada Lovelace <declines@mailer.example>",
        DECLINE_SMTP_HOST=smtp_server.host,
        DECLINE_SMTP_PORT=str(smtp_server.port),
        DECLINE_IMAP_HOST=imap_server.host,
        DECLINE_IMAP_PORT=str(imap_server.port),
        DECLINE_IMAP_SECURITY="none",
        DECLINE_IMAP_USERNAME=imap_server.user,
        DECLINE_IMAP_PASSWORD=imap_server.password,
    )

    result = await asyncio.to_thread(_run, ["run-due"], env, tmp_path)

    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["outbox"]["sent"] == 1
    assert summary["sent_copies"] == {"copied": 1, "found": 0, "failed": 0, "folder": "Sent Items"}
    went_out = smtp_server.sink.received[0].content
    assert await imap_server.bodies("Sent Items") == [went_out] == [get_message(engine, mid).raw]
    assert imap_server.password not in result.stdout + result.stderr


async def test_an_imap_server_that_is_down_never_holds_up_delivery(
    engine: Engine, tmp_path: Path, imap_server: ImapAccount, smtp_server: SmtpServer
) -> None:
    _, [mid] = make_decline(engine, ["charles@engines.example"])
    settings = copy_settings(engine, tmp_path, imap_server, smtp_server, imap_port=free_port())
    outbox = Outbox.from_settings(engine=engine, settings=settings)
    try:
        summary = await run_due(outbox=outbox)
    finally:
        await outbox.close()

    assert summary["outbox"]["sent"] == 1 and len(smtp_server.sink.received) == 1
    assert get_message(engine, mid).status == MessageStatus.sent
    assert summary["sent_copies"]["failed"] == 1 and "error" in summary["imap"]


async def test_two_copiers_at_once_file_each_message_once(
    engine: Engine, tmp_path: Path, imap_server: ImapAccount
) -> None:
    await imap_server.create_folder("Sent")
    settings = copy_settings(engine, tmp_path, imap_server)
    mids = sent_decline(engine, *(f"c{n}@engines.example" for n in range(6)))

    a, b = await asyncio.gather(
        copy_sent(engine=engine, settings=settings), copy_sent(engine=engine, settings=settings)
    )

    assert a is not None and b is not None and a["copied"] + b["copied"] == 6
    kept = sorted(get_message(engine, mid).raw for mid in mids)
    assert sorted(await imap_server.bodies("Sent")) == kept


def test_the_scheduler_runs_the_copy_job_only_with_imap(
    engine: Engine, tmp_path: Path, imap_server: ImapAccount
) -> None:
    with_imap = copy_settings(engine, tmp_path, imap_server)
    without = copy_settings(engine, tmp_path, imap_server, imap_sent_copies=False)
    for settings, expected in ((with_imap, True), (without, False)):
        outbox = Outbox.from_settings(engine=engine, settings=settings)
        scheduler = build_scheduler(outbox=outbox, settings=settings)
        assert (scheduler.get_job(JOB_ID) is not None) is expected
