"""The Calls, Outbox and System pages over HTTP: lists, filters, pages, actions, connection
tests against real SMTP (aiosmtpd) and IMAP (Dovecot) servers, CSRF, escaping, secrets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlmodel import col

from service.core.db import session_scope
from service.dashboard.pages import system
from service.models import Contact, FollowUp, Message, MessageKind
from tests.dashboard.conftest import Dashboard, set_password
from tests.factories import (
    accept_quietly,
    auth,
    decline_body,
    make_settings,
    new_api_key,
    run_due_at,
    running_app,
)
from tests.imap_server import ImapAccount
from tests.smtp_sink import SmtpServer
from tests.waiting import wait_settled, wait_until

FAR = datetime(2030, 1, 1, tzinfo=UTC)
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SMTP_PASSWORD = "s3cret-pass"  # tests.smtp_sink.CREDENTIALS
IMAP_SECRET = "Imap-Distinctive-Secret-4711"


# --- helpers ------------------------------------------------------------------------------


@contextmanager
def dashboard_with(
    database_url: str, tmp_path: Path, *, scheduler: bool = False, **overrides: Any
) -> Iterator[Dashboard]:
    """A logged-in dashboard on an app with these settings."""
    set_password(database_url)
    settings = make_settings(database_url, tmp_path, **overrides)
    token = new_api_key(database_url)
    with running_app(settings, scheduler=scheduler) as client:
        dash = Dashboard(client=client, settings=settings, token=token)
        dash.login()
        yield dash


def post(dash: Dashboard, url: str, **data: str) -> httpx.Response:
    """A browser's form submission (no JavaScript), with the session's CSRF token."""
    return dash.client.post(url, data={"csrf_token": dash.csrf, **data}, follow_redirects=False)


def htmx(dash: Dashboard, url: str) -> httpx.Response:
    """What htmx sends: the token in the header (from the body's hx-headers)."""
    return dash.client.post(url, headers={"HX-Request": "true", "X-CSRF-Token": dash.csrf})


def create(dash: Dashboard, **overrides: Any) -> dict[str, Any]:
    response = dash.client.post(
        "/v1/declines", json=decline_body(**overrides), headers=auth(dash.token)
    )
    assert response.status_code == 201, response.text
    return wait_settled(dash.client, dash.token, response.json()["id"])


def engine_of(dash: Dashboard) -> Any:
    return dash.client.app.state.engine  # type: ignore[attr-defined]


def accept_waiting(dash: Dashboard, count: int) -> None:
    """`count` two-contact declines accepted as of 2030: their emails wait in the outbox."""
    accept_quietly(dash.client, dash.token, dash.settings, now=FAR, count=count)


def result_box(text: str, which: str) -> str:
    match = re.search(rf'<div id="{which}-result"[^>]*>(.*?)</div>\s*</section>', text, re.S)
    assert match, text
    return match.group(1)


# --- Calls --------------------------------------------------------------------------------


def test_due_calls_show_number_script_and_outcome_buttons(dashboard: Dashboard) -> None:
    decline = create(dashboard)
    empty = dashboard.client.get("/dashboard/calls")
    assert empty.status_code == 200 and "No calls are due" in empty.text
    assert 'aria-current="page">Calls<' in empty.text
    run_due_at(dashboard.client, FAR)

    text = dashboard.client.get("/dashboard/calls").text
    charles, mary = decline["contacts"]
    for contact in (charles, mary):
        assert f'id="call-{contact["id"]}"' in text
        assert f'action="/dashboard/contacts/{contact["id"]}/calls"' in text
    assert 'href="tel:+442079460000"' in text  # Charles has a number; Mary has none
    assert "No phone number on file." in text
    assert text.count("<summary>Call script</summary>") == 2
    assert "make sure you received my email" in text
    assert "Voicemail script" not in text  # attempt 1 of 3: no voicemail yet
    for button in ("Reached", "No answer", "Left voicemail"):
        assert f">{button}</button>" in text
    # Both cards' outcome and contact forms come back to this list.
    assert text.count('name="next" value="/dashboard/calls?status=due"') == 4
    assert f'name="csrf_token" value="{dashboard.csrf}"' in text

    # The outcome form returns here, and the call leaves the due list.
    response = post(
        dashboard,
        f"/dashboard/contacts/{charles['id']}/calls",
        outcome="no_answer",
        next="/dashboard/calls?status=due",
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/calls?status=due&done=call"
    after = dashboard.client.get(response.headers["location"]).text
    assert "Call logged." in after
    assert f'id="call-{charles["id"]}"' not in after and f'id="call-{mary["id"]}"' in after
    scheduled = dashboard.client.get("/dashboard/calls?status=scheduled").text
    assert f'id="call-{charles["id"]}"' in scheduled and "attempt 2 of 3" in scheduled

    # Reached: done, shown without outcome buttons.
    post(dashboard, f"/dashboard/contacts/{mary['id']}/calls", outcome="reached")
    done = dashboard.client.get("/dashboard/calls?status=done").text
    assert f'id="call-{mary["id"]}"' in done
    assert f'action="/dashboard/contacts/{mary["id"]}/calls"' not in done
    everything = dashboard.client.get("/dashboard/calls?status=all").text
    assert f'id="call-{mary["id"]}"' in everything and f'id="call-{charles["id"]}"' in everything


def test_the_last_attempt_shows_the_voicemail_script(database_url: str, tmp_path: Path) -> None:
    with dashboard_with(database_url, tmp_path, max_call_attempts=1) as dash:
        create(dash, contacts=decline_body()["contacts"][:1])
        run_due_at(dash.client, FAR)
        text = dash.client.get("/dashboard/calls").text
        assert "Voicemail script (last attempt)" in text
        assert "attempt 1 of 1" in text


def test_calls_are_paged_and_filters_are_checked(dashboard: Dashboard) -> None:
    accept_waiting(dashboard, 13)  # 26 contacts, their emails still queued: pending calls
    first = dashboard.client.get("/dashboard/calls?status=pending").text
    assert first.count('class="call-row"') == 25
    assert 'href="/dashboard/calls?status=pending&amp;cursor=25" rel="next"' in first
    assert "Pending (email not sent yet) (26)" in first  # the filter says how many
    second = dashboard.client.get("/dashboard/calls?status=pending&cursor=25").text
    assert second.count('class="call-row"') == 1
    assert 'href="/dashboard/calls?status=pending" rel="prev"' in second
    assert 'rel="next"' not in second
    assert 'name="next" value="/dashboard/calls?status=pending&amp;cursor=25"' in second

    for bad in ("status=everything", "cursor=-1", "cursor=abc"):
        response = dashboard.client.get(f"/dashboard/calls?{bad}")
        assert response.status_code == 422, bad
        assert "<h1>" in response.text  # a readable page, not problem+json


def test_names_in_the_call_list_are_escaped(dashboard: Dashboard) -> None:
    contacts = [{"name": IMG, "email": "x@engines.example", "role": "recruiter"}]
    create(dashboard, company=SCRIPT, contacts=contacts)
    run_due_at(dashboard.client, FAR)
    text = dashboard.client.get("/dashboard/calls").text
    assert SCRIPT not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in text


# --- Outbox -------------------------------------------------------------------------------


def message_ids(dash: Dashboard, decline_id: str) -> dict[str, str]:
    with session_scope(engine_of(dash)) as db:
        rows = db.execute(
            select(col(Contact.email), col(Message.id))
            .join(Contact, col(Contact.id) == col(Message.contact_id))
            .where(col(Message.decline_id) == decline_id, col(Message.kind) == MessageKind.decline)
        ).all()
    return {email: message_id for email, message_id in rows}


def set_message(dash: Dashboard, message_id: str, **values: Any) -> None:
    with session_scope(engine_of(dash)) as db:
        db.execute(update(Message).where(col(Message.id) == message_id).values(**values))


def row_of(text: str, message_id: str) -> str:
    match = re.search(rf'<tr id="message-{message_id}">(.*?)</tr>', text, re.S)
    assert match, f"message {message_id} is listed"
    return match.group(1)


def test_outbox_buttons_follow_each_status(dashboard: Dashboard) -> None:
    people = [
        {"name": f"Person {n}", "email": f"p{n}@engines.example", "role": "interviewer"}
        for n in range(4)
    ]
    decline = create(dashboard, contacts=people)
    ids = message_ids(dashboard, decline["id"])
    later = datetime.now(UTC) + timedelta(days=3)
    set_message(
        dashboard, ids["p0@engines.example"], status="queued", attempts=0, next_attempt_at=later
    )
    set_message(
        dashboard,
        ids["p1@engines.example"],
        status="queued",
        attempts=2,
        next_attempt_at=later,
        last_error="451 4.7.1 greylisted, try again",
    )
    set_message(dashboard, ids["p2@engines.example"], status="bounced", last_error="550 no user")
    # A message being sent holds a live lease; without one the outbox would reclaim and send it.
    set_message(
        dashboard, ids["p3@engines.example"], status="sending", attempts=1, lease_until=later
    )

    text = dashboard.client.get("/dashboard/outbox").text
    assert 'aria-current="page">Outbox<' in text
    queued, retrying, bounced, sending = (
        row_of(text, ids[f"p{n}@engines.example"]) for n in range(4)
    )
    assert ">queued<" in queued and ">Cancel</button>" in queued and "Retry" not in queued
    assert ">retrying<" in retrying and ">Cancel</button>" in retrying
    assert "451 4.7.1 greylisted, try again" in retrying
    assert ">Retry</button>" in bounced and "Cancel" not in bounced and "550 no user" in bounced
    assert ">sending<" in sending and "<button" not in sending
    assert f'action="/dashboard/messages/{ids["p2@engines.example"]}/retry"' in bounced
    assert f'action="/dashboard/messages/{ids["p1@engines.example"]}/cancel"' in retrying
    assert "Interview invitation: Principal Engineer (REQ-1843)" in queued  # from the headers
    assert f'href="/dashboard/declines/{decline["id"]}"' in queued
    assert text.count('name="next" value="/dashboard/outbox?status=all"') == 3

    filtered = {
        name: dashboard.client.get(f"/dashboard/outbox?status={name}").text
        for name in ("queued", "retrying", "bounced", "sending", "failed")
    }
    assert f"message-{ids['p0@engines.example']}" in filtered["queued"]
    assert f"message-{ids['p1@engines.example']}" not in filtered["queued"]
    assert f"message-{ids['p1@engines.example']}" in filtered["retrying"]
    assert f"message-{ids['p2@engines.example']}" in filtered["bounced"]
    assert f"message-{ids['p3@engines.example']}" in filtered["sending"]
    assert "<tbody>" not in filtered["failed"] and "Nothing here." in filtered["failed"]
    assert dashboard.client.get("/dashboard/outbox?status=sent").status_code == 422

    # Cancel the queued one and come back: it is gone from the list.
    response = post(
        dashboard,
        f"/dashboard/messages/{ids['p0@engines.example']}/cancel",
        next="/dashboard/outbox?status=all",
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/outbox?status=all&done=message_canceled"
    after = dashboard.client.get(response.headers["location"]).text
    assert "canceled before sending" in after  # the flash
    assert f"message-{ids['p0@engines.example']}" not in after


def test_real_smtp_failures_show_with_their_errors_and_can_be_retried(
    database_url: str, tmp_path: Path, smtp_server_factory: Any
) -> None:
    server: SmtpServer = smtp_server_factory(
        "plain",
        rcpt_replies={
            # Refused by the operator's own relay: fixed there, then retried.
            "x@engines.example": "554 5.7.1 <x@engines.example>: Relay access denied",
            "mary@engines.example": "450 4.2.0 mailbox busy, try later",
        },
    )
    contacts = [
        {"name": IMG, "email": "x@engines.example", "role": "recruiter"},
        {"name": "Mary Somerville", "email": "mary@engines.example", "role": "hiring_manager"},
    ]
    with dashboard_with(database_url, tmp_path, **server.settings()) as dash:
        response = dash.client.post(
            "/v1/declines",
            json=decline_body(company=SCRIPT, contacts=contacts),
            headers=auth(dash.token),
        )
        assert response.status_code == 201
        decline_id = response.json()["id"]
        ids = message_ids(dash, decline_id)

        def settled() -> bool:
            with session_scope(engine_of(dash)) as db:
                first = db.get(Message, ids["x@engines.example"])
                second = db.get(Message, ids["mary@engines.example"])
                return bool(first and second and first.status == "failed" and second.attempts >= 1)

        wait_until(settled, "one failed, one retrying")
        text = dash.client.get("/dashboard/outbox").text
        failed = row_of(text, ids["x@engines.example"])
        retrying = row_of(text, ids["mary@engines.example"])
        assert "Relay access denied" in failed and ">Retry</button>" in failed
        assert "450 4.2.0 mailbox busy, try later" in retrying and ">retrying<" in retrying
        assert SCRIPT not in text and "<img src=x" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text

        response = post(
            dash,
            f"/dashboard/messages/{ids['x@engines.example']}/retry",
            next="/dashboard/outbox?status=failed",
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/dashboard/outbox?status=failed&done=retried"
        assert "queued to be sent again" in dash.client.get(response.headers["location"]).text
        wait_until(lambda: len(server.sink.refused) >= 3, "the retried message tried again")


def test_outbox_is_paged_and_actions_return_to_the_same_page(dashboard: Dashboard) -> None:
    accept_waiting(dashboard, 26)  # 52 messages, all due in 2030: they wait in the outbox
    first = dashboard.client.get("/dashboard/outbox?status=queued").text
    assert first.count('<tr id="message-') == 50
    assert 'href="/dashboard/outbox?status=queued&amp;cursor=50" rel="next"' in first
    assert 'rel="prev"' not in first
    second = dashboard.client.get("/dashboard/outbox?status=queued&cursor=50").text
    assert second.count('<tr id="message-') == 2
    assert 'href="/dashboard/outbox?status=queued" rel="prev"' in second
    assert 'rel="next"' not in second
    assert 'name="next" value="/dashboard/outbox?status=queued&amp;cursor=50"' in second


def test_outbox_actions_need_the_csrf_token(dashboard: Dashboard) -> None:
    decline = create(dashboard)
    message_id = decline["contacts"][0]["message"]["id"]
    set_message(dashboard, message_id, status="failed", last_error="550 gone")
    for action in ("retry", "cancel"):
        response = dashboard.client.post(
            f"/dashboard/messages/{message_id}/{action}", data={}, follow_redirects=False
        )
        assert response.status_code == 403
    with session_scope(engine_of(dashboard)) as db:
        message = db.get(Message, message_id)
        assert message is not None and message.status == "failed"


# --- System -------------------------------------------------------------------------------


def test_system_in_capture_mode_says_nothing_leaves(dashboard: Dashboard) -> None:
    response = dashboard.client.get("/dashboard/system")
    assert response.status_code == 200
    text = response.text
    assert "File capture: nothing leaves this machine." in text
    assert "Nothing leaves this machine." in text  # the banner on every page
    assert "Scheduler off in this process" in text and "decline run-due" in text
    kind = "SQLite" if dashboard.settings.is_sqlite else "PostgreSQL"
    assert f"<dt>Database</dt><dd>{kind}" in text
    assert "<dt>Python</dt>" in text and "<dt>Decline service</dt>" in text
    assert "IMAP is not configured" in text
    for field in ("Business hours", "Time zone", "Public holidays", "Call attempts"):
        assert f"<dt>{field}</dt>" in text
    assert "set DECLINE_PUBLIC_URL to link each reminder" in text
    assert dashboard.settings.secret_key not in text

    smtp = post(dashboard, "/dashboard/system/test-smtp")
    assert smtp.status_code == 200
    assert "Nothing to test: file-capture mode" in result_box(smtp.text, "smtp")
    imap = htmx(dashboard, "/dashboard/system/test-imap")
    assert imap.status_code == 200 and "<html" not in imap.text
    assert "IMAP is not configured" in imap.text


def test_smtp_test_over_starttls_with_auth_succeeds_and_never_shows_the_password(
    database_url: str, tmp_path: Path, smtp_server_starttls: SmtpServer
) -> None:
    overrides = {**smtp_server_starttls.settings(), "imap_host": "127.0.0.1"}
    overrides.update(imap_port=9, imap_username="ada", imap_password=IMAP_SECRET)
    overrides.update(imap_security="none", imap_timeout_seconds=5)
    with dashboard_with(database_url, tmp_path, **overrides) as dash:
        page = dash.client.get("/dashboard/system").text
        port = smtp_server_starttls.port
        assert f"SMTP via 127.0.0.1:{port} (STARTTLS)" in page
        assert "<dt>Password</dt><dd>set (••••••)</dd>" in page
        assert SMTP_PASSWORD not in page and IMAP_SECRET not in page
        assert "File capture" not in page

        plain = post(dash, "/dashboard/system/test-smtp")  # without JavaScript: the page
        box = result_box(plain.text, "smtp")
        assert f"SMTP works: connected to 127.0.0.1:{port} with STARTTLS" in box
        assert "logged in as mailer" in box and "Nothing was sent." in box
        assert smtp_server_starttls.sink.received == []
        fragment = htmx(dash, "/dashboard/system/test-smtp")
        assert "<html" not in fragment.text and "SMTP works" in fragment.text
        imap = post(dash, "/dashboard/system/test-imap")  # nothing listens on port 9
        assert "Failed: " in result_box(imap.text, "imap")
        for text in (plain.text, fragment.text, imap.text):
            assert SMTP_PASSWORD not in text and IMAP_SECRET not in text

        smtp_server_starttls.stop()
        down = post(dash, "/dashboard/system/test-smtp")
        assert down.status_code == 200
        assert f"Failed: Could not connect to 127.0.0.1:{port}" in result_box(down.text, "smtp")


def test_smtp_test_reports_a_refused_login_without_echoing_it(
    database_url: str, tmp_path: Path, smtp_server_starttls: SmtpServer
) -> None:
    wrong = "Wrong-Distinctive-Password-0815"
    overrides = {**smtp_server_starttls.settings(), "smtp_password": wrong}
    with dashboard_with(database_url, tmp_path, **overrides) as dash:
        response = post(dash, "/dashboard/system/test-smtp")
        box = result_box(response.text, "smtp")
        assert "the login was refused" in box and "DECLINE_SMTP_PASSWORD" in box
        assert wrong not in response.text


def test_imap_test_logs_in_to_dovecot(
    database_url: str, tmp_path: Path, imap_server: ImapAccount
) -> None:
    with dashboard_with(database_url, tmp_path, **imap_server.settings_overrides()) as dash:
        page = dash.client.get("/dashboard/system").text
        assert imap_server.password not in page and "<dt>Folder</dt><dd>INBOX</dd>" in page
        response = htmx(dash, "/dashboard/system/test-imap")
        assert response.status_code == 200
        assert f"IMAP works: logged in to 127.0.0.1:{imap_server.port}" in response.text
        assert "INBOX: 0 messages" in response.text
        assert imap_server.password not in response.text


def test_imap_test_reports_a_refused_login_without_echoing_it(
    database_url: str, tmp_path: Path, imap_server: ImapAccount
) -> None:
    overrides = imap_server.settings_overrides(password=IMAP_SECRET)
    with dashboard_with(database_url, tmp_path, **overrides) as dash:
        response = post(dash, "/dashboard/system/test-imap")
        box = result_box(response.text, "imap")
        assert "Failed: IMAP at 127.0.0.1:" in box
        assert IMAP_SECRET not in response.text


def test_system_lists_the_schedulers_jobs(database_url: str, tmp_path: Path) -> None:
    with dashboard_with(database_url, tmp_path, scheduler=True) as dash:
        runs = dash.client.app.state.job_runs  # type: ignore[attr-defined]
        wait_until(lambda: "outbox.deliver_due" in runs, "the first outbox run")
        text = dash.client.get("/dashboard/system").text
        assert "Scheduler off" not in text
        assert "Send due mail (outbox)" in text and "outbox.deliver_due" in text
        assert "Queue call reminders" in text and "every hour" in text
        assert 'class="chip sent">ok<' in text  # the last run, and how it ended


def test_connection_tests_need_the_csrf_token(dashboard: Dashboard) -> None:
    for url in ("/dashboard/system/test-smtp", "/dashboard/system/test-imap"):
        response = dashboard.client.post(url, data={}, follow_redirects=False)
        assert response.status_code == 403, url


def test_the_database_url_is_shown_without_its_password(tmp_path: Path) -> None:
    settings = make_settings("postgresql://decline:TopSecret99@db.internal:5432/decline", tmp_path)
    shown = system.database_url(settings)
    assert "TopSecret99" not in shown
    assert shown == "postgresql+psycopg://decline:***@db.internal:5432/decline"
    plain = make_settings("sqlite:///./decline.db", tmp_path)
    assert system.database_url(plain) == "sqlite:///./decline.db"


@pytest.mark.parametrize("path", ["calls", "outbox", "system", "calls?status=all"])
def test_every_page_needs_a_session(dashboard: Dashboard, path: str) -> None:
    post(dashboard, "/dashboard/logout")
    response = dashboard.client.get(f"/dashboard/{path}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/dashboard/login?next=/dashboard/")


def test_scheduled_calls_are_listed_before_they_fall_due(dashboard: Dashboard) -> None:
    decline = create(dashboard)
    with session_scope(engine_of(dashboard)) as db:
        statuses = set(
            db.scalars(
                select(col(FollowUp.status)).where(col(FollowUp.decline_id) == decline["id"])
            )
        )
    assert statuses == {"scheduled"}
    text = dashboard.client.get("/dashboard/calls?status=scheduled").text
    assert text.count('class="call-row"') == 2


def test_times_are_shown_in_the_operator_zone_and_name_it(
    database_url: str, tmp_path: Path
) -> None:
    with dashboard_with(database_url, tmp_path, timezone="America/New_York") as dash:
        accept_waiting(dash, 1)  # accepted at 2030-01-01 00:00 UTC
        text = dash.client.get("/dashboard/declines").text
        assert "Mon 31 Dec 2029, 19:00 EST" in text
        assert 'datetime="2030-01-01T00:00:00+00:00"' in text  # machines get the instant
