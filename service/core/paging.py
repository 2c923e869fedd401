"""Offset cursors, for short lists ordered by something other than creation (the call list,
the outbox): the cursor is the offset, kept opaque to callers."""

from __future__ import annotations

from service.core.errors import Unprocessable


def offset_from(cursor: str | None) -> int:
    if not cursor:
        return 0
    if not cursor.isdigit() or len(cursor) > 9:
        raise Unprocessable("cursor is not one this service returned; start again without it")
    return int(cursor)
