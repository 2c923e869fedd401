"""When the mail server is down, every page says so in plain words, the pages agree on what
the emails are doing (retrying), and the banner goes once mail flows again; one recipient's
refusal is that recipient's, not an outage. A real aiosmtpd server, stopped and started."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from service.core.db import session_scope
from service.models import Message, MessageStatus
from tests.dashboard.test_calls_outbox_system import (
    dashboard_with,
    engine_of,
    message_ids,
    row_of,
)
from tests.factories import auth, decline_body, run_due_at
from tests.smtp_sink import SmtpServer
from tests.waiting import wait_settled, wait_until

BANNER = "Email delivery is failing:"


def _tried(dash: Any, decline_id: str) -> bool:
    with session_scope(engine_of(dash)) as db:
        # An attempt counts once it has an outcome: a claimed email is `sending` already.
        rows = db.execute(
            select(col(Message.attempts), col(Message.status)).where(
                col(Message.decline_id) == decline_id
            )
        ).all()
        return bool(rows) and all(a >= 1 and s != MessageStatus.sending for a, s in rows)


def test_an_smtp_outage_shows_a_banner_in_plain_words_until_mail_flows_again(
    database_url: str, tmp_path: Any, smtp_server_factory: Any
) -> None:
    server: SmtpServer = smtp_server_factory()
    server.stop()  # nothing listens on its port now
    with dashboard_with(database_url, tmp_path, **server.settings()) as dash:
        made = dash.client.post("/v1/declines", json=decline_body(), headers=auth(dash.token))
        decline_id = made.json()["id"]
        wait_until(lambda: _tried(dash, decline_id), "a first, failed attempt at each email")

        for path in ("/dashboard/", "/dashboard/declines", "/dashboard/calls"):
            text = dash.client.get(path).text
            assert BANNER in text, path
            assert "nothing answers at the mail server&#39;s address and port" in text
            assert "2 emails wait and will be retried by themselves" in text
            assert 'href="/dashboard/outbox?status=retrying"' in text
            assert "Errno 111" in text.split(BANNER)[1].split("</details>")[0]  # one click away

        # One word for what the emails do, on every page: the Outbox's.
        listing = dash.client.get("/dashboard/declines").text
        assert '<span class="chip retrying">retrying</span>' in listing
        assert '<span class="chip queued">' not in listing
        detail = dash.client.get(f"/dashboard/declines/{decline_id}").text
        assert '<dd><span class="chip retrying">retrying</span>' in detail
        outbox = dash.client.get("/dashboard/outbox").text
        row = row_of(outbox, message_ids(dash, decline_id)["charles@engines.example"])
        assert ">retrying<" in row
        assert "Our mail server: nothing answers at the mail server&#39;s address and port" in row
        assert "<details><summary>Details</summary><code>" in row and "Errno 111" in row
        # The API keeps its documented word, with the attempts beside it.
        api = dash.client.get(f"/v1/declines/{decline_id}", headers=auth(dash.token)).json()
        assert api["status"] == "queued"
        assert {c["message"]["status"] for c in api["contacts"]} == {"queued"}

        server.start()
        run_due_at(dash.client, datetime.now(UTC) + timedelta(hours=1))  # past the retry times
        assert wait_settled(dash.client, dash.token, decline_id)["status"] == "sent"
        assert BANNER not in dash.client.get("/dashboard/").text


def test_one_recipients_refusal_is_explained_as_theirs_and_shows_no_banner(
    database_url: str, tmp_path: Any, smtp_server_factory: Any
) -> None:
    server: SmtpServer = smtp_server_factory(
        rcpt_replies={
            "charles@engines.example": "450 4.2.0 <charles@engines.example>: mailbox busy",
            "mary@engines.example": "550 5.1.1 <mary@engines.example>: User unknown",
        }
    )
    with dashboard_with(database_url, tmp_path, **server.settings()) as dash:
        made = dash.client.post("/v1/declines", json=decline_body(), headers=auth(dash.token))
        decline_id = made.json()["id"]
        wait_until(lambda: _tried(dash, decline_id), "a first attempt at each email")
        outbox = dash.client.get("/dashboard/outbox").text
        assert BANNER not in outbox
        ids = message_ids(dash, decline_id)
        busy = row_of(outbox, ids["charles@engines.example"])
        assert "The receiving server asked us to try again later." in busy
        unknown = row_of(outbox, ids["mary@engines.example"])
        assert "Not delivered: the address mary@engines.example does not exist at" in unknown
        assert html.escape("550 5.1.1 <mary@engines.example>: User unknown") in unknown
