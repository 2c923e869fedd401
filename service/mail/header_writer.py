"""Write a header block from the values we hold; caller text is never parsed as a header.

Display names and the Subject go out as plain atoms or a quoted string when they are
printable ASCII with nothing a reader could decode, and as our own RFC 2047 encoded words
otherwise, so text that looks like an encoded word shows literally. Addresses and
Message-IDs must match their strict grammar, or nothing is written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from service.core.errors import Unprocessable
from service.mail import encoded_words, grammar

ADDRESS_HEADERS = frozenset({"from", "to", "reply-to"})
MSG_ID_HEADERS = frozenset({"message-id", "in-reply-to", "references"})
TEXT_HEADERS = frozenset({"subject"})
# RFC 2047 keeps lines with encoded words within 76 characters (RFC 5322 asks 78 of all);
# 998 is the hard limit, checked after composing.
LINE = 76
_SPACED = re.compile(r" +[^ ]+| +$")


@dataclass(frozen=True)
class Mailbox:
    name: str
    address: str


HeaderValue = Mailbox | str
Fields = Sequence[tuple[str, HeaderValue]]


class UnsafeHeader(Unprocessable, ValueError):
    """A header we would not write as asked, or that did not read back as written."""

    def __init__(self, header: str | None, reason: str, *, fields: Sequence[str] = ()) -> None:
        where = f"the {header} header" if header else "the message"
        lead = f"{', '.join(fields)}: " if fields else ""
        super().__init__(f"{lead}{where} {reason}; nothing was stored or sent")
        self.header = header
        self.reason = reason

    def naming(self, fields: Sequence[str]) -> UnsafeHeader:
        """The same refusal, led by the request fields that feed this header."""
        return UnsafeHeader(self.header, self.reason, fields=fields)


def header_block(fields: Fields) -> bytes:
    """The header lines for these fields, in this order, folded, CRLF-terminated ASCII."""
    return "".join(_fold(name, _units(name, value)) for name, value in fields).encode("ascii")


def display(value: HeaderValue) -> str:
    """How a header's value reads to people (decoded, not wire text)."""
    if isinstance(value, Mailbox):
        return grammar.display_mailbox(value.name, value.address)
    return value


def _units(name: str, value: HeaderValue) -> list[str]:
    """The value as foldable units: white space, then text that must stay on one line."""
    kind = name.casefold()
    if isinstance(value, Mailbox):
        if kind not in ADDRESS_HEADERS:
            raise UnsafeHeader(name, "does not take an address")
        return _mailbox(name, value)
    _refuse_controls(name, value)
    if kind in TEXT_HEADERS:
        return _unstructured(value, first=LINE - len(f"{name}: "))
    if kind in MSG_ID_HEADERS:
        if not grammar.is_msg_id(value):
            raise UnsafeHeader(name, "is not a single Message-ID like <id@mail.example.com>")
        return [" " + value]
    if not grammar.is_plain_text(value):
        raise UnsafeHeader(name, "holds text we only write in a Subject or a display name")
    return _spaced(value)


def _mailbox(name: str, box: Mailbox) -> list[str]:
    _refuse_controls(name, box.name)
    if grammar.looks_encoded(box.address):
        raise UnsafeHeader(name, "would carry an address holding =?...?=, which readers decode")
    if not grammar.is_addr_spec(box.address):
        raise UnsafeHeader(name, "would carry an address that is not a plain ASCII address")
    if not box.name:
        return [" " + box.address]
    return [*_phrase(box.name, first=LINE - len(f"{name}: ")), f" <{box.address}>"]


def _phrase(text: str, *, first: int) -> list[str]:
    if grammar.is_atom_phrase(text):
        return _spaced(text)
    if grammar.is_plain_text(text):
        return [' "' + text.replace("\\", "\\\\").replace('"', '\\"') + '"']
    return [" " + word for word in encoded_words.encode(text, first=first)]


def _unstructured(text: str, *, first: int) -> list[str]:
    if grammar.is_plain_text(text):
        return _spaced(text)
    return [" " + word for word in encoded_words.encode(text, first=first)]


def _spaced(text: str) -> list[str]:
    """Plain text cut before each run of spaces, so folding keeps every space it had."""
    return _SPACED.findall(" " + text)


def _refuse_controls(name: str, text: str) -> None:
    if grammar.CONTROL.search(text):
        raise UnsafeHeader(name, "would hold a control character (CR, LF, tab, ...)")


def _fold(name: str, units: list[str]) -> str:
    """`Name:` and the units, on lines of at most LINE characters where a break is possible
    (a fold puts CRLF before a unit's leading white space, which unfolding removes)."""
    lines: list[str] = []
    current = f"{name}:"
    for index, unit in enumerate(units):
        if index and unit.strip() and len(current) + len(unit) > LINE:
            lines.append(current)
            current = unit
        else:
            current += unit
    lines.append(current)
    return "\r\n".join(lines) + "\r\n"
