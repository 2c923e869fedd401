"""The bounce reminder quotes the remote server's words; in its HTML part they are text, never
markup, whether they came from a 5xx during SMTP or from a delivery report sent back later."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from tests.factories import auth, decline_body, make_settings, new_api_key, run_due_at, running_app
from tests.waiting import wait_settled, wait_until

CANDIDATE = decline_body()["candidate"]["email"]
MARY = "mary@engines.example"
HOSTILE = '<script>alert("owned")</script><img src=x onerror=alert(1)>'
ESCAPED_SCRIPT = "&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt;"


def _recipient(raw: bytes) -> str:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    return str(message["To"].addresses[0].addr_spec)


def _parts(raw: bytes) -> tuple[str, str]:
    reminder = email.message_from_bytes(raw, policy=email.policy.default)
    assert "did not arrive" in str(reminder["Subject"])
    text = reminder.get_body(preferencelist=("plain",))
    html = reminder.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def _assert_quoted_as_text(raw: bytes) -> None:
    text, html = _parts(raw)
    assert HOSTILE in text  # plain text shows the server's words as they were written
    assert ESCAPED_SCRIPT in html  # the HTML part shows them too, as characters
    assert "<script" not in html.lower() and "<img" not in html.lower()


def _dsn(raw: bytes, *, recipient: str, diagnostic: str) -> bytes:
    """A Postfix-style RFC 3464 report returning `raw`, with the server's diagnostic text."""
    original = email.message_from_bytes(raw, policy=email.policy.default)
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = "MAILER-DAEMON@mx.corp.example (Mail Delivery System)"
    msg["To"] = str(original["From"])
    msg["Subject"] = "Undelivered Mail Returned to Sender"
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain="mx.corp.example")
    msg["Auto-Submitted"] = "auto-replied"
    msg.set_content(f"Your message could not be delivered.\n\n<{recipient}>: {diagnostic}\n")
    msg.make_mixed()
    report = (
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.corp.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        "Action: failed\r\n"
        "Status: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; {diagnostic}\r\n"
    )
    msg.attach(email.message_from_string(report, policy=email.policy.SMTP))
    returned = EmailMessage(policy=email.policy.SMTP)
    returned["Content-Type"] = "text/rfc822-headers"
    returned.set_payload(raw.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace") + "\r\n")
    msg.attach(returned)
    msg.replace_header("Content-Type", 'multipart/report; report-type="delivery-status"')
    return msg.as_bytes()


def test_a_refusal_during_smtp_is_quoted_as_text_in_the_reminder_html(
    database_url: str, tmp_path: Path, smtp_server_factory
) -> None:
    server = smtp_server_factory(rcpt_replies={MARY: f"550 5.1.1 {HOSTILE} no such user"})
    token = new_api_key(database_url)
    settings = make_settings(database_url, tmp_path, **server.settings())
    with running_app(settings) as client:
        made = client.post("/v1/declines", json=decline_body(), headers=auth(token)).json()
        settled = wait_settled(client, token, made["id"])
        mary = next(c for c in settled["contacts"] if c["email"] == MARY)
        assert mary["message"]["status"] == "failed" and HOSTILE in mary["message"]["last_error"]

        def reminders() -> list[bytes]:
            return [r.content for r in server.sink.received if r.rcpt_tos == [CANDIDATE]]

        wait_until(lambda: len(reminders()) == 1, "the bounce reminder to the candidate")
    _assert_quoted_as_text(reminders()[0])


def test_a_delivery_report_is_quoted_as_text_in_the_reminder_html(
    database_url: str, tmp_path: Path
) -> None:
    token = new_api_key(database_url)
    settings = make_settings(database_url, tmp_path)  # capture mode: .eml files
    with running_app(settings) as client:
        made = client.post("/v1/declines", json=decline_body(), headers=auth(token)).json()
        settled = wait_settled(client, token, made["id"])
        mary = next(c for c in settled["contacts"] if c["email"] == MARY)
        raw = client.get(f"/v1/messages/{mary['message']['id']}/raw", headers=auth(token))
        report = _dsn(raw.content, recipient=MARY, diagnostic=f"550 5.1.1 {HOSTILE}")
        result = client.post(
            "/v1/inbound",
            content=report,
            headers=auth(token) | {"Content-Type": "message/rfc822"},
        ).json()
        assert result["classification"] == "bounce"
        run_due_at(client)  # sends the reminder the bounce queued
    captured = [p.read_bytes() for p in settings.mail_capture_dir.glob("*.eml")]
    (reminder,) = [raw for raw in captured if _recipient(raw) == CANDIDATE]
    _assert_quoted_as_text(reminder)
