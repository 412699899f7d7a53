import datetime as dt

from catalog_service.timestamps import as_utc


def test_a_time_without_a_zone_is_utc() -> None:
    assert as_utc(dt.datetime(2026, 1, 2, 3, 4)) == dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC)


def test_an_aware_time_and_none_are_kept() -> None:
    paris = dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert as_utc(paris) is paris
    assert as_utc(None) is None
