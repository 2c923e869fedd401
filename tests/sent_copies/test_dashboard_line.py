"""The message page says whether the copy is in the Sent folder yet, and why not."""

from __future__ import annotations

import html
import re
from pathlib import Path

from sqlalchemy import Engine

from service.sent_copies.jobs import copy_sent
from tests.dashboard.conftest import login, set_password
from tests.factories import make_settings, running_app
from tests.imap_server import ImapAccount
from tests.sent_copies.test_copy_to_sent import copy_settings, make_due_now, sent_decline


def copy_line(page: str) -> str | None:
    match = re.search(r"<dt>Copy in Sent</dt>\s*<dd>(.*?)</dd>", page, re.S)
    return html.unescape(match.group(1)) if match else None


async def test_the_message_page_says_waiting_failed_then_yes(
    engine: Engine, tmp_path: Path, imap_server: ImapAccount
) -> None:
    settings = copy_settings(engine, tmp_path, imap_server)
    set_password(str(engine.url))
    [mid] = sent_decline(engine, "charles@engines.example")
    url = f"/dashboard/messages/{mid}"
    with running_app(settings) as client:
        login(client)
        assert copy_line(client.get(url).text) == "waiting"

        await copy_sent(engine=engine, settings=settings)  # there is no Sent folder yet
        failed = copy_line(client.get(url).text) or ""
        assert failed.startswith("failed: ") and "no Sent folder" in failed

        await imap_server.create_folder("Sent")
        make_due_now(engine)
        await copy_sent(engine=engine, settings=settings)
        assert copy_line(client.get(url).text) == "yes"


async def test_without_imap_the_page_has_no_copy_line(engine: Engine, tmp_path: Path) -> None:
    settings = make_settings(str(engine.url), tmp_path)
    set_password(str(engine.url))
    [mid] = sent_decline(engine, "charles@engines.example")
    with running_app(settings) as client:
        login(client)
        page = client.get(f"/dashboard/messages/{mid}")
        assert page.status_code == 200 and copy_line(page.text) is None
