"""What the dashboard shows, computed from the served catalog and the database.

The headline figures cover the last 30 days whatever the period; the period chosen sets the
charts' range. Every figure comes from recorded data: a source that has none yet gives zero, or
"none yet" where a share would divide by zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from catalog_service.adoption.report import report
from catalog_service.adoption.schemas import AdoptionResponse, Bucket
from catalog_service.dashboard.charts import Chart, Series, line_chart, stacked_bars
from catalog_service.db import audit
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
OUTCOMES = ("succeeded", "failed", "rejected")


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
    weekly = report(session, start, today, "week")
    manifests_bucket: Bucket = "day" if days <= 31 else "week"
    over_time = weekly if manifests_bucket == "week" else report(session, start, today, "day")
    return Dashboard(
        today=today,
        period=period,
        period_label=label,
        start=start,
        headline=_headline(session, catalog, today),
        charts=(
            ("Manifests over time", _manifests_chart(over_time)),
            ("Manifest pull requests per week", _pull_requests_chart(weekly)),
            ("Actions per week", _actions_chart(weekly)),
        ),
        problems=_problems(catalog, context),
        more_problems=max(0, len(catalog.problems) - MAX_PROBLEMS) if catalog else 0,
        audit=tuple(audit.list_entries(session, limit=AUDIT_ENTRIES).items),
        ready=catalog is not None,
    )


def _headline(session: Session, catalog: Catalog | None, today: dt.date) -> Headline:
    # One day more than the window: its first bucket is the count the window starts from.
    recent = report(session, today - dt.timedelta(days=HEADLINE_DAYS), today, "day")
    window = slice(1, None)
    autonomous = sum(b.autonomous for b in recent.pullRequests[window])
    platform = sum(b.platformTeam for b in recent.pullRequests[window])
    merged = autonomous + platform
    return Headline(
        applications=len(catalog.applications) if catalog else 0,
        systems=len(catalog.system_refs) if catalog else 0,
        manifests_added=recent.manifests[-1].total - recent.manifests[0].total,
        pull_requests=merged,
        autonomous_share=autonomous / merged if merged else None,
        actions=sum(
            sum(outcomes.values())
            for bucket in recent.actions[window]
            for outcomes in bucket.counts.values()
        ),
        invalid=invalid_manifests(catalog) if catalog else 0,
    )


def _labels(starts: Sequence[dt.date]) -> list[str]:
    return [day.isoformat() for day in starts]


def _manifests_chart(data: AdoptionResponse) -> Chart:
    types = sorted({kind for bucket in data.manifests for kind in bucket.byType})
    series = [
        Series(kind, tuple(float(b.byType.get(kind, 0)) for b in data.manifests)) for kind in types
    ]
    return line_chart(
        "chart-manifests",
        "Valid application manifests over time, by type",
        "Valid application manifests on the branch at the end of each "
        f"{data.bucket}, one line per type, from {data.from_} to {data.to}.",
        _labels([b.start for b in data.manifests]),
        series,
    )


def _pull_requests_chart(data: AdoptionResponse) -> Chart:
    buckets = data.pullRequests
    return stacked_bars(
        "chart-pull-requests",
        "Merged manifest pull requests per week: autonomous and platform team",
        "Merged pull requests that add or change application manifests, per week starting on"
        f" Monday, split by who made them, from {data.from_} to {data.to}.",
        _labels([b.start for b in buckets]),
        [
            Series("autonomous", tuple(float(b.autonomous) for b in buckets)),
            Series("platform team", tuple(float(b.platformTeam) for b in buckets)),
        ],
    )


def _actions_chart(data: AdoptionResponse) -> Chart:
    buckets = data.actions
    series = [
        Series(
            outcome,
            tuple(float(sum(o.get(outcome, 0) for o in b.counts.values())) for b in buckets),
        )
        for outcome in OUTCOMES
    ]
    return stacked_bars(
        "chart-actions",
        "Self-service action calls per week, by outcome",
        "Calls of the self-service actions (every action, dry runs included), per week starting"
        f" on Monday, by outcome, from {data.from_} to {data.to}.",
        _labels([b.start for b in buckets]),
        series,
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
