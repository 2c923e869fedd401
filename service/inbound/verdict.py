"""What each recognizer says about a message, and the three things it can be."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Detected(StrEnum):
    reply = "reply"  # a human answer
    auto_reply = "auto_reply"  # out-of-office / autoresponder / delay notice: never a reply
    bounce = "bounce"  # the message did not arrive


@dataclass(frozen=True)
class Verdict:
    detected: Detected
    reason: str
    # A bounce's or a complaint's: the original's ids, the recipients it failed or came from.
    bounced_message_ids: tuple[str, ...] = ()
    bounced_recipients: tuple[str, ...] = ()
    personal: bool = True  # False for delivery and read reports: nobody is away
    # An auto_reply saying the email arrived and the recipient's mail system marked it as
    # spam (a feedback loop's report): no reply, and the call falls due at once.
    complaint: bool = False
