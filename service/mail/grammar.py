"""The few RFC 5322 / RFC 2047 shapes our headers may take: one place for every check."""

from __future__ import annotations

import re

# C0/C1 controls, DEL, and the Unicode line/paragraph separators: none of them belong in a
# value that may end up in an email header.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")

# Anything a lenient reader could take for an encoded word. Mail programs (and Python's own
# email package before 3.11.10) decode such text, so caller text must never carry it raw.
_ENCODED_LOOKING = re.compile(r"=\?.*\?=", re.DOTALL)

_ATEXT = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~\-"
_ATOM_PHRASE = re.compile(rf"[{_ATEXT}]+(?: [{_ATEXT}]+)*")
_PRINTABLE_ASCII = re.compile(r"[ -~]*")
_ADDR_SPEC = re.compile(
    rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
)
# id-left and id-right as dot-atom text (dots anywhere, as real mailers write them), or a
# domain literal on the right.
_MSG_ID = re.compile(rf"<[{_ATEXT}.]+@(?:[{_ATEXT}.]+|\[[!-Z^-~]*\])>")
# Characters that make a display name need quoting when shown as "name <address>".
_SPECIALS = re.compile(r'[()<>\[\]:;@\\,."]')


def looks_encoded(text: str) -> bool:
    """Whether some reader could decode part of this text as an RFC 2047 encoded word."""
    return _ENCODED_LOOKING.search(text) is not None


def may_open_encoded_word(text: str) -> bool:
    """Whether the text holds `=?` at all: written raw, even a broken word is a risk."""
    return "=?" in text


def is_atom_phrase(text: str) -> bool:
    """Plain words (RFC 5322 atoms, single spaces) that can be written as they are."""
    return _ATOM_PHRASE.fullmatch(text) is not None and not may_open_encoded_word(text)


def is_plain_text(text: str) -> bool:
    """Printable ASCII with nothing a reader could decode: safe to write as it is."""
    return _PRINTABLE_ASCII.fullmatch(text) is not None and not may_open_encoded_word(text)


def is_addr_spec(address: str) -> bool:
    """An ASCII dot-atom address: the only form we write (no quoted local parts)."""
    return _ADDR_SPEC.fullmatch(address) is not None and not looks_encoded(address)


def is_msg_id(value: str) -> bool:
    """One Message-ID in angle brackets, with nothing a reader would decode."""
    return _MSG_ID.fullmatch(value) is not None and not looks_encoded(value)


def display_mailbox(name: str, address: str) -> str:
    """`name <address>` as people read it (quoted when the name has specials); not wire text."""
    if not name:
        return address
    if _SPECIALS.search(name):
        escaped = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}" <{address}>'
    return f"{name} <{address}>"
