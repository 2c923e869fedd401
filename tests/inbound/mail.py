"""Build inbound messages the way mail clients and servers shape them, from what we sent."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from email.utils import format_datetime, make_msgid


def _original(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=email.policy.default)


def human_reply(
    raw: bytes,
    *,
    sender: str,
    text: str = "Got it, thank you for letting us know.",
    threaded: bool = True,
    date: datetime | None = None,
) -> bytes:
    """A reply from a mail client: quoted text, and threading headers unless told not to."""
    original = _original(raw)
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = sender
    msg["To"] = str(original["Reply-To"] or original["From"])
    msg["Subject"] = f"RE: {original['Subject']}"
    msg["Date"] = format_datetime(date or datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain="corp.example")
    if threaded:
        msg["In-Reply-To"] = original["Message-ID"]
        msg["References"] = original["Message-ID"]
    else:
        msg["Thread-Index"] = "AdmZy3Q0c2VuZGVyIHRocmVhZA=="  # Outlook threads by this alone
    msg.set_content(f"{text}\n\nFrom: {original['From']}\nSent: earlier\n\n> Dear ...\n")
    return msg.as_bytes()


def out_of_office(raw: bytes, *, sender: str, text: str) -> bytes:
    """An Exchange-style automatic reply."""
    original = _original(raw)
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = sender
    msg["To"] = str(original["Reply-To"] or original["From"])
    msg["Subject"] = f"Automatic reply: {original['Subject']}"
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain="corp.example")
    msg["In-Reply-To"] = original["Message-ID"]
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(text)
    return msg.as_bytes()


def bounce(raw: bytes, *, recipient: str, status: str = "5.1.1") -> bytes:
    """A Postfix-style RFC 3464 delivery status notification returning `raw`."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = "MAILER-DAEMON@mx.corp.example (Mail Delivery System)"
    msg["To"] = str(_original(raw)["From"])
    msg["Subject"] = "Undelivered Mail Returned to Sender"
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain="mx.corp.example")
    msg["Auto-Submitted"] = "auto-replied"
    msg.set_content(
        f"I'm sorry to have to inform you that your message could not be delivered.\n\n"
        f"<{recipient}>: host mx.corp.example said: 550 {status} User unknown\n"
    )
    msg.make_mixed()
    # Built as bytes and parsed back: the stdlib cannot serialise a delivery-status part
    # it did not parse itself.
    report = (
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.corp.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Original-Recipient: rfc822;{recipient}\r\n"
        "Action: failed\r\n"
        f"Status: {status}\r\n"
        f"Diagnostic-Code: smtp; 550 {status} User unknown\r\n"
    )
    msg.attach(email.message_from_string(report, policy=email.policy.SMTP))
    returned = EmailMessage(policy=email.policy.SMTP)
    returned["Content-Type"] = "text/rfc822-headers"
    header_block = raw.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace")
    returned.set_payload(header_block + "\r\n")
    msg.attach(returned)
    msg.replace_header("Content-Type", 'multipart/report; report-type="delivery-status"')
    msg.set_boundary("bounce-boundary-1")
    return msg.as_bytes()
