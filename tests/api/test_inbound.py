"""Inbound mail over HTTP: replies close calls, out-of-office moves them, bounces make them due."""

from __future__ import annotations

import email
import email.policy
import re
import socket
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from service.core.config import Settings
from tests.factories import accept_quietly, auth, new_api_key, run_due_at
from tests.inbound.mail import bounce, human_reply, out_of_office
from tests.inbound.posting import RFC822, post_inbound, sent_decline

FAR = datetime(2030, 1, 1, tzinfo=UTC)


def _decline(client: TestClient, token: str, decline_id: str) -> dict:
    return client.get(f"/v1/declines/{decline_id}", headers=auth(token)).json()


def test_a_threaded_reply_cancels_that_contacts_call_only(client: TestClient, token: str) -> None:
    decline, raws = sent_decline(client, token)
    result = post_inbound(
        client, token, human_reply(raws[0], sender="Charles <charles@engines.example>")
    )
    charles, mary = decline["contacts"]
    assert result["classification"] == "reply" and result["contact_id"] == charles["id"]
    assert result["message_id"] == charles["message"]["id"]
    after = _decline(client, token, decline["id"])["contacts"]
    assert after[0]["replied_at"] is not None and after[0]["follow_up"]["status"] == "canceled"
    assert after[1]["replied_at"] is None and after[1]["follow_up"]["status"] == "scheduled"


def test_a_reply_without_threading_headers_is_matched_by_its_sender(
    client: TestClient, token: str
) -> None:
    decline, raws = sent_decline(client, token)
    raw = human_reply(raws[1], sender="Mary Somerville <Mary@ENGINES.example>", threaded=False)
    result = post_inbound(client, token, raw)
    assert result["classification"] == "reply"
    assert result["contact_id"] == decline["contacts"][1]["id"]


def test_mail_written_before_our_email_went_out_is_not_a_reply(
    client: TestClient, token: str
) -> None:
    decline, raws = sent_decline(client, token)
    earlier = datetime.now(UTC) - timedelta(days=3)  # e.g. the invitation itself
    raw = human_reply(raws[0], sender="charles@engines.example", threaded=False, date=earlier)
    assert post_inbound(client, token, raw)["classification"] == "unmatched"
    assert _decline(client, token, decline["id"])["contacts"][0]["replied_at"] is None


def test_an_out_of_office_is_not_a_reply_and_moves_the_call_after_the_return(
    client: TestClient, token: str
) -> None:
    decline, raws = sent_decline(client, token)
    back = date.today() + timedelta(days=30)
    while back.weekday() >= 5:
        back += timedelta(days=1)
    text = f"I am out of the office and will be back on {back:%A, %d %B %Y}. Limited access."
    result = post_inbound(
        client, token, out_of_office(raws[0], sender="charles@engines.example", text=text)
    )
    assert result["classification"] == "auto_reply"
    contact = _decline(client, token, decline["id"])["contacts"][0]
    assert contact["replied_at"] is None and contact["follow_up"]["status"] == "scheduled"
    due = datetime.fromisoformat(contact["follow_up"]["due_at"])
    assert due.astimezone(ZoneInfo("UTC")) == datetime.combine(back, datetime.min.time()).replace(
        hour=9, tzinfo=UTC
    )
    assert contact["follow_up"]["away_until"] == contact["follow_up"]["due_at"]


def test_a_bounce_makes_the_call_due_at_once_with_a_reminder_saying_so(
    client: TestClient, token: str, settings
) -> None:
    decline, raws = sent_decline(client, token)
    result = post_inbound(client, token, bounce(raws[1], recipient="mary@engines.example"))
    mary = decline["contacts"][1]
    assert result["classification"] == "bounce" and result["contact_id"] == mary["id"]
    after = _decline(client, token, decline["id"])
    assert after["status"] == "partly_delivered"  # Charles got his
    assert after["contacts"][1]["message"]["status"] == "bounced"
    assert "5.1.1" in after["contacts"][1]["message"]["last_error"]
    assert after["contacts"][1]["follow_up"]["status"] == "due"
    assert after["contacts"][0]["follow_up"]["status"] == "scheduled"
    run_due_at(client)  # the reminder was queued with the bounce; this only sends it
    reminders = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in settings.mail_capture_dir.glob("*.eml")
    ]
    (reminder,) = [r for r in reminders if "ada@home.example" in str(r["To"])]
    assert str(reminder["Subject"]).strip() == (
        "Call Mary Somerville (Analytical Engines Ltd): your email did not arrive"
    )
    text = reminder.get_body(preferencelist=("plain",)).get_content()
    assert "did not arrive" in text and "my message didn't reach you" in text
    # A second report of the same bounce changes nothing more.
    post_inbound(client, token, bounce(raws[1], recipient="mary@engines.example"))
    assert run_due_at(client, FAR)["follow_ups"]["reminders_queued"] == 1  # Charles's only


def test_unmatched_mail_is_kept_and_changes_nothing(
    client: TestClient, token: str, database_url: str
) -> None:
    decline, raws = sent_decline(client, token)
    stranger = human_reply(raws[0], sender="someone@elsewhere.example", threaded=False)
    assert post_inbound(client, token, stranger)["classification"] == "unmatched"
    # Another API key's traffic cannot touch this decline, even with the right headers.
    other = new_api_key(database_url, name="other tenant")
    threaded = human_reply(raws[0], sender="charles@engines.example")
    assert post_inbound(client, other, threaded)["classification"] == "unmatched"
    contacts = _decline(client, token, decline["id"])["contacts"]
    assert [c["follow_up"]["status"] for c in contacts] == ["scheduled", "scheduled"]


def test_inbound_refuses_what_is_not_a_message(client: TestClient, token: str) -> None:
    as_json = client.post("/v1/inbound", json={"raw": "x"}, headers=auth(token))
    assert as_json.status_code == 415
    assert as_json.headers["content-type"].startswith("application/problem+json")
    empty = client.post("/v1/inbound", content=b"", headers=auth(token) | RFC822)
    assert empty.status_code == 422
    assert (
        client.post("/v1/inbound", content=b"Subject: x\r\n\r\nhi", headers=RFC822).status_code
        == 401
    )


def test_a_reply_with_a_large_attachment_is_taken_in(
    client: TestClient, token: str, database_url: str, tmp_path
) -> None:
    from email import message_from_bytes

    from tests.factories import make_settings, running_app

    decline, raws = sent_decline(client, token)
    reply = message_from_bytes(
        human_reply(raws[0], sender="charles@engines.example"), policy=email.policy.SMTP
    )
    reply.make_mixed()  # type: ignore[attr-defined]
    reply.add_attachment(b"\x89PNG" + bytes(3 * 1024 * 1024), maintype="image", subtype="png")  # type: ignore[attr-defined]
    big = reply.as_bytes()
    assert len(big) > 3 * 1024 * 1024  # over the 1 MiB limit of the JSON routes
    assert post_inbound(client, token, big)["classification"] == "reply"

    small = make_settings(database_url, tmp_path, max_inbound_bytes=1024 * 1024)
    with running_app(small) as limited:
        refused = limited.post("/v1/inbound", content=big, headers=auth(token) | RFC822)
    assert refused.status_code == 413
    assert refused.headers["content-type"].startswith("application/problem+json")


def test_a_bounce_for_an_email_we_still_hold_as_queued_stops_it_and_makes_the_call_due(
    client: TestClient, token: str, settings: Settings
) -> None:
    """An attempt the server took without our hearing its answer is retried later; if a
    bounce for it comes first, retrying is pointless: the address does not take mail."""
    (decline_id,) = accept_quietly(client, token, settings, now=FAR)  # both emails wait
    decline = _decline(client, token, decline_id)
    mary = decline["contacts"][1]
    raw = client.get(f"/v1/messages/{mary['message']['id']}/raw", headers=auth(token)).content
    result = post_inbound(client, token, bounce(raw, recipient="mary@engines.example"))
    assert result["classification"] == "bounce" and result["contact_id"] == mary["id"]
    after = _decline(client, token, decline_id)["contacts"]
    assert after[1]["message"]["status"] == "bounced" and after[1]["follow_up"]["status"] == "due"
    assert after[0]["message"]["status"] == "queued"

    run_due_at(client)  # now: only the reminder is due
    run_due_at(client, FAR + timedelta(hours=1))  # Charles's email goes; Mary's does not
    kept = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in settings.mail_capture_dir.glob("*.eml")
    ]
    sent_to = [str(m["To"]) for m in kept]
    assert sum("charles@engines.example" in to for to in sent_to) == 1
    assert not any("mary@engines.example" in to for to in sent_to)
    subjects = sorted(" ".join(str(m["Subject"]).split()) for m in kept if "ada@" in str(m["To"]))
    assert subjects == [
        "Call Charles Babbage (Analytical Engines Ltd): make sure your email arrived",
        "Call Mary Somerville (Analytical Engines Ltd): your email did not arrive",
    ]


def _unauthenticated_head(length: int) -> bytes:
    return (
        b"POST /v1/inbound HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: message/rfc822\r\nContent-Length: %d\r\n\r\n" % length
    )


def _answer(sock) -> bytes:
    """One HTTP response, headers and body (the server closes or says its length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    match = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    while match and len(body) < int(match.group(1)):
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def test_inbound_checks_the_key_before_reading_the_body(settings: Settings) -> None:
    """A stranger's upload is refused from its headers alone: 401 while the body it
    announces has not been sent at all, and 401 (not 413) for one over the limit."""
    from tests.browser import serve

    with serve(settings, scheduler=False) as server:
        port = int(server.url.rsplit(":", 1)[1])
        for length in (20 * 1024 * 1024, settings.max_inbound_bytes + 1):
            with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
                sock.sendall(_unauthenticated_head(length))  # and no body
                answer = _answer(sock)
            assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
            assert b"application/problem+json" in answer
            assert b'"status":401' in answer.replace(b" ", b"")


def test_inbound_answers_401_before_415_and_413(
    client: TestClient, token: str, settings: Settings
) -> None:
    as_json = client.post("/v1/inbound", json={"raw": "x"})
    assert as_json.status_code == 401
    assert as_json.headers["content-type"].startswith("application/problem+json")
    too_big = b"Subject: x\r\n\r\n" + b"x" * settings.max_inbound_bytes
    assert client.post("/v1/inbound", content=too_big, headers=RFC822).status_code == 401
    refused = client.post("/v1/inbound", content=too_big, headers=auth(token) | RFC822)
    assert refused.status_code == 413
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "byte limit" in refused.json()["detail"]
