"""A decline's kept mail as an mbox: every message readable, byte-exact, in time order."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from service.exports.mbox import KeptMail, entry
from tests.factories import auth, new_api_key
from tests.inbound.mail import human_reply
from tests.inbound.posting import post_inbound, sent_decline


def _hostile_reply(raw: bytes) -> bytes:
    reply = human_reply(raw, sender="Charles <charles@engines.example>")
    hostile = b"\r\n\r\nFrom evil@example.com Mon Jan 1 00:00:00 2024\r\n"
    return reply.replace(b"\r\n\r\n", hostile, 1)


def test_export_holds_sent_and_received_mail_byte_exact(
    client: TestClient, token: str, tmp_path: Path
) -> None:
    decline, raws = sent_decline(client, token)
    inbound = _hostile_reply(raws[0])
    post_inbound(client, token, inbound)
    response = client.get(f"/v1/declines/{decline['id']}/export.mbox", headers=auth(token))
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    path = tmp_path / "export.mbox"
    path.write_bytes(response.content)
    messages = list(mailbox.mbox(path))
    assert len(messages) == len(raws) + 1
    sent = [
        client.get(f"/v1/messages/{c['message']['id']}/raw", headers=auth(token)).content
        for c in decline["contacts"]
    ]
    # mailbox.mbox undoes only mboxo quoting, and normalises line endings: compare with the
    # file's own bytes instead, where the single added `>` is the only change.
    for raw in sent:
        assert raw in response.content
    assert b">From evil@example.com" in response.content
    assert inbound.replace(b"\r\nFrom evil", b"\r\n>From evil") in response.content
    assert messages[-1]["From"] == "Charles <charles@engines.example>"


def test_another_keys_decline_is_not_found(
    client: TestClient, token: str, database_url: str
) -> None:
    decline, _ = sent_decline(client, token)
    other = new_api_key(database_url, name="other")
    response = client.get(f"/v1/declines/{decline['id']}/export.mbox", headers=auth(other))
    assert response.status_code == 404


def test_entries_quote_from_lines_and_start_with_asctime_envelopes() -> None:
    raw = b"Subject: x\r\nMessage-ID: <a@b>\r\n\r\nFrom me\r\n>From you\r\nfine\r\n"
    at = datetime(2026, 11, 3, 14, 5, 9, tzinfo=UTC)
    out = entry(KeptMail("bob @example.org", at, raw)) + entry(KeptMail("", at, raw))
    assert out.split(b"\n")[0] == b"From bob@example.org Tue Nov  3 14:05:09 2026"
    assert b"\r\n>From me\r\n>>From you\r\nfine\r\n\nFrom MAILER-DAEMON " in out
