"""Replies found over IMAP (a real Dovecot) act like any other: the poller hands each new
message to the one ingest function, and only what it used is marked read."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from tests.factories import auth, decline_body, make_settings, new_api_key, run_due_at, running_app
from tests.imap_server import ImapAccount
from tests.inbound.mail import bounce, human_reply, out_of_office
from tests.waiting import wait_settled

NEWSLETTER = (
    b"From: news@shop.example\r\nTo: ada@home.example\r\nSubject: Deals of the week\r\n"
    b"Message-ID: <deals.1@shop.example>\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\n\r\n"
    b"Everything must go.\r\n"
)


def test_replies_in_the_mailbox_are_found_classified_and_matched(
    database_url: str, tmp_path: Path, imap_server: ImapAccount
) -> None:
    settings = make_settings(database_url, tmp_path, **imap_server.settings_overrides())
    token = new_api_key(database_url)
    body = decline_body(
        contacts=decline_body()["contacts"]
        + [{"name": "Ida Rhodes", "email": "ida@engines.example", "role": "interviewer"}]
    )
    with running_app(settings) as client:
        made = client.post("/v1/declines", json=body, headers=auth(token)).json()
        decline = wait_settled(client, token, made["id"])
        raw = [
            client.get(f"/v1/messages/{c['message']['id']}/raw", headers=auth(token)).content
            for c in decline["contacts"]
        ]
        uids = {
            "reply": asyncio.run(
                imap_server.append(human_reply(raw[0], sender="charles@engines.example"))
            ),
            "away": asyncio.run(
                imap_server.append(
                    out_of_office(
                        raw[1],
                        sender="mary@engines.example",
                        text="I am away until 4 January 2027 with no access to email.",
                    )
                )
            ),
            "bounce": asyncio.run(
                imap_server.append(bounce(raw[2], recipient="ida@engines.example"))
            ),
            "newsletter": asyncio.run(imap_server.append(NEWSLETTER)),
        }

        first = run_due_at(client)
        assert first["imap"]["fetched"] == 4 and first["imap"]["used"] == 3
        assert first["follow_ups"]["reminders_queued"] == 0  # the bounce queued its own
        after = client.get(f"/v1/declines/{decline['id']}", headers=auth(token)).json()
        by_name = {c["name"]: c for c in after["contacts"]}
        assert by_name["Charles Babbage"]["replied_at"] is not None
        assert by_name["Charles Babbage"]["follow_up"]["status"] == "canceled"
        assert by_name["Mary Somerville"]["replied_at"] is None
        assert by_name["Mary Somerville"]["follow_up"]["due_at"].startswith("2027-01-05T09:00")
        assert by_name["Ida Rhodes"]["message"]["status"] == "bounced"
        assert by_name["Ida Rhodes"]["follow_up"]["status"] == "due"

        flags = asyncio.run(imap_server.flags())
        assert all("\\Seen" in flags[uids[k]] for k in ("reply", "away", "bounce"))
        assert "\\Seen" not in flags[uids["newsletter"]]  # not ours: left as it was

        assert run_due_at(client)["imap"]["fetched"] == 0  # nothing new


def nested_mime(depth: int) -> bytes:
    """A message of multiparts inside multiparts, `depth` deep: Python's email parser
    recurses once per level."""
    body = b"Nothing to see.\r\n"
    for level in range(depth):
        body = (
            b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (level, level)
            + body
            + b"\r\n--b%d--\r\n" % level
        )
    return (
        b"From: odd@elsewhere.example\r\nTo: ada@home.example\r\nSubject: nested\r\n"
        b"Message-ID: <nested.1@elsewhere.example>\r\nMIME-Version: 1.0\r\n" + body
    )


def test_a_message_that_breaks_the_parser_does_not_stop_reply_detection(
    database_url: str, tmp_path: Path, imap_server: ImapAccount
) -> None:
    settings = make_settings(database_url, tmp_path, **imap_server.settings_overrides())
    token = new_api_key(database_url)
    with running_app(settings) as client:
        made = client.post("/v1/declines", json=decline_body(), headers=auth(token)).json()
        decline = wait_settled(client, token, made["id"])
        raw = [
            client.get(f"/v1/messages/{c['message']['id']}/raw", headers=auth(token)).content
            for c in decline["contacts"]
        ]
        asyncio.run(imap_server.append(human_reply(raw[0], sender="charles@engines.example")))
        asyncio.run(imap_server.append(nested_mime(1500)))
        asyncio.run(imap_server.append(human_reply(raw[1], sender="mary@engines.example")))

        first = run_due_at(client)
        assert first["imap"]["fetched"] == 3  # all three in the one poll
        assert first["imap"]["used"] == 2  # unreadable mail is not ours to mark read
        flags = asyncio.run(imap_server.flags())
        assert ["\\Seen" in flags[uid] for uid in sorted(flags)] == [True, False, True]
        after = client.get(f"/v1/declines/{decline['id']}", headers=auth(token)).json()
        assert all(c["replied_at"] is not None for c in after["contacts"])
        assert all(c["follow_up"]["status"] == "canceled" for c in after["contacts"])
        for _ in range(3):  # whatever became of the odd one, later polls are not stuck
            assert run_due_at(client)["imap"]["fetched"] == 0


def test_an_unreachable_mailbox_does_not_stop_mail_or_calls(
    database_url: str, tmp_path: Path
) -> None:
    from tests.peers import free_port

    settings = make_settings(
        database_url,
        tmp_path,
        imap_host="127.0.0.1",
        imap_port=free_port(),  # nothing listens there
        imap_security="none",
        imap_username="nobody",
        imap_password="not-this-secret",
        imap_timeout_seconds=2,
    )
    token = new_api_key(database_url)
    with running_app(settings) as client:
        made = client.post("/v1/declines", json=decline_body(), headers=auth(token)).json()
        wait_settled(client, token, made["id"])
        result = run_due_at(client, datetime(2030, 1, 1, tzinfo=UTC))
    assert "error" in result["imap"] and "not-this-secret" not in result["imap"]["error"]
    assert result["follow_ups"]["reminders_queued"] == 2
