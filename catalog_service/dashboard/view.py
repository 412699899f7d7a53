"""What the dashboard shows, computed from the served catalog and the database.

The headline figures cover the last 30 days whatever the period; the period chosen sets the
charts' range. Every figure comes from recorded data: a source that has none yet gives zero, or
"none yet" where a share would divide by zero.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from catalog_service.adoption.report import bucket_start, buckets
from catalog_service.dashboard.charts import Chart, Series, stacked_areas, stacked_bars
from catalog_service.db import adoption, audit, dashboard
from catalog_service.db.models import AuditEntry
from catalog_service.domain.catalog import Catalog
from catalog_service.domain.entities import EntityContext
from catalog_service.metrics import invalid_manifests

Period = Literal["30d", "90d", "1y"]
PERIODS: dict[str, tuple[int, str]] = {
    "30d": (30, "30 days"),
    "90d": (90, "90 days"),
    "1y": (365, "a year"),
}
HEADLINE_DAYS = 30
MAX_PROBLEMS = 50
AUDIT_ENTRIES = 10
# Green for success, vermilion for failure, orange for refused: Okabe and Ito's colours.
OUTCOMES = {"succeeded": "#009E73", "failed": "#D55E00", "rejected": "#E69F00"}


@dataclass(frozen=True)
class Headline:
    applications: int
    systems: int
    manifests_added: int  # net: valid manifests now minus 30 days ago
    pull_requests: int  # merged manifest pull requests in the last 30 days
    autonomous_share: float | None  # of those; None when there were none
    actions: int
    invalid: int


@dataclass(frozen=True)
class ProblemRow:
    text: str  # path:line:column: message
    severity: str
    url: str | None  # the file on GitHub, at the line; None for a local repository


@dataclass(frozen=True)
class Dashboard:
    today: dt.date
    period: str
    period_label: str
    start: dt.date
    headline: Headline
    charts: tuple[tuple[str, Chart], ...]  # (heading, chart)
    problems: tuple[ProblemRow, ...]
    more_problems: int  # left out past MAX_PROBLEMS
    audit: tuple[AuditEntry, ...]
    ready: bool  # a catalog is served

    @property
    def first_day(self) -> bool:
        """Nothing to show yet: no application and no chart with data."""
        return self.headline.applications == 0 and all(c.empty for _, c in self.charts)


def build(
    session: Session,
    catalog: Catalog | None,
    context: EntityContext,
    today: dt.date,
    period: str,
) -> Dashboard:
    days, label = PERIODS[period]
    start = today - dt.timedelta(days=days - 1)
    headline_start = today - dt.timedelta(days=HEADLINE_DAYS - 1)
    # Days for a month, weeks beyond: a year of daily points would be a blur of 365 marks.
    spans = buckets(start, today, "day" if days <= 31 else "week")
    baseline = headline_start - dt.timedelta(days=1)  # the count the headline's window starts at
    totals = _manifests_at(session, [last for _, last in spans] + [baseline, today])
    since = _midnight(min(start, headline_start))
    until = _midnight(today + dt.timedelta(days=1))
    merged = dashboard.merged_pull_requests(session, since, until)
    calls = dashboard.action_calls(session, since, until)
    weeks = [first for first, _ in buckets(start, today, "week")]
    return Dashboard(
        today=today,
        period=period,
        period_label=label,
        start=start,
        headline=_headline(catalog, totals, baseline, today, merged, calls, headline_start),
        charts=(
            ("Manifests over time", _manifests_chart(spans, totals, start, today)),
            ("Manifest pull requests per week", _pull_requests_chart(weeks, merged, start)),
            ("Actions per week", _actions_chart(weeks, calls, start)),
        ),
        problems=_problems(catalog, context),
        more_problems=max(0, len(catalog.problems) - MAX_PROBLEMS) if catalog else 0,
        audit=tuple(audit.list_entries(session, limit=AUDIT_ENTRIES).items),
        ready=catalog is not None,
    )


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


def _manifests_at(session: Session, ends: Sequence[dt.date]) -> dict[dt.date, dict[str, int]]:
    """The valid manifests by type at the end of each day of ``ends``: a day without a row of
    the history carries the last recorded day before it. Reads only those days' rows."""
    carried = adoption.last_day_until(session, min(ends))
    recorded = dashboard.recorded_days(session, carried or min(ends), max(ends))
    wanted = {}
    for end in ends:
        index = bisect_right(recorded, end)
        if index:
            wanted[end] = recorded[index - 1]
    counts = dashboard.manifests_by_type(session, list(wanted.values()))
    return {end: counts.get(wanted[end], {}) if end in wanted else {} for end in ends}


def _headline(
    catalog: Catalog | None,
    totals: dict[dt.date, dict[str, int]],
    baseline: dt.date,
    today: dt.date,
    merged: Sequence[tuple[dt.datetime, bool]],
    calls: Sequence[tuple[dt.datetime, str]],
    since: dt.date,
) -> Headline:
    recent = [autonomous for merged_at, autonomous in merged if merged_at.date() >= since]
    autonomous = sum(recent)
    return Headline(
        applications=len(catalog.applications) if catalog else 0,
        systems=len(catalog.system_refs) if catalog else 0,
        manifests_added=sum(totals[today].values()) - sum(totals[baseline].values()),
        pull_requests=len(recent),
        autonomous_share=autonomous / len(recent) if recent else None,
        actions=sum(1 for called_at, _ in calls if called_at.date() >= since),
        invalid=invalid_manifests(catalog) if catalog else 0,
    )


def _manifests_chart(
    spans: Sequence[tuple[dt.date, dt.date]],
    totals: dict[dt.date, dict[str, int]],
    start: dt.date,
    end: dt.date,
) -> Chart:
    types = sorted({kind for _, last in spans for kind in totals[last]})
    series = [
        Series(kind, tuple(float(totals[last].get(kind, 0)) for _, last in spans)) for kind in types
    ]
    step = "day" if len(spans) < 2 or spans[1][0] - spans[0][0] == dt.timedelta(days=1) else "week"
    return stacked_areas(
        "chart-manifests",
        "Valid application manifests over time, by type",
        f"Valid application manifests on the branch at the end of each {step}, one band per"
        f" type stacked on the others (the top edge is the total), from {start} to {end}.",
        [first.isoformat() for first, _ in spans],
        series,
    )


def _per_week(
    weeks: Sequence[dt.date], events: Sequence[tuple[dt.datetime, str]], start: dt.date
) -> dict[str, list[float]]:
    """``{kind: [events per week]}``; events before ``start`` are left out."""
    index = {week: i for i, week in enumerate(weeks)}
    counts: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(weeks))
    for at, kind in events:
        if at.date() >= start:
            counts[kind][index[bucket_start(at.date(), "week")]] += 1
    return counts


def _pull_requests_chart(
    weeks: Sequence[dt.date], merged: Sequence[tuple[dt.datetime, bool]], start: dt.date
) -> Chart:
    kinds = [(at, "autonomous" if autonomous else "platform team") for at, autonomous in merged]
    counts = _per_week(weeks, kinds, start)
    return stacked_bars(
        "chart-pull-requests",
        "Merged manifest pull requests per week: autonomous and platform team",
        "Merged pull requests that add or change application manifests, per week starting on"
        f" Monday, split by who made them, from {start} to {weeks[-1] + dt.timedelta(days=6)}.",
        [week.isoformat() for week in weeks],
        [Series(kind, tuple(counts[kind])) for kind in ("autonomous", "platform team")],
    )


def _actions_chart(
    weeks: Sequence[dt.date], calls: Sequence[tuple[dt.datetime, str]], start: dt.date
) -> Chart:
    counts = _per_week(weeks, calls, start)
    return stacked_bars(
        "chart-actions",
        "Self-service action calls per week, by outcome",
        "Calls of the self-service actions (every action, dry runs included), per week starting"
        f" on Monday, by outcome, from {start} to {weeks[-1] + dt.timedelta(days=6)}.",
        [week.isoformat() for week in weeks],
        [Series(outcome, tuple(counts[outcome]), colour) for outcome, colour in OUTCOMES.items()],
    )


def _problems(catalog: Catalog | None, context: EntityContext) -> tuple[ProblemRow, ...]:
    if catalog is None:
        return ()
    rows = []
    for problem in sorted(catalog.problems)[:MAX_PROBLEMS]:
        location = context.location(problem.path)
        url = (
            f"{location.removeprefix('url:')}#L{problem.line}"
            if location.startswith("url:")
            else None
        )
        rows.append(ProblemRow(str(problem), problem.severity, url))
    return tuple(rows)
