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
    bounced_message_ids: tuple[str, ...] = ()
    bounced_recipients: tuple[str, ...] = ()
    personal: bool = True  # False for delivery and read reports: nobody is away
