"""Read a composed message's header block back, with our own parser, before it is kept.

The stdlib email package is not trusted here: on Python before 3.11.10 it decodes encoded
words while writing, which is how CR/LF and commas reached the wire. This module works on
the raw bytes: the block ends at the first blank line, lines are unfolded, names and
addresses are parsed by hand, and every value must read back exactly as it was meant.
"""

from __future__ import annotations

import re
from collections import Counter

from service.mail import encoded_words, grammar
from service.mail.header_writer import (
    ADDRESS_HEADERS,
    MSG_ID_HEADERS,
    TEXT_HEADERS,
    Fields,
    HeaderValue,
    Mailbox,
    UnsafeHeader,
)

# The stdlib writes these for the MIME body; they are expected at the top level, once.
MIME_HEADERS = frozenset({"mime-version", "content-type", "content-transfer-encoding"})
MAX_LINE = 998  # octets, without the CRLF (RFC 5322 section 2.1.1)

_BARE_CR_OR_LF = re.compile(rb"\r(?!\n)|(?<!\r)\n")
_FIELD = re.compile(r"([!-9;-~]+):(.*)", re.DOTALL)
_ATOM_RUN = re.compile(r'[^\s"(),:;<>\[\]\\]+')
_RUNS = re.compile(r"[ \t]+|[^ \t]+")


def check(raw: bytes, fields: Fields) -> None:
    """Refuse (UnsafeHeader) unless the header block holds exactly these fields, each once
    and reading back as written, beside the MIME headers of the body."""
    head, blank, _ = raw.partition(b"\r\n\r\n")
    if not blank:
        raise UnsafeHeader(None, "has no blank line between its headers and its body")
    if _BARE_CR_OR_LF.search(raw):
        raise UnsafeHeader(None, "has a bare CR or LF, which servers read as a line break")
    longest = max(len(line) for line in raw.split(b"\r\n"))
    if longest > MAX_LINE:
        raise UnsafeHeader(None, f"has a line of {longest} octets, over the {MAX_LINE} allowed")
    found = unfold(head)
    _check_names(found, fields)
    values = {name.casefold(): value for name, value in found}
    for name, expected in fields:
        _check_value(name, values[name.casefold()], expected)


def unfold(head: bytes) -> list[tuple[str, str]]:
    """(name, value) per header field, continuation lines joined back (CRLF removed)."""
    if not head.isascii():
        raise UnsafeHeader(None, "has 8-bit bytes among its headers")
    found: list[list[str]] = []
    for line in head.decode("ascii").split("\r\n"):
        if grammar.CONTROL.search(line.replace("\t", " ")):
            raise UnsafeHeader(found[-1][0] if found else None, "holds a control character")
        if line[:1] in (" ", "\t"):
            if not found:
                raise UnsafeHeader(None, "starts its headers with a continuation line")
            if not line.strip(" \t"):
                raise UnsafeHeader(found[-1][0], "has a line of white space only")
            found[-1][1] += line
            continue
        match = _FIELD.fullmatch(line)
        if match is None:
            raise UnsafeHeader(None, "has a header line without a name")
        found.append([match.group(1), match.group(2)])
    return [(name, value) for name, value in found]


def _check_names(found: list[tuple[str, str]], fields: Fields) -> None:
    expected = [name.casefold() for name, _ in fields]
    counts = Counter(name.casefold() for name, _ in found)
    for name, _ in found:
        if name.casefold() not in expected and name.casefold() not in MIME_HEADERS:
            raise UnsafeHeader(name, "is not one we set")
    for name, _ in found:
        if counts[name.casefold()] > 1:
            raise UnsafeHeader(name, f"appears {counts[name.casefold()]} times")
    for name, _ in fields:
        if not counts[name.casefold()]:
            raise UnsafeHeader(name, "is missing")


def _check_value(name: str, value: str, expected: HeaderValue) -> None:
    kind = name.casefold()
    if isinstance(expected, Mailbox):
        if kind not in ADDRESS_HEADERS:
            raise UnsafeHeader(name, "does not take an address")
        got_name, got_address = single_mailbox(name, value)
        if got_address != expected.address:
            raise UnsafeHeader(name, "is addressed to someone else than meant")
        if got_name != expected.name:
            raise UnsafeHeader(name, "has a display name that does not read back as written")
        return
    text = _one_space_off(value)
    if kind in TEXT_HEADERS:
        text = decode_unstructured(name, text)
    elif kind in MSG_ID_HEADERS:
        text = text.strip()
        if not grammar.is_msg_id(text):
            raise UnsafeHeader(name, "is not a single Message-ID")
    if text != expected:
        raise UnsafeHeader(name, "does not read back as written")


def single_mailbox(name: str, value: str) -> tuple[str, str]:
    """(decoded display name, address) of the one mailbox the value must hold."""
    boxes = _mailboxes(name, value)
    if len(boxes) != 1:
        raise UnsafeHeader(name, f"is a list of {len(boxes)} entries, not one address")
    words, angle = boxes[0]
    if angle is None:
        if len(words) == 1 and not words[0][1] and grammar.is_addr_spec(words[0][0]):
            return "", words[0][0]
        raise UnsafeHeader(name, "holds no address in <angle brackets>")
    if not grammar.is_addr_spec(angle):
        raise UnsafeHeader(name, "carries an address that is not a plain ASCII address")
    display = _decode_phrase(name, words)
    if grammar.CONTROL.search(display):
        raise UnsafeHeader(name, "has a display name that decodes to control characters")
    return display, angle


Word = tuple[str, bool]  # text, and whether it was a quoted string


def _mailboxes(name: str, value: str) -> list[tuple[list[Word], str | None]]:
    """Split an address list at its top-level commas (never inside quotes or brackets)."""
    boxes: list[tuple[list[Word], str | None]] = []
    words: list[Word] = []
    angle: str | None = None
    i = 0
    while i < len(value):
        char = value[i]
        if char in " \t":
            i += 1
        elif char == ",":
            boxes.append((words, angle))
            words, angle = [], None
            i += 1
        elif angle is not None:
            raise UnsafeHeader(name, "has text after its <address>")
        elif char == '"':
            text, i = _quoted(name, value, i)
            words.append((text, True))
        elif char == "<":
            end = value.find(">", i)
            if end < 0:
                raise UnsafeHeader(name, "has an unclosed <")
            angle, i = value[i + 1 : end], end + 1
        else:
            match = _ATOM_RUN.match(value, i)
            if match is None:
                raise UnsafeHeader(name, f"has {char!r} where a name or address belongs")
            words.append((match.group(), False))
            i = match.end()
    boxes.append((words, angle))
    return boxes


def _quoted(name: str, value: str, start: int) -> tuple[str, int]:
    """The text of the quoted string opening at `start`, and the index after it."""
    out: list[str] = []
    i = start + 1
    while i < len(value):
        char = value[i]
        if char == '"':
            return "".join(out), i + 1
        if char == "\\" and i + 1 < len(value):
            i += 1
            char = value[i]
        out.append(char)
        i += 1
    raise UnsafeHeader(name, "has an unclosed quoted string")


def _decode_phrase(name: str, words: list[Word]) -> str:
    parts: list[str] = []
    after_word = False
    for text, quoted in words:
        if not quoted and encoded_words.is_word(text):
            decoded = _decode_word(name, text)
            if parts and not after_word:
                parts.append(" ")
            parts.append(decoded)
            after_word = True
            continue
        if "@" in text and not quoted:
            raise UnsafeHeader(name, "has an @ in its display name outside quotes")
        _refuse_stray_word(name, text)
        if parts:
            parts.append(" ")
        parts.append(text)
        after_word = False
    return "".join(parts)


def decode_unstructured(name: str, value: str) -> str:
    """An unstructured value as readers show it: encoded words decoded, the white space
    between two adjacent words dropped (RFC 2047 section 6.2)."""
    out: list[str] = []
    space, after_word = "", False
    for run in _RUNS.findall(value):
        if run[0] in " \t":
            space = run
            continue
        if encoded_words.is_word(run):
            out.append("" if after_word else space)
            out.append(_decode_word(name, run))
            after_word = True
        else:
            _refuse_stray_word(name, run)
            out += [space, run]
            after_word = False
        space = ""
    out.append(space)
    decoded = "".join(out)
    if grammar.CONTROL.search(decoded):
        raise UnsafeHeader(name, "decodes to control characters")
    return decoded


def _decode_word(name: str, word: str) -> str:
    try:
        return encoded_words.decode(word)
    except encoded_words.EncodedWordError:
        raise UnsafeHeader(name, "holds an encoded word we did not write") from None


def _refuse_stray_word(name: str, text: str) -> None:
    if grammar.may_open_encoded_word(text):
        raise UnsafeHeader(name, "holds text a reader could decode as an encoded word")


def _one_space_off(value: str) -> str:
    """The value without the one space we write after the colon."""
    return value[1:] if value.startswith(" ") else value
