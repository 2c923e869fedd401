"""Header injection, judged at the bytes the SMTP server received.

Text that a mail reader would decode as an RFC 2047 encoded word is refused at the API (a
422 naming the field, nothing queued). Past that check (code that builds requests itself,
or a request stored before the refusal), the composer writes it so it shows literally: one
recipient in RCPT and in To, only the headers we set, the body where it belongs. That holds
for the call reminders built from the stored request too.
"""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import func, select

from service.auth import api_keys
from service.core.db import session_scope, utcnow
from service.declines import service as declines
from service.mail.header_writer import UnsafeHeader
from service.models import Decline, Message
from tests.dashboard.conftest import Dashboard, dashboard  # noqa: F401 - the fixture
from tests.declines.hostile import (
    HEADER_FIELDS,
    PAYLOADS,
    TEXT_FIELDS,
    hostile_value,
    past_validation,
    with_field,
)
from tests.factories import auth, decline_body, make_settings, new_api_key, run_due_at, running_app
from tests.smtp_sink import Received
from tests.waiting import wait_settled

FAR = datetime(2030, 1, 1, tzinfo=UTC)
CANDIDATE = "ada@home.example"
DECLINE_HEADERS = {
    "from", "to", "reply-to", "subject", "date", "message-id", "mime-version", "content-type"
}  # fmt: skip
REMINDER_HEADERS = {
    "from", "to", "subject", "date", "message-id", "auto-submitted", "mime-version",
    "content-type",
}  # fmt: skip


def header_names(raw: bytes) -> list[str]:
    """Field names straight from the bytes: every line of the block that is not folded."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    return [
        line.split(b":", 1)[0].decode().casefold()
        for line in head.split(b"\r\n")
        if not line[:1].isspace()
    ]


def assert_one_recipient(arrival: Received, expected: set[str], recipient: str) -> EmailMessage:
    names = header_names(arrival.content)
    assert sorted(names) == sorted(expected), names  # each once, and no Bcc or other extra
    assert re.search(rb"(?im)^(bcc|cc):", arrival.content.split(b"\r\n\r\n", 1)[0]) is None
    assert re.search(rb"\r(?!\n)|(?<!\r)\n", arrival.content) is None
    assert arrival.rcpt_tos == [recipient]
    parsed = email.message_from_bytes(arrival.content, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert [a.addr_spec for a in parsed["To"].addresses] == [recipient]
    return parsed


def plain_text(parsed: EmailMessage) -> str:
    part = parsed.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


@pytest.mark.parametrize("field", HEADER_FIELDS)
def test_encoded_word_text_is_refused_with_a_422_and_nothing_is_queued(
    sqlite_url: str, tmp_path: Path, smtp_server, field: str
) -> None:
    token = new_api_key(sqlite_url)
    settings = make_settings(sqlite_url, tmp_path, **smtp_server.settings())
    with running_app(settings) as client:
        for payload in PAYLOADS.values():
            body = with_field(decline_body(), field, hostile_value(field, payload))
            for url in ("/v1/declines", "/v1/declines/preview"):
                response = client.post(url, json=body, headers=auth(token))
                assert response.status_code == 422, (payload, response.text)
                assert response.headers["content-type"] == "application/problem+json"
                problem = response.json()
                assert [e["field"] for e in problem["errors"]] == [field]
                assert problem["detail"].startswith(f"{field}: contains =?...?=")
                assert "encoded word" in problem["detail"]
        assert client.post("/v1/jobs/run-due", headers=auth(token)).status_code == 200
        assert client.get("/v1/declines", headers=auth(token)).json()["items"] == []
    assert smtp_server.sink.received == []


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_past_validation_the_wire_carries_one_recipient_and_only_our_headers(
    sqlite_url: str, tmp_path: Path, smtp_server, field: str
) -> None:
    token = new_api_key(sqlite_url)
    settings = make_settings(sqlite_url, tmp_path, **smtp_server.settings())
    with running_app(settings) as client:
        with session_scope(client.app.state.engine) as db:  # type: ignore[attr-defined]
            key = api_keys.authenticate(session=db, token=token)
            assert key is not None
            for payload in PAYLOADS.values():
                declines.accept(
                    session=db,
                    request=past_validation(field, payload),
                    api_key=key,
                    settings=settings,
                    now=utcnow(),
                )
        assert run_due_at(client)["outbox"]["sent"] == 2 * len(PAYLOADS)
        # The calls fall due: each reminder is built from the request as stored.
        assert run_due_at(client, FAR)["follow_ups"]["reminders_queued"] == 2 * len(PAYLOADS)
    received = smtp_server.sink.received
    assert len(received) == 4 * len(PAYLOADS)
    for arrival in received:
        if arrival.rcpt_tos == [CANDIDATE]:
            parsed = assert_one_recipient(arrival, REMINDER_HEADERS, CANDIDATE)
            assert "Don't leave a voicemail yet" in plain_text(parsed)
            continue
        recipient = arrival.rcpt_tos[0]
        assert recipient in ("charles@engines.example", "mary@engines.example")
        parsed = assert_one_recipient(arrival, DECLINE_HEADERS, recipient)
        assert [a.addr_spec for a in parsed["Reply-To"].addresses] == [CANDIDATE]
        assert "Could you reply briefly so I know this reached you?" in plain_text(parsed)
    heads = [arrival.content.split(b"\r\n\r\n", 1)[0] for arrival in received]
    for payload in PAYLOADS.values():
        # Never raw among the headers, where a reader would decode it (the body may say it).
        assert all(payload.encode() not in head for head in heads)


def test_real_names_reach_one_address_each_and_display_as_written(
    sqlite_url: str, tmp_path: Path, smtp_server
) -> None:
    token = new_api_key(sqlite_url)
    settings = make_settings(sqlite_url, tmp_path, **smtp_server.settings())
    names = {
        "jose@engines.example": "José Müller",
        "li@engines.example": "李雷",
        "jane@engines.example": "Smith, Jane",
    }
    body = decline_body(
        candidate={"name": "Lovelace, Ada", "email": CANDIDATE},
        contacts=[{"name": name, "email": address} for address, name in names.items()],
    )
    with running_app(settings) as client:
        response = client.post("/v1/declines", json=body, headers=auth(token))
        assert response.status_code == 201, response.text
        settled = wait_settled(client, token, response.json()["id"])
        assert settled["status"] == "sent"
        assert run_due_at(client, FAR)["follow_ups"]["reminders_queued"] == 3
    for arrival in smtp_server.sink.received:
        if arrival.rcpt_tos == [CANDIDATE]:
            parsed = assert_one_recipient(arrival, REMINDER_HEADERS, CANDIDATE)
            assert parsed["To"].addresses[0].display_name == "Lovelace, Ada"
            contact = str(parsed["Subject"]).removeprefix("Call ").split(" (")[0]
            assert contact in names.values()
            continue
        (recipient,) = arrival.rcpt_tos
        parsed = assert_one_recipient(arrival, DECLINE_HEADERS, recipient)
        assert parsed["To"].addresses[0].display_name == names[recipient]
        assert parsed["From"].addresses[0].display_name == "Lovelace, Ada"
        # The greeting uses the first name (a "Surname, Given" name gives its given name).
        greeting = {"José Müller": "Dear José,", "李雷": "Dear 李雷,", "Smith, Jane": "Dear Jane,"}
        assert plain_text(parsed).startswith(greeting[names[recipient]])
    assert len(smtp_server.sink.received) == 6


def test_a_message_that_does_not_read_back_is_refused_and_nothing_is_stored(
    database_url: str, tmp_path: Path
) -> None:
    token = new_api_key(database_url)
    settings = make_settings(database_url, tmp_path)
    request = past_validation("invitation_message_id", "<a>, <b@evil.example>")
    with running_app(settings) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        with pytest.raises(UnsafeHeader) as caught, session_scope(engine) as db:
            key = api_keys.authenticate(session=db, token=token)
            assert key is not None
            declines.accept(
                session=db, request=request, api_key=key, settings=settings, now=utcnow()
            )
        assert caught.value.status_code == 422  # a problem+json 422 at the edge, never a 500
        assert caught.value.detail.startswith("invitation_message_id: the In-Reply-To header")
        with session_scope(engine) as db:
            assert db.scalar(select(func.count()).select_from(Decline)) == 0
            assert db.scalar(select(func.count()).select_from(Message)) == 0


def test_the_dashboard_compose_form_refuses_encoded_word_text_too(
    dashboard: Dashboard,  # noqa: F811 - the fixture imported above
) -> None:
    form = {
        "csrf_token": dashboard.csrf,
        "action": "send",
        "company": "Analytical Engines Ltd",
        "job_title": "Principal Engineer",
        "reason": "none",
        "round": "first",
        "candidate_name": "Ada Lovelace",
        "candidate_email": CANDIDATE,
        "contacts-0-name": PAYLOADS["crlf_q"],
        "contacts-0-email": "charles@engines.example",
        "contacts-0-role": "recruiter",
    }
    response = dashboard.client.post("/dashboard/compose", data=form, follow_redirects=False)
    assert response.status_code == 422
    assert "RFC 2047 encoded word" in response.text
    with session_scope(dashboard.client.app.state.engine) as db:  # type: ignore[attr-defined]
        assert db.scalar(select(func.count()).select_from(Decline)) == 0
    assert list(Path(dashboard.settings.mail_capture_dir).glob("*.eml")) == []


def test_a_candidate_at_an_internationalised_domain_gets_the_call_reminders(
    sqlite_url: str, tmp_path: Path, smtp_server
) -> None:
    token = new_api_key(sqlite_url)
    settings = make_settings(sqlite_url, tmp_path, **smtp_server.settings())
    ascii_form = "ada@xn--bcher-kva.example"  # the domain as it goes on the wire
    body = decline_body(candidate={"name": "Ada Lovelace", "email": "ada@bücher.example"})
    with running_app(settings) as client:
        response = client.post("/v1/declines", json=body, headers=auth(token))
        assert response.status_code == 201, response.text
        assert wait_settled(client, token, response.json()["id"])["status"] == "sent"
        assert run_due_at(client, FAR)["follow_ups"]["reminders_queued"] == 2
    received = smtp_server.sink.received
    reminders = [arrival for arrival in received if arrival.rcpt_tos == [ascii_form]]
    assert len(reminders) == 2 and len(received) == 4
    for arrival in reminders:
        parsed = assert_one_recipient(arrival, REMINDER_HEADERS, ascii_form)
        assert "Don't leave a voicemail yet" in plain_text(parsed)
    for arrival in received:
        if arrival not in reminders:
            parsed = assert_one_recipient(arrival, DECLINE_HEADERS, arrival.rcpt_tos[0])
            assert [a.addr_spec for a in parsed["Reply-To"].addresses] == [ascii_form]
