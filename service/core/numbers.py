"""Whole numbers typed by callers (cursors, counts, header values): only ASCII digits count.

`str.isdigit()` also says yes to "²" (superscript two), "٣" (Arabic-Indic three) and "３"
(full-width three); `int()` then refuses the first and quietly reads the others. Neither is
a number anyone meant to send in a URL or a header, so input is checked with these instead.
"""

from __future__ import annotations


def is_ascii_digits(text: str) -> bool:
    """`text` is one or more of 0-9 and nothing else."""
    return text.isascii() and text.isdigit()


def parse_ascii_int(text: str, *, max_digits: int) -> int | None:
    """The number `text` spells in at most `max_digits` ASCII digits, else None."""
    if not is_ascii_digits(text) or len(text) > max_digits:
        return None
    return int(text)
