"""Kept mail as an mboxrd archive: every message byte-exact, only `From ` lines quoted."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.models import Decline, InboundMessage, Message

# mboxrd: a body line of `From ` behind any number of `>` gains one more `>`, so a reader
# that strips one `>` from each such line gets the exact bytes back.
_FROM_LINE = re.compile(rb"^(>*From )", re.MULTILINE)


@dataclass(frozen=True)
class KeptMail:
    sender: str
    at: datetime
    raw: bytes


def quote_from_lines(raw: bytes) -> bytes:
    return _FROM_LINE.sub(rb">\1", raw)


def separator(sender: str, at: datetime) -> bytes:
    """The `From sender asctime` line that starts each message in an mbox."""
    address = "".join(sender.split()) or "MAILER-DAEMON"
    stamp = time.asctime(at.astimezone(UTC).timetuple())  # "Tue Nov  3 14:05:09 2026"
    return f"From {address} {stamp}\n".encode("ascii", "replace")


def entry(mail: KeptMail) -> bytes:
    """One message: separator, quoted bytes with line endings left alone, a blank line."""
    body = quote_from_lines(mail.raw)
    if not body.endswith(b"\n"):
        body += b"\n"
    return separator(mail.sender, mail.at) + body + b"\n"


def kept_mail(session: Session, decline_ids: Sequence[str]) -> list[KeptMail]:
    """Outbound copies and inbound mail matched to those declines, oldest first."""
    if not decline_ids:
        return []
    ids = list(decline_ids)
    mails: list[KeptMail] = []
    for message in session.scalars(select(Message).where(col(Message.decline_id).in_(ids))):
        mails.append(
            KeptMail(message.envelope_from, message.sent_at or message.created_at, message.raw)
        )
    inbound = select(InboundMessage).where(
        col(InboundMessage.decline_id).in_(ids), col(InboundMessage.raw).is_not(None)
    )
    for received in session.scalars(inbound):
        sender = received.from_address or "MAILER-DAEMON"
        mails.append(KeptMail(sender, received.received_at, received.raw or b""))
    mails.sort(key=lambda mail: mail.at)
    return mails


def iter_mbox(session: Session, decline_ids: Sequence[str]) -> Iterator[bytes]:
    """The archive in chunks, one message each, so large exports need not sit in memory twice."""
    for mail in kept_mail(session, decline_ids):
        yield entry(mail)


def mbox_of(session: Session, decline_ids: Sequence[str]) -> bytes:
    """Every kept message of those declines, in time order, as one mboxrd file."""
    return b"".join(iter_mbox(session, decline_ids))


def declines_since(session: Session, since: datetime) -> list[str]:
    """Ids of every decline created at or after `since`, any key's (the operator's export)."""
    query = select(col(Decline.id)).where(col(Decline.created_at) >= since)
    return list(session.scalars(query.order_by(col(Decline.created_at))))
