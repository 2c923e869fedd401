"""The reminder's plain text read back as a layout for its HTML part: pure, no I/O.

Each language writes its reminder once, as text. Its HTML part is laid out from that text
(headings, paragraphs, the lines to say in boxes, addresses and links clickable), so the two
parts say the same words by construction, in every language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from service.follow_ups.scripts import blocks


@dataclass(frozen=True)
class Run:
    """A run of text; with `href`, a link."""

    text: str
    href: str | None = None


Line = tuple[Run, ...]


@dataclass(frozen=True)
class Piece:
    kind: Literal["heading", "paragraph", "say"]
    lines: tuple[Line, ...]


_UNDERLINE = re.compile(r"^-{3,}$")
# Web links, tel: links and addresses; a sentence's closing punctuation is not part of one.
_LINK = re.compile(
    r"(?P<url>https?://[^\s<>\"]+[^\s<>\".,;:!?)])"
    r"|(?P<tel>tel:\+?\d+)"
    r"|(?P<mail>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
)


def layout(text: str) -> list[Piece]:
    """Headings (a line underlined with dashes), paragraphs and the lines to say."""
    pieces: list[Piece] = []
    for chunk in re.split(r"\n\s*\n", text.strip("\n")):
        lines = chunk.splitlines()
        if len(lines) >= 2 and _UNDERLINE.match(lines[1].strip()):
            pieces.append(Piece("heading", (runs(lines[0].strip()),)))
            lines = lines[2:]
        for block in blocks("\n".join(lines)):
            kind: Literal["say", "paragraph"] = "say" if block.say else "paragraph"
            pieces.append(Piece(kind, tuple(runs(line) for line in block.lines)))
    return pieces


def runs(line: str) -> Line:
    """The line with its links marked."""
    out: list[Run] = []
    at = 0
    for match in _LINK.finditer(line):
        if match.start() > at:
            out.append(Run(line[at : match.start()]))
        found = match.group(0)
        href = f"mailto:{found}" if match.lastgroup == "mail" else found
        out.append(Run(found, href))
        at = match.end()
    if at < len(line):
        out.append(Run(line[at:]))
    return tuple(out)
