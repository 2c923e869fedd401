"""Bound what one inbound message can cost before the stdlib parser sees it.

The email package's header parser slows down badly on some shapes (a Content-Type of
"; ; ; ...", a folded header of megabytes, thousands of parameters) and recurses once per
level of MIME nesting, so a message anyone can send to the polled mailbox could hold a
worker for minutes or crash the parse. `over_cap` reads the raw bytes only (no email
package): every header block of the tree the parser would build (the message's, each
part's, each attached message's, each block of a delivery report) and every boundary
delimiter line of the boundaries the message declares. Over a cap, the message is kept as
received and classified unparseable; nothing here decides what a message means.

The caps sit far above real mail: every message of the real-mail corpus the tests read
(bounces with the whole original attached, Exchange and Office 365 reports) stays well
inside each one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "MAX_DEPTH",
    "MAX_HEADER_BLOCK_BYTES",
    "MAX_HEADER_BYTES",
    "MAX_HEADER_FIELDS",
    "MAX_HEADER_PARAMETERS",
    "MAX_HEADER_TOKENS",
    "MAX_MIME_TOKENS",
    "MAX_PARSED_HEADER_BYTES",
    "MAX_PARTS",
    "over_cap",
]

MAX_HEADER_BLOCK_BYTES = 256 * 1024  # one header block; real ones stay under 64 KiB
MAX_HEADER_BYTES = 64 * 1024  # one header, unfolded (a long thread's References: ~10 KiB)
# The headers the parser reads token by token (its cost grows faster than their length):
MAX_PARSED_HEADER_BYTES = 8 * 1024  # one From, Subject or Content-* header
MAX_HEADER_PARAMETERS = 64  # ";" in one of those (a long RFC 2231 file name: ~10)
MAX_HEADER_TOKENS = 256  # words and separators in one From or Content-* header (real: ~20)
MAX_MIME_TOKENS = 5_000  # words and separators in all Content-* headers together
MAX_HEADER_FIELDS = 10_000  # header fields in the whole message, every part included
MAX_PARTS = 500  # MIME parts: delimiter lines of declared boundaries, report blocks
MAX_DEPTH = 20  # multiparts and attached messages inside one another (a bounce: ~5)

_PARSED = frozenset({b"from", b"subject", b"content-type", b"content-disposition"})
_MIME = frozenset({b"content-type", b"content-disposition", b"content-transfer-encoding"})
_TOKENIZED = _MIME | {b"from"}  # structured: read token by token (Subject is not)

# A header block, as the stdlib reads one: header-shaped lines (a field, a folded
# continuation, a leading "From " line) up to the first line that is not one.
_HEADER_LINES = re.compile(rb"(?:(?:From |[\x21-\x39\x3b-\x7e]*:|[ \t])[^\n]*(?:\n|\Z))*")
_FIELD = re.compile(rb"[^\n]+(?:\n[ \t][^\n]*)*")
_TOKEN = re.compile(rb'[;"()=,\\]|[^\s;"()=,\\]+')
_COMMENT = re.compile(rb"\([^()]*\)")
_QUOTED_PAIR = re.compile(rb"\\(.)", re.S)
# Every way a boundary parameter may be written (RFC 2231 forms included): a message that
# declares two is scanned for both, which can only over-count.
_BOUNDARY = re.compile(rb'boundary\*?\d*\*?[ \t]*=[ \t]*(?:"((?:[^"\\\n]|\\.)*)"|([^\s;"]+))', re.I)

_LEAF, _MULTIPART, _MESSAGE, _REPORT = "leaf", "multipart", "message", "report"


class _OverCap(Exception):
    pass


@dataclass(frozen=True)
class _Body:
    """Where a part's body starts and what the parser will make of it."""

    kind: str
    start: int
    boundaries: tuple[bytes, ...] = ()
    digest: bool = False


@dataclass(frozen=True)
class _Frame:
    """An open multipart (its boundaries) or an attached message (none)."""

    boundaries: tuple[bytes, ...]
    digest: bool = False  # multipart/digest: a part without Content-Type is a message


@dataclass
class _Scan:
    data: bytes
    frames: list[_Frame] = field(default_factory=list)
    parts: int = 0
    fields: int = 0
    tokens: int = 0
    _delimiter: re.Pattern[bytes] | None = None

    def run(self) -> None:
        body = self.header_block(0, default=_LEAF)
        while True:
            if body.kind == _MESSAGE:
                self.push(_Frame(()))
                body = self.header_block(body.start, default=_LEAF)
                continue
            pos = body.start
            if body.kind == _MULTIPART:
                self.push(_Frame(body.boundaries, digest=body.digest))
            elif body.kind == _REPORT:
                pos = self.report_blocks(pos)
            found = self.next_delimiter(pos)
            if found is None:
                return
            pos = min(found.end() + 1, len(self.data))
            index = self.frame_of(found.group(1))
            closed = bool(found.group(2))  # the close delimiter: what follows is the epilogue
            self.pop_to(index if closed else index + 1)
            if closed:
                body = _Body(_LEAF, pos)
                continue
            self.count_part()
            body = self.header_block(pos, default=_MESSAGE if self.frames[index].digest else _LEAF)

    def header_block(self, pos: int, *, default: str) -> _Body:
        """Check the header block at `pos`; say what its body is and where it starts."""
        limit = pos + MAX_HEADER_BLOCK_BYTES + 1  # no need to read further to refuse it
        end = _match_end(_HEADER_LINES, self.data, pos, limit)
        if self._delimiter is not None:
            # The parser treats an open boundary's delimiter line as the end of input.
            inside = self._delimiter.search(self.data, pos, end)
            if inside is not None:
                end = inside.start()
        block = self.data[pos:end]
        if end >= limit:
            self.fields_of(block)  # names the header that runs past the cap, if one does
            raise _OverCap(f"a header block over {MAX_HEADER_BLOCK_BYTES:,} bytes")
        start = end + 1 if self.data[end : end + 1] == b"\n" else end
        content_type = self.fields_of(block)
        if content_type is None:
            return _Body(default, start)
        return _body_of(content_type, default, start)

    def fields_of(self, block: bytes) -> bytes | None:
        """Check each field of a header block; the first Content-Type's value, if any."""
        lines = block.count(b"\n") + (0 if block.endswith(b"\n") else 1) if block else 0
        self.fields += lines - block.count(b"\n ") - block.count(b"\n\t")
        if self.fields > MAX_HEADER_FIELDS:
            raise _OverCap(f"over {MAX_HEADER_FIELDS:,} header fields")
        content_type = None
        for match in _FIELD.finditer(block):
            text = match.group()
            name, _, value = text.partition(b":")
            name = name.strip().lower()
            size = len(text) - text.count(b"\n")
            if size > MAX_HEADER_BYTES:
                raise _OverCap(f"{_label(name)} over {MAX_HEADER_BYTES:,} bytes")
            if name in _PARSED:
                if size > MAX_PARSED_HEADER_BYTES:
                    raise _OverCap(f"{_label(name)} over {MAX_PARSED_HEADER_BYTES:,} bytes")
                if (params := value.count(b";")) > MAX_HEADER_PARAMETERS:
                    raise _OverCap(
                        f"{_label(name)} with {params:,} parameters"
                        f" (at most {MAX_HEADER_PARAMETERS:,})"
                    )
            if name in _TOKENIZED:
                tokens = len(_TOKEN.findall(value))
                if tokens > MAX_HEADER_TOKENS:
                    raise _OverCap(
                        f"{_label(name)} of {tokens:,} words and separators"
                        f" (at most {MAX_HEADER_TOKENS:,})"
                    )
            if name in _MIME:
                self.tokens += tokens
                if self.tokens > MAX_MIME_TOKENS:
                    raise _OverCap(
                        f"over {MAX_MIME_TOKENS:,} words and separators in Content-* headers"
                    )
            if name == b"content-type" and content_type is None:
                content_type = value
        return content_type

    def report_blocks(self, pos: int) -> int:
        """A delivery report's body: blocks of fields separated by blank lines."""
        size = len(self.data)
        while pos < size and self.at_delimiter(pos) is None:
            if self.data[pos : pos + 1] == b"\n":
                pos += 1
                continue
            self.count_part()
            block = self.header_block(pos, default=_LEAF)
            if block.kind == _MULTIPART:
                # The parser ends each block at a blank line, but parts nest without one.
                raise _OverCap("a multipart inside a delivery report block")
            # Any other type's body ends at that blank line too, so nothing nests in it.
            if block.start == pos:
                # A line that is no field: the parser reads it as this block's body.
                newline = self.data.find(b"\n", pos)
                block = _Body(_LEAF, size if newline < 0 else newline + 1)
            pos = block.start
        return pos

    def next_delimiter(self, pos: int) -> re.Match[bytes] | None:
        if self._delimiter is None:
            return None
        return self._delimiter.search(self.data, pos)

    def at_delimiter(self, pos: int) -> re.Match[bytes] | None:
        if self._delimiter is None:
            return None
        return self._delimiter.match(self.data, pos)

    def frame_of(self, boundary: bytes) -> int:
        for index in range(len(self.frames) - 1, -1, -1):
            if boundary in self.frames[index].boundaries:
                return index
        raise AssertionError("a delimiter of no open boundary")  # the pattern holds only theirs

    def push(self, frame: _Frame) -> None:
        if len(self.frames) >= MAX_DEPTH:
            raise _OverCap(f"MIME nesting deeper than {MAX_DEPTH}")
        self.frames.append(frame)
        if frame.boundaries:
            self.frames_changed()

    def pop_to(self, depth: int) -> None:
        """Close every frame from `depth` on: a delimiter line ends all that it encloses."""
        if depth < len(self.frames):
            del self.frames[depth:]
            self.frames_changed()

    def frames_changed(self) -> None:
        open_ = {b for frame in self.frames for b in frame.boundaries}
        if not open_:
            self._delimiter = None
            return
        # Longest first, so a boundary that begins another one does not take its lines.
        choices = b"|".join(re.escape(b) for b in sorted(open_, key=len, reverse=True))
        self._delimiter = re.compile(rb"^--(" + choices + rb")(--)?[ \t]*$", re.M)

    def count_part(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise _OverCap(f"over {MAX_PARTS:,} MIME parts")


def over_cap(raw: bytes) -> str | None:
    """Which cap `raw` goes over, in a few words ("Subject over 65,536 bytes"), or None
    when the parser can be given it."""
    # The parser ends lines at CRLF, CR or LF alike: so does this scan.
    data = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    try:
        _Scan(data).run()
    except _OverCap as over:
        return str(over)
    return None


def _match_end(pattern: re.Pattern[bytes], data: bytes, pos: int, endpos: int) -> int:
    match = pattern.match(data, pos, endpos)
    return pos if match is None else match.end()


def _body_of(content_type: bytes, default: str, start: int) -> _Body:
    """What a part's body is, read as loosely as the parser reads its Content-Type."""
    value = content_type
    for _ in range(MAX_HEADER_PARAMETERS):  # nested comments, innermost first
        stripped = _COMMENT.sub(b" ", value)
        if stripped == value:
            break
        value = stripped
    mime = value.partition(b";")[0].strip().lower()
    maintype, slash, subtype = mime.partition(b"/")
    if not slash:
        return _Body(default, start)
    if mime == b"message/delivery-status":
        return _Body(_REPORT, start)
    if maintype == b"message":
        return _Body(_MESSAGE, start)
    if maintype != b"multipart":
        return _Body(_LEAF, start)
    found = (
        (_QUOTED_PAIR.sub(rb"\1", quoted) if quoted else bare).rstrip()
        for quoted, bare in _BOUNDARY.findall(content_type)
    )
    boundaries = tuple(dict.fromkeys(b for b in found if b))
    if not boundaries:  # the parser reads such a body as plain text
        return _Body(_LEAF, start)
    return _Body(_MULTIPART, start, boundaries, digest=subtype.strip() == b"digest")


def _label(name: bytes) -> str:
    text = name.decode("ascii", "replace")[:40]
    return "-".join(part.capitalize() for part in text.split("-")) or "a header"
