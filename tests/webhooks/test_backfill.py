"""backfill-prs: through the GitHub double (1,000 pull requests, twice: the same rows), at first
start, and from the git history of a real repository without GitHub."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from catalog_service.cli import main
from catalog_service.db import Database, pull_requests, state
from catalog_service.pull_requests.backfill import backfill
from catalog_service.pull_requests.recorder import BACKFILLED_KEY, RECONCILED_KEY
from tests.github.support import make_client
from tests.support.github_double import GitHubDouble
from tests.support.manifests import application_yaml
from tests.support.repos import GitOpsRepo
from tests.support.settings import SettingsFactory
from tests.webhooks.support import REPO, eventually, running, webhook_settings

MERGED = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def rows(database: Database) -> list[tuple[Any, ...]]:
    with database.session() as session:
        page = pull_requests.list_records(session, limit=500)
        items = list(page.items)
        while page.next_cursor is not None:
            page = pull_requests.list_records(session, cursor=page.next_cursor, limit=500)
            items += page.items
        return [
            (r.repository, r.number, r.title, r.author, r.merged_at, r.merge_commit_sha,
             list(r.paths), r.autonomous, r.approved_by_platform, r.recorded_at)
            for r in items
        ]  # fmt: skip


def test_backfill_twice_through_the_api_gives_the_same_rows(
    make_settings: SettingsFactory, database_url: str, github_double: GitHubDouble
) -> None:
    for number in range(1, 1001):
        author = "alice" if number % 10 == 0 else f"dev{number % 7}"
        github_double.add_pull(
            REPO, number, author=author, merged_at=MERGED + dt.timedelta(minutes=number)
        )
        path = f"apps/shop/app{number}.yaml" if number % 4 else "docs/readme.md"
        github_double.add_file(REPO, number, path, "added")
    github_double.add_pull(REPO, 1001, author="dana")  # open: not merged
    settings = webhook_settings(make_settings, database_url)
    database = Database(database_url)
    client = make_client(github_double)
    try:
        assert backfill(settings, github=client, database=database) == 750
        first = rows(database)
        assert backfill(settings, github=client, database=database) == 0
        assert rows(database) == first
        assert len(first) == 750
        assert sum(row[7] for row in first) == 700  # alice's 50 are the platform team's
        with database.session() as session:
            assert state.get(session, BACKFILLED_KEY) is not None
    finally:
        database.dispose()


def test_the_first_start_backfills_once(
    make_settings: SettingsFactory,
    database_url: str,
    github_double: GitHubDouble,
    gitops: GitOpsRepo,
) -> None:
    gitops.add_application("web")
    gitops.commit()
    for number in (1, 2):
        github_double.add_pull(REPO, number, merged_at=MERGED)
        github_double.add_file(REPO, number, f"apps/shop/a{number}.yaml", "added")
    settings = webhook_settings(make_settings, database_url)
    with running(settings, poll=True, github=make_client(github_double)) as (_, services):
        eventually(lambda: len(rows(services.database)) == 2)
        eventually(lambda: reconciled_at(services.database) is not None)
        first_reconcile = reconciled_at(services.database)
    # Merged long ago and missed: a second start does not backfill again (reconcile looks at
    # recent merges only; `catalog-service backfill-prs` is there for this).
    github_double.add_pull(REPO, 3, merged_at=MERGED)
    github_double.add_file(REPO, 3, "apps/shop/a3.yaml", "added")
    with running(settings, poll=True, github=make_client(github_double)) as (_, services):
        eventually(lambda: reconciled_at(services.database) != first_reconcile)
        assert sorted(row[1] for row in rows(services.database)) == [1, 2]


def reconciled_at(database: Database) -> str | None:
    with database.session() as session:
        return state.get(session, RECONCILED_KEY)


def commit_as(gitops: GitOpsRepo, message: str, author: str) -> str:
    gitops.repo.git.add("--all")
    gitops.repo.git.commit("--no-verify", "--message", message, "--author", author)
    return gitops.head


@pytest.fixture
def history(gitops: GitOpsRepo) -> GitOpsRepo:
    """main: a plain commit, a merged pull request (#12), a squashed one (#13), one touching no
    manifest (#14), and a platform-team squash (#15)."""
    gitops.add_application("web")
    commit_as(gitops, "Start", "Platform <platform@example.com>")
    gitops.repo.git.checkout("-b", "add-ledger")
    gitops.write("apps/shop/ledger.yaml", application_yaml("ledger"))
    commit_as(gitops, "Add ledger", "Dana <1234+dana@users.noreply.github.com>")
    gitops.repo.git.checkout("main")
    gitops.repo.git.merge(
        "--no-ff",
        "add-ledger",
        "-m",
        "Merge pull request #12 from dana/add-ledger\n\nAdd the ledger service",
    )
    gitops.write("apps/shop/cart.yaml", application_yaml("cart"))
    commit_as(gitops, "Add the cart (#13)", "Erin Example <erin@example.com>")
    gitops.write("docs/readme.md", "docs\n")
    commit_as(gitops, "Docs (#14)", "Erin Example <erin@example.com>")
    gitops.delete("apps/shop/web.yaml")
    gitops.write("apps/shop/cart.yaml", application_yaml("cart", version="2.0.0"))
    commit_as(gitops, "Tidy up (#15)", "alice <alice@example.com>")
    gitops.push()
    return gitops


def test_backfill_from_git_history_without_github(
    history: GitOpsRepo, make_settings: SettingsFactory, database_url: str, tmp_path: Path
) -> None:
    config = make_settings.write(
        database={"url": database_url}, platformTeam=["alice"], source={"webUrl": None}
    )
    assert main(["backfill-prs", "--config", str(config)]) == 0
    database = Database(database_url)
    try:
        first = rows(database)
        found = {row[1]: (row[2], row[3], row[6], row[7], row[8]) for row in first}
        assert found == {
            12: ("Add the ledger service", "dana", ["apps/shop/ledger.yaml"], True, False),
            13: ("Add the cart", "Erin Example", ["apps/shop/cart.yaml"], True, False),
            15: ("Tidy up", "alice", ["apps/shop/cart.yaml", "apps/shop/web.yaml"], False, False),
        }
        assert all(row[0] == history.url for row in first)  # no GitHub name: the source URL
        assert main(["backfill-prs", "--config", str(config)]) == 0
        assert rows(database) == first
    finally:
        database.dispose()


def test_backfill_since_a_date(
    history: GitOpsRepo, make_settings: SettingsFactory, database_url: str
) -> None:
    config = make_settings.write(database={"url": database_url})
    assert main(["backfill-prs", "--config", str(config), "--since", "2999-01-01"]) == 0
    database = Database(database_url)
    try:
        assert rows(database) == []
    finally:
        database.dispose()
