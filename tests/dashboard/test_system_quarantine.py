"""What the operator sees of IMAP messages that failed: the System page lists the
quarantined ones (escaped, with their .eml) and /metrics counts them from the database."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from service.core.db import make_engine
from service.inbound.imap import poll_mailbox
from tests.dashboard.conftest import Dashboard, set_password
from tests.factories import make_settings, new_api_key, running_app
from tests.imap_server import ImapAccount
from tests.inbound.imap_poll import POISON, PoisonAware, message

HOSTILE = '<script>alert("quarantine")</script> & <img src=x onerror=alert(1)>'


class Hostile(PoisonAware):
    async def __call__(self, raw: bytes) -> bool:
        if raw == POISON:
            raise RuntimeError(HOSTILE)
        return True


def metric(text: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert found, name
    return float(found.group(1))


def test_system_page_and_metrics_show_quarantined_mail(
    database_url: str, tmp_path: Path, imap_server: ImapAccount
) -> None:
    set_password(database_url)
    settings = make_settings(database_url, tmp_path, **imap_server.settings_overrides())
    engine = make_engine(database_url)
    with running_app(settings) as client:
        dash = Dashboard(client=client, settings=settings, token=new_api_key(database_url))
        dash.login()
        assert "No incoming message has failed" in client.get("/dashboard/system").text
        before = client.get("/metrics").text
        failures_before = metric(before, "decline_imap_handling_failures_total")
        assert metric(before, 'decline_imap_failed_messages{state="quarantined"}') == 0

        uid = asyncio.run(imap_server.append(POISON))
        asyncio.run(imap_server.append(message(1)))

        def one_poll() -> None:
            asyncio.run(poll_mailbox(settings=settings, engine=engine, handle=Hostile("unused")))

        one_poll()
        waiting = client.get("/metrics").text
        assert metric(waiting, 'decline_imap_failed_messages{state="retrying"}') == 1
        assert "0 quarantined</strong>, 1 waiting for another try" in (
            client.get("/dashboard/system").text
        )

        one_poll()
        one_poll()
        page = client.get("/dashboard/system").text
        assert '<strong id="quarantined-count">1 quarantined</strong>.' in page
        assert f"<td>{uid}</td>" in page and imap_server.user in page
        escaped = "RuntimeError: &lt;script&gt;alert(&#34;quarantine&#34;)&lt;/script&gt; &amp;"
        assert escaped in page
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "3 tries in all" in page

        link = re.search(r'href="(/dashboard/system/quarantine/[^"]+\.eml)"', page)
        assert link, page
        download = client.get(link.group(1))
        assert download.status_code == 200 and download.content == POISON
        assert download.headers["content-type"] == "message/rfc822"
        assert f'filename="imap-uid-{uid}.eml"' in download.headers["content-disposition"]
        assert client.get("/dashboard/system/quarantine/nothing-here.eml").status_code == 404

        after = client.get("/metrics").text
        assert metric(after, 'decline_imap_failed_messages{state="quarantined"}') == 1
        assert metric(after, 'decline_imap_failed_messages{state="retrying"}') == 0
        assert metric(after, "decline_imap_handling_failures_total") == failures_before + 3

        dash.post("/dashboard/logout")
        signed_out = client.get(link.group(1), follow_redirects=False)
        assert signed_out.status_code == 303 and POISON not in signed_out.content
    engine.dispose()
