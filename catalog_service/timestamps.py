"""Times from outside (query strings, the command line, GitHub): a time without a zone is UTC."""

from __future__ import annotations

import datetime as dt
from typing import overload


@overload
def as_utc(moment: dt.datetime) -> dt.datetime: ...
@overload
def as_utc(moment: None) -> None: ...
def as_utc(moment: dt.datetime | None) -> dt.datetime | None:
    """``moment`` with UTC as its zone when it has none; an aware time or ``None`` as given."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.UTC)


def in_utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` converted to UTC (without a zone: UTC already).

    Raises ``ValueError`` for a time UTC cannot hold: ``9999-12-31T23:59:59-05:00`` is past the
    last one, ``0001-01-01T00:00:00+05:00`` before the first.
    """
    try:
        return as_utc(moment).astimezone(dt.UTC)
    except OverflowError:
        raise ValueError(
            f"{moment.isoformat()} is out of range: in UTC it must fall within years 1 to 9999"
        ) from None
