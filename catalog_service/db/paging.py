"""Cursor paging, newest first, shared by the lists (audit entries, pull requests).

A cursor is the (time, id) of the last row of a page, base64url-encoded JSON: opaque to callers,
stable under inserts (a new row never shifts a page already served), and ordered by the id among
rows of the same instant.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from catalog_service.errors import InvalidRequestError
from catalog_service.timestamps import in_utc

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# A cursor this module hands out is under 80 characters; anything longer is not one of ours,
# and is refused before it is decoded (deeply nested JSON would exhaust the parser's stack).
MAX_CURSOR_CHARS = 200
MAX_ROW_ID = 2**63 - 1  # the largest id either database stores
T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None  # None: this was the last page


def encode_cursor(at: dt.datetime, row_id: int) -> str:
    raw = json.dumps([at.astimezone(dt.UTC).isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    """Raises :class:`InvalidRequestError` for a cursor this module did not hand out."""
    try:
        if len(cursor) > MAX_CURSOR_CHARS:
            raise ValueError(cursor)
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, row_id = json.loads(raw)
        moment = dt.datetime.fromisoformat(at)
        if moment.tzinfo is None or not isinstance(row_id, int) or isinstance(row_id, bool):
            raise ValueError(cursor)
        if not 0 <= row_id <= MAX_ROW_ID:
            raise ValueError(cursor)
        moment = in_utc(moment)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, RecursionError):
        raise InvalidRequestError("invalid cursor: pass back the nextCursor of a page") from None
    return moment, row_id


def newest_first(
    session: Session,
    query: Select[T],
    at: InstrumentedAttribute[dt.datetime],
    row_id: InstrumentedAttribute[int],
    *,
    cursor: str | None,
    limit: int,
    budget: tuple[Callable[[T], int], int] | None = None,
) -> Page[T]:
    """One page of ``query``, ordered by ``at`` then ``row_id``, both descending.

    ``budget`` (a row's size, the most a page holds): the page ends early once the rows would
    hold more, with at least one row, and its cursor continues from there.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequestError(f"limit must be between 1 and {MAX_LIMIT}")
    if cursor is not None:
        moment, last_id = decode_cursor(cursor)
        before: ColumnElement[bool] = or_(at < moment, and_(at == moment, row_id < last_id))
        query = query.where(before)
    rows = list(session.scalars(query.order_by(at.desc(), row_id.desc()).limit(limit + 1)))
    if budget is not None:
        limit = min(limit, _fitting(rows, *budget))
    if len(rows) <= limit:
        return Page(rows, None)
    last: Any = rows[limit - 1]
    return Page(rows[:limit], encode_cursor(getattr(last, at.key), getattr(last, row_id.key)))


def _fitting(rows: Sequence[T], size: Callable[[T], int], most: int) -> int:
    """How many of the first ``rows`` fit in ``most`` (at least one)."""
    total = 0
    for count, row in enumerate(rows):
        total += size(row)
        if total > most:
            return max(count, 1)
    return len(rows)
