"""The demo tells a story: months of merged pull requests from several authors (some of the
platform team) in its repository, a few action calls on record, so the first /dashboard shows
curves; told once, and never over a developer's own commits."""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from catalog_service.db import Database
from catalog_service.db.models import AuditEntry, PullRequestRecord
from catalog_service.demo import prepare_demo
from catalog_service.demo_story import CALLS, PLATFORM_TEAM, STORY, tell_the_story
from catalog_service.http.app import app_services, create_app

NOW = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)


def git(repository: str, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", repository, *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def counts(url: str) -> tuple[int, int, int]:
    database = Database(url)
    try:
        with database.session() as session:
            pulls = session.scalar(select(func.count()).select_from(PullRequestRecord)) or 0
            autonomous = session.scalar(
                select(func.count()).where(PullRequestRecord.autonomous.is_(True))
            )
            calls = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
            return pulls, autonomous or 0, calls
    finally:
        database.dispose()


def test_the_history_ends_in_the_shipped_tree_with_merges_over_months(tmp_path: Path) -> None:
    settings = prepare_demo(tmp_path)
    repository = settings.source.url
    shipped_tree = git(repository, "rev-parse", "main^{tree}")
    assert tell_the_story(settings, NOW)

    assert git(repository, "rev-parse", "main^{tree}") == shipped_tree
    assert git(repository, "status", "--porcelain") == ""  # the work tree is the shipped files
    merges = git(repository, "log", "--first-parent", "--merges", "--format=%s|%an|%ct", "main")
    rows = [line.split("|") for line in merges.splitlines()]
    assert len(rows) == len(STORY)
    assert all(subject.startswith("Merge pull request #") for subject, _, _ in rows)
    days = [dt.datetime.fromtimestamp(int(ct), dt.UTC) for _, _, ct in rows]
    assert max(days) - min(days) > dt.timedelta(days=150)  # months, not one day
    assert max(days) > NOW - dt.timedelta(days=7)  # something happened this week
    authors = {pull.author for pull in STORY}
    assert len(authors) >= 5 and set(PLATFORM_TEAM) & authors

    pulls, autonomous, calls = counts(settings.database.url)
    assert pulls == len(STORY)
    assert 0 < autonomous < pulls  # platform team's and developers' own
    assert calls == len(CALLS)


def test_it_is_told_once_and_never_over_a_developers_commit(tmp_path: Path) -> None:
    settings = prepare_demo(tmp_path)
    assert tell_the_story(settings, NOW)
    head = git(settings.source.url, "rev-parse", "main")
    assert not tell_the_story(settings, NOW)
    assert git(settings.source.url, "rev-parse", "main") == head
    assert counts(settings.database.url) == (
        len(STORY),
        counts(settings.database.url)[1],
        len(CALLS),
    )

    reset = prepare_demo(tmp_path, reset=True)  # a fresh repository: one commit again
    Path(reset.source.url, "apps", "note.yaml").write_text("# mine\n")
    git(reset.source.url, "add", "--all")
    git(reset.source.url, "-c", "user.name=Me", "-c", "user.email=me@x", "commit", "-qm", "mine")
    assert not tell_the_story(reset, NOW)
    assert git(reset.source.url, "log", "--format=%s", "-1") == "mine"


def test_the_first_dashboard_shows_curves(tmp_path: Path) -> None:
    settings = prepare_demo(tmp_path)
    tell_the_story(settings)
    with TestClient(create_app(settings, poll=False)) as client:
        services = app_services(client.app)  # type: ignore[arg-type]

        async def ingest_and_walk() -> None:
            await services.refresher.refresh()
            await services.refresher.settled()  # the history walk follows the ingest

        asyncio.run(ingest_and_walk())
        assert services.adoption is not None
        html = client.get("/dashboard?period=90d").text
    assert "Nothing recorded in this period yet" not in html
    assert "nothing recorded" not in html
    assert 'id="chart-pull-requests"' in html and 'id="chart-actions"' in html


def test_a_story_that_cannot_be_recorded_never_stops_the_demo(tmp_path: Path) -> None:
    settings = prepare_demo(tmp_path)
    wrong = settings.model_copy(
        update={"source": settings.source.model_copy(update={"branch": "release"})}
    )
    assert tell_the_story(wrong, NOW)  # the history is written; recording it fails, logged
    assert counts(settings.database.url) == (0, 0, 0)
    assert not tell_the_story(settings, NOW)  # the next start records what the last one could not
    assert counts(settings.database.url)[::2] == (len(STORY), len(CALLS))
