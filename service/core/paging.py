"""Cursors and filters shared by the API's lists and the dashboard's.

Lists of declines are newest first, paged by keyset: the cursor is the last row's
(created_at, id), opaque to callers. Shorter lists ordered by something else (the call list,
the outbox) use offset cursors.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from service.core.errors import Unprocessable
from service.core.numbers import parse_ascii_int

# What the OpenAPI document says a cursor looks like (empty: the first page). The offset
# pattern is the whole rule; a keyset cursor must also decode to a row we returned, which
# only `older_than` can tell.
OFFSET_DIGITS = 9
OFFSET_CURSOR_PATTERN = f"^[0-9]{{0,{OFFSET_DIGITS}}}$"
KEYSET_CURSOR_PATTERN = "^[A-Za-z0-9_-]*$"


def keyset_cursor(created_at: datetime, row_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def older_than(cursor: str, created: Any, ident: Any, *, invalid: str) -> ColumnElement[bool]:
    """Rows after `cursor` in (created desc, id desc) order; `invalid` is the 422's words."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        text, last_id = json.loads(raw)
        created_at = datetime.fromisoformat(text)
        if created_at.tzinfo is None:
            raise ValueError("a cursor we write always carries its offset")
    except (ValueError, TypeError) as exc:
        raise Unprocessable(invalid) from exc
    return or_(created < created_at, and_(created == created_at, ident < str(last_id)))


def contains(text: str) -> str:
    """A LIKE pattern (escape character backslash) for a case-folded substring match."""
    escaped = text.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def offset_from(cursor: str | None) -> int:
    if not cursor:
        return 0
    offset = parse_ascii_int(cursor, max_digits=OFFSET_DIGITS)
    if offset is None:
        raise Unprocessable("cursor is not one this service returned; start again without it")
    return offset


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
