"""Mail about our messages lands in two mailboxes when MAIL_FROM is not the candidate's
address: bounces and out-of-office notes go to MAIL_FROM's (the envelope sender), human
replies to the candidate's (Reply-To). Both are polled, on a real Dovecot."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from service.core.config import Settings
from tests.factories import auth, decline_body, make_settings, new_api_key, run_due_at, running_app
from tests.imap_server import Dovecot, ImapAccount
from tests.inbound.mail import bounce, human_reply
from tests.waiting import wait_settled


def _two_mailboxes(
    database_url: str, tmp_path: Path, dovecot: Dovecot, **envelope_extra: Any
) -> tuple[Settings, ImapAccount, ImapAccount]:
    """The candidate's mailbox as the main one, MAIL_FROM's as one of DECLINE_IMAP_ACCOUNTS
    on the same server."""
    candidate, envelope = dovecot.add_user(), dovecot.add_user()
    also = {"username": envelope.user, "password": envelope.password, **envelope_extra}
    settings = make_settings(
        database_url, tmp_path, **candidate.settings_overrides(), imap_accounts=[also]
    )
    return settings, candidate, envelope


def _sent(client: Any, token: str) -> tuple[dict[str, Any], list[bytes]]:
    made = client.post("/v1/declines", json=decline_body(), headers=auth(token)).json()
    decline = wait_settled(client, token, made["id"])
    raw = [
        client.get(f"/v1/messages/{c['message']['id']}/raw", headers=auth(token)).content
        for c in decline["contacts"]
    ]
    return decline, raw


def test_bounces_in_the_sender_mailbox_and_replies_in_the_candidates_are_both_read(
    database_url: str, tmp_path: Path, dovecot: Dovecot
) -> None:
    settings, candidate, envelope = _two_mailboxes(database_url, tmp_path, dovecot)
    token = new_api_key(database_url)
    with running_app(settings) as client:
        decline, raw = _sent(client, token)
        asyncio.run(candidate.append(human_reply(raw[0], sender="charles@engines.example")))
        bounced = asyncio.run(envelope.append(bounce(raw[1], recipient="mary@engines.example")))

        summary = run_due_at(client)["imap"]
        assert summary["fetched"] == 2 and summary["used"] == 2, summary
        after = client.get(f"/v1/declines/{decline['id']}", headers=auth(token)).json()
        by_name = {c["name"]: c for c in after["contacts"]}
        assert by_name["Charles Babbage"]["replied_at"] is not None
        assert by_name["Charles Babbage"]["follow_up"]["status"] == "canceled"
        # The bounce was only ever in the sender's mailbox: without it, Mary stayed `sent`.
        assert by_name["Mary Somerville"]["message"]["status"] == "bounced"
        assert by_name["Mary Somerville"]["follow_up"]["status"] == "due"
        assert "\\Seen" in asyncio.run(envelope.flags())[bounced]

        assert run_due_at(client)["imap"]["fetched"] == 0  # each mailbox keeps its own place


def test_a_mailbox_that_refuses_the_login_does_not_keep_the_other_from_being_read(
    database_url: str, tmp_path: Path, dovecot: Dovecot
) -> None:
    settings, candidate, envelope = _two_mailboxes(
        database_url, tmp_path, dovecot, password="wrong"
    )
    token = new_api_key(database_url)
    with running_app(settings) as client:
        decline, raw = _sent(client, token)
        asyncio.run(candidate.append(human_reply(raw[0], sender="charles@engines.example")))

        summary = run_due_at(client)["imap"]
        assert summary["used"] == 1
        assert f"login as {envelope.user!r} refused" in summary["error"]
        assert "wrong" not in summary["error"]
        after = client.get(f"/v1/declines/{decline['id']}", headers=auth(token)).json()
        assert after["contacts"][0]["replied_at"] is not None


def test_more_mailboxes_are_read_from_the_environment_as_json(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DECLINE_IMAP_HOST", "imap.home.example")
    monkeypatch.setenv("DECLINE_IMAP_PORT", "1993")
    monkeypatch.setenv("DECLINE_IMAP_USERNAME", "ada@home.example")
    monkeypatch.setenv("DECLINE_IMAP_PASSWORD", "one")
    monkeypatch.setenv(
        "DECLINE_IMAP_ACCOUNTS",
        json.dumps(
            [
                {"username": "jobs@home.example", "password": "two"},
                {"username": "b@ses.example", "password": "3", "host": "mx.ses.example"},
            ]
        ),
    )
    main, same_server, elsewhere = Settings().mailboxes()
    assert (main.imap_username, main.resolved_imap_port()) == ("ada@home.example", 1993)
    assert (same_server.imap_host, same_server.resolved_imap_port()) == ("imap.home.example", 1993)
    assert (same_server.imap_username, same_server.imap_password) == ("jobs@home.example", "two")
    assert (elsewhere.imap_host, elsewhere.resolved_imap_port()) == ("mx.ses.example", 993)

    monkeypatch.delenv("DECLINE_IMAP_HOST")
    with pytest.raises(ValueError, match="'jobs@home.example' needs a \"host\""):
        Settings()
