"""Compose + verify: our header block over the stdlib's MIME body, read back before use."""

from __future__ import annotations

import email.policy
import re
import secrets
from dataclasses import dataclass
from email.contentmanager import _encode_text  # type: ignore[attr-defined]
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


_POLICY = email.policy.SMTP
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")


def alternative_bytes(text: str, html: str) -> bytes:
    """`mime_body(text, html).as_bytes()`, byte for byte (but for the random boundary),
    written straight: the stdlib's header registry and generator cost most of composing a
    decline, and these few headers are always the same. The transfer encoding of each part
    is the stdlib's own choice (`_encode_text`), so the bodies are what it would write."""
    boundary = _boundary(text, html)
    return b"".join(
        [
            b'MIME-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n boundary="',
            boundary,
            b'"\r\n\r\n--',
            boundary,
            b"\r\n",
            _text_part(text, "plain"),
            b"\r\n--",
            boundary,
            b"\r\n",
            # The stdlib leaves this header on the part that was the message before
            # add_alternative() made it multipart; kept, so both ways agree.
            _text_part(html, "html", b"MIME-Version: 1.0\r\n"),
            b"\r\n--",
            boundary,
            b"--\r\n",
        ]
    )


def _text_part(content: str, subtype: str, extra: bytes = b"") -> bytes:
    cte, payload = _encode_text(content, "utf-8", None, _POLICY)
    lines = _LINE_BREAKS.split(payload)
    body = "\r\n".join(lines[:-1]) + ("\r\n" if len(lines) > 1 else "") + lines[-1]
    head = f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: {cte}\r\n'
    return head.encode("ascii") + extra + b"\r\n" + body.encode("ascii", "surrogateescape")


def _boundary(*texts: str) -> bytes:
    """The stdlib's form of boundary, always 19 digits long, found in none of the parts."""
    while True:
        boundary = f"==============={secrets.randbelow(10**19):019d}=="
        if not any(boundary in text for text in texts):
            return boundary.encode("ascii")


def assemble(fields: Fields, body: EmailMessage | bytes) -> Assembled:
    """The message with exactly these headers, or UnsafeHeader if it does not read back."""
    raw = header_block(fields) + (body if isinstance(body, bytes) else body.as_bytes())
    check(raw, fields)
    return Assembled(raw=raw, headers={name: display(value) for name, value in fields})
