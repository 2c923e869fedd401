"""Compose + verify: our header block over the stdlib's MIME body, read back before use."""

from __future__ import annotations

import email.policy
from dataclasses import dataclass
from email.message import EmailMessage

from service.mail.header_check import check
from service.mail.header_writer import Fields, display, header_block


@dataclass(frozen=True)
class Assembled:
    raw: bytes  # the exact bytes to send and keep
    headers: dict[str, str]  # our fields as people read them, in wire order


def mime_body(text: str, html: str) -> EmailMessage:
    """Text and HTML alternatives with only their MIME headers; callers may attach more."""
    # The SMTP policy gives CRLF line endings. No caller text goes into these headers: the
    # stdlib only writes MIME-Version and Content-* values of its own making here.
    body = EmailMessage(policy=email.policy.SMTP)
    body.set_content(text)
    body.add_alternative(html, subtype="html")
    return body


def assemble(fields: Fields, body: EmailMessage) -> Assembled:
    """The message with exactly these headers, or UnsafeHeader if it does not read back."""
    raw = header_block(fields) + body.as_bytes()
    check(raw, fields)
    return Assembled(raw=raw, headers={name: display(value) for name, value in fields})
