"""Parse and classify one inbound email from its raw bytes: a human reply, an auto-reply or a
bounce. Pure functions: no I/O, no database, no clock.

Each recognizer lives in a module named for what it recognizes (`complaints`,
`delivery_reports`, `auto_replies`, `return_dates`, reading through `mime`); `_classify` asks
them in order and the first verdict wins, with the reason it gives. The order, and the rule
behind every doubt: a person's reply cancels a call the candidate may still need, so when in
doubt a message is a machine's (one extra call) rather than a person's (a lost one).

- Spam-complaint reports and provider notifications first (`complaints`): a complaint
  report is a multipart/report too, and an SES notification comes from a mail system.
- Delivery reports next: RFC 3464 `message/delivery-status` (anywhere in the message's own
  MIME tree, never inside an attached message: a person forwarding a bounce is a person),
  then bounces and notices in mail systems' own formats. Bounces often carry
  `Auto-Submitted` too (Postfix, Exchange), so they must come before the auto-reply checks.
  A delay warning is an auto_reply, never a bounce; so are success reports.
- Read receipts (RFC 8098) are auto_reply.
- Auto-reply headers: `Auto-Submitted` with any value but `no` (an empty value counts: the
  header exists only on automatic mail); `X-Autoreply` / `X-Autorespond` / `X-Autoresponder`
  with any value but no/false/off/0 (empty counts); `Precedence: auto_reply|bulk|junk|list`;
  Exchange's `X-MS-Exchange-Inbox-Rules-Loop` and `X-MS-Exchange-Generated-Message-Source:
  Mailbox Rules Agent`. `X-Auto-Response-Suppress` is NOT a sign: Outlook puts it on ordinary
  human mail.
- Out-of-office subjects count only in the shapes responders produce, after any reply
  prefixes and an "[External]" tag ("Automatic reply: ...", "[Auto-Reply] ...", "Out of
  Office", "Out of office until ...", Lotus "AUTO: ..." and "Jane Doe is out of the office
  (returning ...)"). "Re: Out of office plans for next year?" is a human reply.
- Out-of-office notes without any such sign: the writer's own text (quotes cut off)
  announces an absence, and says nothing that answers our email ("thanks for letting me
  know", "best of luck", ...).
- Return date: see `return_dates.extract_return_date`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import Message

from service.inbound.auto_replies import (
    auto_reply_body,
    auto_reply_header,
    auto_reply_subject,
    read_receipt,
)
from service.inbound.complaints import complaint_report, provider_notification
from service.inbound.delivery_reports import delivery_report, mail_system_notice
from service.inbound.mime import (
    MAX_SUBJECT_CHARS,
    body_text,
    from_address,
    message_from_bytes,
    message_ids,
    own_parts,
    raw_header,
    raw_headers,
    sent_date,
    subject_of,
)
from service.inbound.return_dates import extract_return_date
from service.inbound.verdict import Detected, Verdict

__all__ = [
    "MAX_SUBJECT_CHARS",
    "Detected",
    "InboundMail",
    "NotAnEmail",
    "extract_return_date",
    "message_ids",
    "parse",
]

_Day = date  # InboundMail has a field named `date`, which hides the type inside the class


class NotAnEmail(ValueError):
    """The bytes are no email at all (empty, or no header): refused, not kept."""


@dataclass(frozen=True)
class InboundMail:
    detected: Detected
    reason: str  # a few words on why
    message_id: str | None  # its own Message-ID, "<...>" form
    from_address: str | None  # casefolded addr-spec of From
    subject: str  # decoded, "" if none, at most MAX_SUBJECT_CHARS
    date: datetime | None  # in UTC (a header without a zone is read as UTC)
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]  # oldest first
    bounced_message_ids: tuple[str, ...]  # bounce or complaint: ids of the original
    bounced_recipients: tuple[str, ...]  # bounce or complaint: casefolded recipients
    return_date: _Day | None  # auto_reply only: the first day the person is back
    complaint: bool = False  # auto_reply only: a spam-complaint report (see complaints.py)


# --- entry point ----------------------------------------------------------------------------


def parse(raw: bytes) -> InboundMail:
    """Parse and classify one message. Raises NotAnEmail only when `raw` is empty or has no
    header at all; any other damage degrades to missing fields. Unbounded work: callers go
    through service.inbound.reader, which checks the caps first."""
    # A leading blank line would make the parser read every header as body text.
    raw = raw.lstrip(b"\r\n")
    if not raw.strip():
        raise NotAnEmail("empty message")
    msg = message_from_bytes(raw)
    if not list(msg.raw_items()):
        raise NotAnEmail("no header in message")

    parts = own_parts(msg)
    subject = subject_of(msg)
    sent = sent_date(msg)
    verdict = _classify(msg, parts, subject)
    return_date = None
    if verdict.detected is Detected.auto_reply and verdict.personal:
        text = f"{subject}\n\n{body_text(parts)}"
        return_date = extract_return_date(text, received=sent.date() if sent else None)
    return InboundMail(
        detected=verdict.detected,
        reason=verdict.reason,
        message_id=next(iter(message_ids(raw_header(msg, "Message-ID"))), None),
        from_address=from_address(msg),
        subject=subject,
        date=sent.astimezone(UTC) if sent else None,
        in_reply_to=message_ids(" ".join(raw_headers(msg, "In-Reply-To"))),
        references=message_ids(" ".join(raw_headers(msg, "References"))),
        bounced_message_ids=verdict.bounced_message_ids,
        bounced_recipients=verdict.bounced_recipients,
        return_date=return_date,
        complaint=verdict.complaint,
    )


def _classify(msg: Message, parts: list[Message], subject: str) -> Verdict:
    return (
        complaint_report(msg, parts, subject)
        or provider_notification(msg, parts)
        or delivery_report(msg, parts)
        or mail_system_notice(msg, parts, subject)
        or read_receipt(msg, parts)
        or auto_reply_header(msg)
        or auto_reply_subject(subject)
        or auto_reply_body(parts)
        or Verdict(Detected.reply, "human reply")
    )
