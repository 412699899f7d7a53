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
