"""Offset cursors, for short lists ordered by something other than creation (the call list,
the outbox): the cursor is the offset, kept opaque to callers."""

from __future__ import annotations

from dataclasses import dataclass

from service.core.errors import Unprocessable


def offset_from(cursor: str | None) -> int:
    if not cursor:
        return 0
    if not cursor.isdigit() or len(cursor) > 9:
        raise Unprocessable("cursor is not one this service returned; start again without it")
    return int(cursor)


@dataclass(frozen=True)
class Pager:
    """The links around one page of an offset-paged list: `base` is the list's own URL with
    its filters, and the cursor is appended to it."""

    base: str
    offset: int
    size: int
    more: bool

    @property
    def here(self) -> str:
        return self._at(self.offset)

    @property
    def previous(self) -> str | None:
        return self._at(max(self.offset - self.size, 0)) if self.offset else None

    @property
    def next(self) -> str | None:
        return self._at(self.offset + self.size) if self.more else None

    def _at(self, offset: int) -> str:
        return f"{self.base}&cursor={offset}" if offset else self.base
