"""Mail from the candidate's own address is never a contact's reply: a reply-all the candidate
sent in the thread, or their Cc copy landing in the polled inbox, leaves the call in place."""

from __future__ import annotations

import asyncio
import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import auth, decline_body, make_settings, new_api_key, run_due_at, running_app
from tests.imap_server import ImapAccount
from tests.inbound.mail import human_reply
from tests.waiting import wait_settled

RFC822 = {"Content-Type": "message/rfc822"}
CANDIDATE = decline_body()["candidate"]["email"]  # ada@home.example


def _sent(client: TestClient, token: str) -> tuple[dict[str, Any], list[bytes]]:
    made = client.post("/v1/declines", json=decline_body(), headers=auth(token)).json()
    decline = wait_settled(client, token, made["id"])
    raws = [
        client.get(f"/v1/messages/{c['message']['id']}/raw", headers=auth(token)).content
        for c in decline["contacts"]
    ]
    return decline, raws


def _post(client: TestClient, token: str, raw: bytes) -> dict[str, Any]:
    response = client.post("/v1/inbound", content=raw, headers=auth(token) | RFC822)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _contacts(client: TestClient, token: str, decline_id: str) -> list[dict[str, Any]]:
    body = client.get(f"/v1/declines/{decline_id}", headers=auth(token)).json()
    return list(body["contacts"])


def _cc_copy(raw: bytes, *, sender: str) -> bytes:
    """The candidate's own note to a contact in the thread, with themselves on Cc: the copy
    that lands in their inbox carries References to our email, and no In-Reply-To."""
    original = email.message_from_bytes(raw, policy=email.policy.default)
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = sender
    msg["To"] = str(original["To"])
    msg["Cc"] = sender
    msg["Subject"] = f"Re: {original['Subject']}"
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain="home.example")
    msg["References"] = str(original["Message-ID"])
    msg.set_content("Adding my personal number in case it is easier to call: +44 20 7946 0958.")
    return msg.as_bytes()


def _still_waiting(contact: dict[str, Any]) -> None:
    assert contact["replied_at"] is None
    assert contact["follow_up"]["status"] == "scheduled"


def test_the_candidates_reply_all_in_the_thread_is_not_the_contacts_reply(
    client: TestClient, token: str
) -> None:
    decline, raws = _sent(client, token)
    reply_all = human_reply(
        raws[0], sender=f"Ada Lovelace <{CANDIDATE}>", text="Copying Mary, who I also met."
    )

    result = _post(client, token, reply_all)

    assert result["classification"] == "unmatched" and result["contact_id"] is None
    charles, mary = _contacts(client, token, decline["id"])
    _still_waiting(charles)
    _still_waiting(mary)
    # Charles's own answer in the same thread still counts.
    answer = _post(client, token, human_reply(raws[0], sender="charles@engines.example"))
    assert answer["classification"] == "reply"
    assert _contacts(client, token, decline["id"])[0]["follow_up"]["status"] == "canceled"


def test_the_candidates_cc_copy_is_not_a_reply_whatever_the_case_of_the_address(
    client: TestClient, token: str
) -> None:
    decline, raws = _sent(client, token)

    result = _post(client, token, _cc_copy(raws[1], sender=f"Ada <{CANDIDATE.upper()}>"))

    assert result["classification"] == "unmatched"
    _still_waiting(_contacts(client, token, decline["id"])[1])


def test_the_candidates_mail_in_the_polled_mailbox_is_left_unread_and_changes_nothing(
    database_url: str, tmp_path: Path, imap_server: ImapAccount
) -> None:
    settings = make_settings(database_url, tmp_path, **imap_server.settings_overrides())
    token = new_api_key(database_url)
    with running_app(settings) as client:
        decline, raws = _sent(client, token)
        reply_all = asyncio.run(
            imap_server.append(human_reply(raws[0], sender=f"Ada Lovelace <{CANDIDATE}>"))
        )
        cc_copy = asyncio.run(imap_server.append(_cc_copy(raws[1], sender=CANDIDATE)))

        summary = run_due_at(client)

        assert summary["imap"]["fetched"] == 2 and summary["imap"]["used"] == 0
        for contact in _contacts(client, token, decline["id"]):
            _still_waiting(contact)
        flags = asyncio.run(imap_server.flags())
        assert "\\Seen" not in flags[reply_all] and "\\Seen" not in flags[cc_copy]
