"""POST /v1/declines and friends, end to end over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import email
import email.policy

import pytest
from fastapi.testclient import TestClient

from tests.factories import auth, decline_body
from tests.waiting import wait_settled


def test_accept_sends_one_kept_message_per_contact(
    client: TestClient, token: str, settings
) -> None:
    created = client.post("/v1/declines", json=decline_body(), headers=auth(token))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["delivery"] == "capture"
    assert [c["email"] for c in body["contacts"]] == [
        "charles@engines.example",
        "mary@engines.example",
    ]
    for contact in body["contacts"]:
        assert contact["message"]["message_id"].endswith("@mailer.example>")
        follow_up = {k: contact["follow_up"][k] for k in ("status", "due_at", "call_attempts")}
        assert follow_up == {"status": "pending", "due_at": None, "call_attempts": 0}

    settled = wait_settled(client, token, body["id"])
    assert settled["status"] == "sent"
    captured = sorted(settings.mail_capture_dir.glob("*.eml"))
    assert len(captured) == 2
    on_disk = {p.read_bytes() for p in captured}
    for contact in settled["contacts"]:
        assert contact["message"]["status"] == "sent"
        raw = client.get(f"/v1/messages/{contact['message']['id']}/raw", headers=auth(token))
        assert raw.status_code == 200
        assert raw.headers["content-type"].startswith("message/rfc822")
        assert raw.content in on_disk
        parsed = email.message_from_bytes(raw.content, policy=email.policy.default)
        assert parsed["To"].addresses[0].addr_spec == contact["email"]
        assert len(parsed["To"].addresses) == 1
        assert parsed["Cc"] is None and parsed["Bcc"] is None
        assert parsed["Message-ID"] == contact["message"]["message_id"]
        assert parsed["From"].addresses[0].display_name == "Ada Lovelace"
        assert parsed["From"].addresses[0].addr_spec == "declines@mailer.example"
        assert parsed["Reply-To"].addresses[0].addr_spec == "ada@home.example"
        assert "Principal Engineer" in parsed["Subject"] and "REQ-1843" in parsed["Subject"]


def test_primary_contact_message_is_threaded_under_the_invitation(
    client: TestClient, token: str
) -> None:
    body = decline_body(invitation_message_id="<invite-42@engines.example>")
    created = client.post("/v1/declines", json=body, headers=auth(token)).json()
    first, second = created["contacts"]
    raw1 = client.get(f"/v1/messages/{first['message']['id']}/raw", headers=auth(token)).content
    raw2 = client.get(f"/v1/messages/{second['message']['id']}/raw", headers=auth(token)).content
    primary = email.message_from_bytes(raw1, policy=email.policy.default)
    other = email.message_from_bytes(raw2, policy=email.policy.default)
    assert primary["In-Reply-To"] == "<invite-42@engines.example>"
    assert "<invite-42@engines.example>" in primary["References"]
    assert primary["Subject"].startswith("Re: ")
    assert other["In-Reply-To"] is None and not other["Subject"].startswith("Re: ")


def test_get_list_filter_and_paginate(client: TestClient, token: str) -> None:
    ids = []
    for company in ["Acme Rockets", "Globex", "Acme Anvils"]:
        made = client.post("/v1/declines", json=decline_body(company=company), headers=auth(token))
        ids.append(made.json()["id"])
    acme = client.get("/v1/declines", params={"company": "acme"}, headers=auth(token)).json()
    assert {d["company"] for d in acme["items"]} == {"Acme Rockets", "Acme Anvils"}

    by_contact = client.get(
        "/v1/declines", params={"contact_email": "MARY@engines.example"}, headers=auth(token)
    ).json()
    assert len(by_contact["items"]) == 3

    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/declines", params=params, headers=auth(token)).json()
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 3
    assert seen == list(reversed(ids))  # newest first

    for decline_id in ids:
        wait_settled(client, token, decline_id)
    sent = client.get("/v1/declines", params={"status": "sent"}, headers=auth(token)).json()
    assert len(sent["items"]) == 3
    queued = client.get("/v1/declines", params={"status": "queued"}, headers=auth(token)).json()
    assert queued["items"] == []


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        # Well-formed, but hand-made: a time without its offset, and not a pair at all.
        base64.urlsafe_b64encode(b'["2030-01-01T00:00:00", "x"]').decode(),
        base64.urlsafe_b64encode(b'{"a": 1}').decode(),
    ],
)
def test_bad_cursor_is_a_clear_422(client: TestClient, token: str, cursor: str) -> None:
    response = client.get("/v1/declines", params={"cursor": cursor}, headers=auth(token))
    assert response.status_code == 422
    assert "cursor" in response.json()["detail"]


def test_preview_renders_without_storing_or_sending(
    client: TestClient, token: str, settings
) -> None:
    body = decline_body(
        reason="accepted_offer",
        referral={
            "name": "Grace Hopper",
            "email": "grace@personal.example",
            "permission_confirmed": True,
        },
        future_interest={"functional_area": "compilers"},
    )
    response = client.post("/v1/declines/preview", json=body, headers=auth(token))
    assert response.status_code == 200, response.text
    preview = response.json()
    assert len(preview["messages"]) == 2
    first = preview["messages"][0]
    assert "Charles" in first["text"] and "Grace Hopper" in first["text"]
    assert "grace@personal.example" in first["html"]
    assert "compilers" in first["text"]
    assert "Charles" in first["call_script"]
    # The voicemail the last attempt's reminder would carry: the whole decline, briefly.
    assert "call me back on" in first["voicemail_script"]
    assert "Grace Hopper" in first["voicemail_script"]
    assert client.get("/v1/declines", headers=auth(token)).json()["items"] == []
    assert not list(settings.mail_capture_dir.glob("*.eml"))


def test_warnings_for_late_reply_and_interview_soon(client: TestClient, token: str) -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    body = decline_body(
        invitation_received_at=(now - timedelta(days=5)).isoformat(),
        interview_at=(now + timedelta(hours=20)).isoformat(),
    )
    warnings = client.post("/v1/declines", json=body, headers=auth(token)).json()["warnings"]
    assert any(w.startswith("late_reply") for w in warnings)
    assert any(w.startswith("interview_soon") for w in warnings)
