"""RFC 2047 encoded words in UTF-8, written and read by our own code.

Writing: the text is split on character boundaries into words of at most 75 characters,
in Q (mostly ASCII text) or B (mostly other scripts), whichever is shorter. Every byte
outside letters, digits and `!*+-/` is escaped in Q, so a word is safe in a display name
and in a Subject alike. Reading is strict: UTF-8 or US-ASCII only, well-formed or refused.
"""

from __future__ import annotations

import base64
import re

MAX_WORD = 75  # RFC 2047 section 2
_OVERHEAD = len("=?utf-8?q??=")
_Q_LITERAL = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")
_WORD = re.compile(r"=\?([^?*]+)(?:\*[^?]*)?\?([bBqQ])\?([^?]*)\?=")
_HEX_PAIR = re.compile(r"[0-9A-Fa-f]{2}")
_CHARSETS = {"utf-8": "utf-8", "utf8": "utf-8", "us-ascii": "ascii"}


class EncodedWordError(ValueError):
    """A word that looks encoded but is not one we can read exactly."""


def encode(text: str, *, first: int = MAX_WORD) -> list[str]:
    """The text as encoded words, the first at most `first` characters long (room left on
    the header's first line); decoders drop the white space between adjacent words."""
    if not text:
        return []
    data = text.encode()
    kind = "q" if _payload_size("q", data) <= _payload_size("b", data) else "b"
    words: list[str] = []
    chunk = ""
    for char in text:
        room = (first if not words else MAX_WORD) - _OVERHEAD
        if chunk and _payload_size(kind, (chunk + char).encode()) > room:
            words.append(_word(kind, chunk.encode()))
            chunk = ""
        chunk += char
    words.append(_word(kind, chunk.encode()))
    return words


def _q_size(byte: int) -> int:
    return 1 if byte in _Q_LITERAL or byte == 0x20 else 3


def _payload_size(kind: str, data: bytes) -> int:
    if kind == "q":
        return sum(_q_size(byte) for byte in data)
    return -(-len(data) // 3) * 4


def _word(kind: str, data: bytes) -> str:
    if kind == "q":
        payload = "".join(
            "_" if b == 0x20 else chr(b) if b in _Q_LITERAL else f"={b:02X}" for b in data
        )
    else:
        payload = base64.b64encode(data).decode()
    return f"=?utf-8?{kind}?{payload}?="


def is_word(token: str) -> bool:
    """Whether a whitespace-delimited token is, as a whole, one encoded word."""
    return _WORD.fullmatch(token) is not None


def decode(token: str) -> str:
    """The text of one encoded word; refuses charsets and encodings we do not write."""
    match = _WORD.fullmatch(token)
    if match is None:
        raise EncodedWordError(f"{token!r} is not a well-formed encoded word")
    charset, kind, payload = match.groups()
    codec = _CHARSETS.get(charset.casefold())
    if codec is None:
        raise EncodedWordError(f"{token!r} uses charset {charset!r}, not UTF-8")
    try:
        data = _unq(payload) if kind in "qQ" else base64.b64decode(payload, validate=True)
        return data.decode(codec)
    except ValueError as exc:  # binascii.Error and UnicodeDecodeError among them
        raise EncodedWordError(f"{token!r} does not decode: {exc}") from None


def _unq(payload: str) -> bytes:
    out = bytearray()
    i = 0
    while i < len(payload):
        char = payload[i]
        if char == "=":
            pair = payload[i + 1 : i + 3]
            if not _HEX_PAIR.fullmatch(pair):
                raise ValueError(f"={pair} is not an escape")
            out.append(int(pair, 16))
            i += 3
            continue
        if not (char.isascii() and char.isprintable()):
            raise ValueError("a raw character outside printable ASCII")
        out += b" " if char == "_" else char.encode()
        i += 1
    return bytes(out)
