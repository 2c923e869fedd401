"""Messages built to make a mail parser slow or crash: the shapes the inbound caps bound.

Each maker takes a size, so tests can use a small one and the benchmark the reported one.
"""

from __future__ import annotations

import random
from collections.abc import Callable

HEAD = (
    b"From: Stranger <stranger@elsewhere.example>\r\n"
    b"To: ada@home.example\r\n"
    b"Message-ID: <hostile@elsewhere.example>\r\n"
    b"Date: Mon, 01 Dec 2025 10:00:00 +0000\r\n"
)


def semicolon_storm(size: int = 24 * 1024) -> bytes:
    """`Content-Type: text/html ; ; ; ...`: the header parser slows down per parameter."""
    return HEAD + b"Content-Type: text/html" + b" ;" * (size // 2) + b"\r\n\r\n<p>hi</p>\r\n"


def few_semicolons(count: int = 1000) -> bytes:
    """A short header, still thousands of empty parameters: under the length cap."""
    return HEAD + b"Content-Type: text/plain" + b" ;" * count + b"\r\n\r\nhi\r\n"


def folded_subject(size: int = 8 * 1024 * 1024) -> bytes:
    """One Subject folded over megabytes of short lines."""
    return HEAD + b"Subject: " + b"aaaaaa\r\n " * (size // 9) + b"x\r\n\r\nhi\r\n"


def many_parts(count: int = 50_000) -> bytes:
    parts = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(count))
    return HEAD + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + parts + b"--b--\r\n"


def nested_multiparts(depth: int = 1000) -> bytes:
    """Multiparts inside one another: the parser recurses once per level."""
    opening = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (level, level)
        for level in range(depth)
    )
    return HEAD + opening + b"Content-Type: text/plain\r\n\r\nx\r\n"


def nested_messages(depth: int = 1000) -> bytes:
    """Attached messages inside one another (message/rfc822)."""
    return HEAD + b"Content-Type: message/rfc822\r\n\r\n" * depth + b"Subject: x\r\n\r\nhi\r\n"


def many_headers(count: int = 100_000) -> bytes:
    return HEAD + b"".join(b"X-H%d: v\r\n" % n for n in range(count)) + b"\r\nhi\r\n"


def wordy_from(words: int = 4000) -> bytes:
    """An address header of thousands of words: parsed token by token."""
    return b"From: " + b"b " * words + b"<stranger@elsewhere.example>\r\n\r\nhi\r\n"


def parameter_heavy_parts(count: int = 500, params: int = 60) -> bytes:
    """Many parts, each with a Content-Type just under the parameter cap."""
    header = b"Content-Type: text/plain" + b"; a=b" * params
    parts = b"".join(b"--b\r\n" + header + b"\r\n\r\nx\r\n" for _ in range(count))
    return HEAD + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + parts + b"--b--\r\n"


def html_unclosed_tags(size: int = 200_000) -> bytes:
    """An HTML-only notice from a mail system (its text is read) of `<a ` repeated."""
    return (
        b"From: Mail Delivery System <MAILER-DAEMON@elsewhere.example>\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\n"
        b"Content-Type: text/html\r\n\r\n" + b"<a " * (size // 3) + b"\r\n"
    )


def date_soup_note(size: int = 20_000, seed: int = 7) -> bytes:
    """An out-of-office note (so its return date is read) of digits, slashes, month names,
    weekdays and absence phrases drawn at random: the return-date reader's worst input."""
    pieces = (
        "12/|1/|7.|2026|-| December | until | back on | out of office | bis | Monday | 1-4 "
        "|\u6708|\u65e5|\u307e\u3067| to | a | the 7th "
    ).split("|")
    rng = random.Random(seed)
    note = "".join(rng.choice(pieces) for _ in range(size))[:size]
    return (
        b"From: Jordan Lee <jordan@acme.example>\r\nSubject: Out of office\r\n"
        b"Auto-Submitted: auto-replied\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + note.encode() + b"\r\n"
    )


# Shapes over a cap (refused before the parser) and just under one (parsed): the slowest
# of these is what one stranger's message can cost.
HOSTILE: dict[str, Callable[[], bytes]] = {
    "semicolon storm (24 KB Content-Type)": semicolon_storm,
    "1,000 empty parameters (2 KB header)": few_semicolons,
    "folded Subject (8 MB)": folded_subject,
    "50,000 MIME parts": many_parts,
    "1,000 nested multiparts": nested_multiparts,
    "5,000 nested multiparts": lambda: nested_multiparts(5000),
    "1,000 nested attached messages": nested_messages,
    "100,000 header fields": many_headers,
    "From of 4,000 words": wordy_from,
    "500 parts x 60 parameters": parameter_heavy_parts,
    "HTML of unclosed tags (200 KB)": html_unclosed_tags,
    "out-of-office note of date soup (20,000 characters)": date_soup_note,
    "under the caps: From of 250 words": lambda: wordy_from(250),
    "under the caps: 60 empty parameters": lambda: few_semicolons(60),
    "under the caps: 490 parts": lambda: parameter_heavy_parts(490, 1),
    "under the caps: 250 parts x 4 parameters": lambda: parameter_heavy_parts(250, 4),
    "under the caps: 19 nested multiparts": lambda: nested_multiparts(19),
    "under the caps: 9,900 header fields": lambda: many_headers(9_900),
    "under the caps: folded Subject (7 KB)": lambda: folded_subject(7 * 1024),
    "under the caps: HTML of unclosed tags (20 MB)": lambda: html_unclosed_tags(20_000_000),
}
