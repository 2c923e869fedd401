"""Mail built to stall or crash the parser, posted over HTTP: each one is answered 200,
kept byte for byte as `unparseable`, acts on nothing, and never holds up the API."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import col

from bench import hostile_mail
from service.core.db import session_scope
from service.models import InboundMessage
from tests.factories import auth, decline_body, make_settings, new_api_key, running_app
from tests.inbound.mail import human_reply
from tests.waiting import wait_settled

RFC822 = {"Content-Type": "message/rfc822"}


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """SQLite alone: these messages try the parser, which is the same on either backend."""
    return sqlite_url


def _post(client: TestClient, token: str, raw: bytes) -> dict:
    response = client.post("/v1/inbound", content=raw, headers=auth(token) | RFC822)
    assert response.status_code == 200, response.text
    return response.json()


def _kept(client: TestClient, inbound_id: str) -> InboundMessage:
    with session_scope(client.app.state.engine) as db:  # type: ignore[attr-defined]
        record = db.scalars(
            select(InboundMessage).where(col(InboundMessage.id) == inbound_id)
        ).one()
        db.expunge(record)
        return record


def _sent_raw(client: TestClient, token: str) -> tuple[dict, bytes]:
    created = client.post("/v1/declines", json=decline_body(), headers=auth(token)).json()
    decline = wait_settled(client, token, created["id"])
    message_id = decline["contacts"][0]["message"]["id"]
    raw = client.get(f"/v1/messages/{message_id}/raw", headers=auth(token)).content
    return decline, raw


def _threaded(reply_to: bytes, hostile: bytes) -> bytes:
    """The hostile message's headers behind a real reply's threading headers."""
    reply = human_reply(reply_to, sender="Charles <charles@engines.example>")
    threading_headers = b"".join(
        line + b"\r\n"
        for line in reply.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        if line.lower().startswith((b"in-reply-to:", b"references:"))
    )
    return threading_headers + hostile


HOSTILE = {
    "semicolon storm in Content-Type": (hostile_mail.semicolon_storm(), "Content-Type"),
    "folded Subject of 3 MB": (hostile_mail.folded_subject(3 * 1024 * 1024), "Subject"),
    "50,000 MIME parts": (hostile_mail.many_parts(50_000), "MIME parts"),
    "1,000 nested multiparts": (hostile_mail.nested_multiparts(1000), "nesting"),
    "5,000 nested multiparts": (hostile_mail.nested_multiparts(5000), "nesting"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_message_is_kept_raw_as_unparseable_and_changes_nothing(
    client: TestClient, token: str, name: str
) -> None:
    decline, ours = _sent_raw(client, token)
    body, cap = HOSTILE[name]
    raw = _threaded(ours, body)  # it even names our email in In-Reply-To
    result = _post(client, token, raw)
    assert result["classification"] == "unparseable"
    assert result["contact_id"] is None and result["decline_id"] is None
    assert cap in (result["reason"] or "")
    assert _kept(client, result["id"]).raw == raw
    after = client.get(f"/v1/declines/{decline['id']}", headers=auth(token)).json()
    assert after["contacts"][0]["replied_at"] is None
    assert after["contacts"][0]["follow_up"]["status"] == "scheduled"
    metrics = client.get("/metrics").text
    assert 'decline_inbound_messages_total{classification="unparseable"}' in metrics


def test_the_api_keeps_answering_while_a_large_message_is_read(
    client: TestClient, token: str
) -> None:
    raw = hostile_mail.html_unclosed_tags(20_000_000)
    answers: list[dict] = []
    posting = threading.Thread(target=lambda: answers.append(_post(client, token, raw)))
    posting.start()
    answered_meanwhile = 0
    while posting.is_alive():
        assert client.get("/healthz").status_code == 200
        answered_meanwhile += posting.is_alive()
    posting.join()
    assert answered_meanwhile > 0
    assert answers and answers[0]["classification"] in ("unmatched", "unparseable")


def test_a_message_over_the_time_limit_is_unparseable_and_the_next_one_is_read(
    client: TestClient, token: str, settings, sqlite_url: str, tmp_path: Path
) -> None:
    decline, ours = _sent_raw(client, token)
    slow = hostile_mail.parameter_heavy_parts(490, 1)  # within the caps, but far over 1 ms
    hurried = make_settings(sqlite_url, tmp_path, inbound_parse_timeout_seconds=0.001)
    with running_app(hurried) as impatient:
        result = _post(impatient, token, slow)
    assert result["classification"] == "unparseable"
    assert "longer than 0.001 s" in result["reason"]
    assert _kept(client, result["id"]).raw == slow

    reply = _post(client, token, human_reply(ours, sender="charles@engines.example"))
    assert reply["classification"] == "reply"
    assert reply["contact_id"] == decline["contacts"][0]["id"]


def test_the_dashboard_lists_unparseable_mail_and_shows_only_its_source(
    sqlite_url: str, tmp_path: Path
) -> None:
    from tests.dashboard.conftest import login, set_password

    set_password(sqlite_url)
    token = new_api_key(sqlite_url)
    with running_app(make_settings(sqlite_url, tmp_path)) as client:
        raw = hostile_mail.nested_multiparts(1000)
        result = _post(client, token, raw)
        login(client)
        today = client.get("/dashboard/").text
        assert "Unreadable mail" in today and 'class="chip unparseable"' in today
        view = client.get(f"/dashboard/inbound/{result['id']}")
        assert view.status_code == 200
        assert "could not be read as an email" in view.text


def test_the_dashboard_does_not_parse_again_what_the_reader_gave_up_on(
    sqlite_url: str, tmp_path: Path
) -> None:
    """Within the caps but over the time limit: the web process must not try it again."""
    from tests.dashboard.conftest import login, set_password

    set_password(sqlite_url)
    token = new_api_key(sqlite_url)
    hurried = make_settings(sqlite_url, tmp_path, inbound_parse_timeout_seconds=0.001)
    with running_app(hurried) as client:
        result = _post(client, token, hostile_mail.parameter_heavy_parts(490, 1))
        assert result["classification"] == "unparseable"
        login(client)
        view = client.get(f"/dashboard/inbound/{result['id']}")
        assert view.status_code == 200
        assert "could not be read as an email" in view.text
