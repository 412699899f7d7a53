"""The adoption history: one row per day, type and system; a day is replaced as a whole."""

from __future__ import annotations

import datetime as dt

from catalog_service.db import Database, adoption
from catalog_service.db.adoption import DayCount

D1, D2, D3 = dt.date(2026, 1, 5), dt.date(2026, 1, 6), dt.date(2026, 1, 7)


def test_days_replace_and_read_back_in_order(database: Database) -> None:
    with database.session() as session:
        assert adoption.last_day(session) is None
        adoption.replace_day(session, D2, {("service", "shop"): 3, ("cronjob", "shop"): 1})
        adoption.replace_day(session, D1, {("service", "shop"): 2})
        adoption.replace_day(session, D3, {("service", "shop"): 4, ("service", "pay"): 1})
    with database.session() as session:
        assert adoption.last_day(session) == D3
        assert adoption.series(session) == [
            DayCount(D1, "service", "shop", 2),
            DayCount(D2, "cronjob", "shop", 1),
            DayCount(D2, "service", "shop", 3),
            DayCount(D3, "service", "pay", 1),
            DayCount(D3, "service", "shop", 4),
        ]
        assert [row.day for row in adoption.series(session, start=D2, end=D2)] == [D2, D2]


def test_replacing_a_day_drops_what_it_no_longer_has(database: Database) -> None:
    with database.session() as session:
        adoption.replace_day(session, D1, {("service", "shop"): 2, ("cronjob", "shop"): 1})
    with database.session() as session:
        # Walked again (after a force-push): the cronjob is gone, zero counts are not stored.
        adoption.replace_day(session, D1, {("service", "shop"): 5, ("worker", "shop"): 0})
    with database.session() as session:
        assert adoption.series(session) == [DayCount(D1, "service", "shop", 5)]


def test_delete_from_forgets_that_day_and_later(database: Database) -> None:
    with database.session() as session:
        for day in (D1, D2, D3):
            adoption.replace_day(session, day, {("service", "shop"): day.day})
    with database.session() as session:
        adoption.delete_from(session, D2)
    with database.session() as session:
        assert adoption.series(session) == [DayCount(D1, "service", "shop", 5)]
        assert adoption.last_day(session) == D1
