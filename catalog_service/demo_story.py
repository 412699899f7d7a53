"""The demo's story: the shipped manifests arrive in the demo repository the way a company's
history brings them, over months, through merged pull requests of several developers and of the
platform team, and a few self-service action calls are on record. A newcomer's first
``/dashboard`` then shows curves, not a flat line and "nothing recorded yet".

Told once, on the repository ``prepare_demo`` just made (its one commit): the history is written
with git's plumbing (a private index, ``commit-tree``, dates in the environment), ends in exactly
the shipped tree, and replaces that commit. The merged pull requests are then recorded from the
history as ``backfill-prs`` does without GitHub, and the example action calls go into the audit
log, marked as the demo's.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from catalog_service.db import Database, audit, state, upgrade
from catalog_service.errors import CatalogError
from catalog_service.settings import Settings
from catalog_service.vocabulary import CREATE_APPLICATION, PROMOTE_IMAGE, ActionName, ActionOutcome

logger = logging.getLogger(__name__)

FIRST_COMMIT = "Demo GitOps repository"
RECORDED_KEY = "demo.story.recorded"
PLATFORM_TEAM = ("alice", "bob")  # examples/demo-config.yaml's platformTeam


@dataclass(frozen=True)
class PullRequest:
    number: int
    days_ago: int
    author: str  # a GitHub login
    merged_by: str
    title: str
    paths: tuple[str, ...]


# Platform team first, then developers on their own: the autonomous share grows.
STORY = (
    PullRequest(1, 170, "alice", "alice", "Bootstrap the catalog: identity and Keycloak",
                ("apps/identity/system.yaml", "apps/identity/keycloak.yaml")),
    PullRequest(2, 150, "bob", "alice", "Add the payments system and its ledger",
                ("apps/payments/system.yaml", "apps/payments/ledger.yaml")),
    PullRequest(3, 128, "dana", "bob", "Add payments-api", ("apps/payments/payments-api.yaml",)),
    PullRequest(4, 110, "erik", "erik", "Add the storefront", ("apps/storefront/web.yaml",)),
    PullRequest(5, 92, "farah", "farah", "Add warehouse-loader, the nightly ETL",
                ("apps/data-platform/warehouse-loader.yaml",)),
    PullRequest(6, 75, "alice", "bob", "Add Grafana and Metabase for the data platform",
                ("apps/data-platform/grafana.yaml", "apps/data-platform/metabase.yaml")),
    PullRequest(7, 58, "dana", "dana", "Add fraud-scoring", ("apps/payments/fraud-scoring.yaml",)),
    PullRequest(8, 41, "gita", "gita", "Add auth-service", ("apps/identity/auth-service.yaml",)),
    PullRequest(9, 24, "erik", "erik", "Add checkout-api", ("apps/storefront/checkout-api.yaml",)),
    PullRequest(10, 12, "farah", "alice", "Add customer-metrics",
                ("apps/data-platform/customer-metrics.yaml",)),
    PullRequest(11, 5, "bob", "bob", "Keep the legacy SSO bridge in the catalog (deprecated)",
                ("apps/identity/legacy-sso-bridge.yaml",)),
)  # fmt: skip


@dataclass(frozen=True)
class ActionCall:
    days_ago: int
    actor: str
    action: ActionName
    inputs: dict[str, str]
    outcome: ActionOutcome
    message: str


CALLS = (
    ActionCall(129, "user:default/dana", CREATE_APPLICATION,
               {"name": "payments-api", "system": "payments"}, "succeeded",
               "created apps/payments/payments-api.yaml (demo)"),
    ActionCall(60, "user:default/dana", CREATE_APPLICATION,
               {"name": "fraud-scoring", "system": "payments"}, "succeeded",
               "created apps/payments/fraud-scoring.yaml (demo)"),
    ActionCall(45, "user:default/dana", PROMOTE_IMAGE,
               {"application": "payments-api", "from": "dev"}, "succeeded",
               "promoted payments-api to staging (demo)"),
    ActionCall(30, "user:default/erik", PROMOTE_IMAGE,
               {"application": "web", "from": "staging"}, "rejected",
               "only group:default/team-platform may promote into prod (demo)"),
    ActionCall(25, "user:default/erik", CREATE_APPLICATION,
               {"name": "checkout-api", "system": "storefront"}, "succeeded",
               "created apps/storefront/checkout-api.yaml (demo)"),
    ActionCall(9, "user:default/farah", PROMOTE_IMAGE,
               {"application": "warehouse-loader", "from": "dev"}, "succeeded",
               "promoted warehouse-loader to staging (demo)"),
    ActionCall(3, "user:default/alice", PROMOTE_IMAGE,
               {"application": "payments-api", "from": "staging"}, "succeeded",
               "promoted payments-api to prod (demo)"),
)  # fmt: skip


def tell_the_story(settings: Settings, now: dt.datetime | None = None) -> bool:
    """Write the history into a demo repository that has only its first commit, then record
    its pull requests and the example calls (once). Whether the history was written."""
    now = now or dt.datetime.now(dt.UTC)
    repository = Path(settings.source.url)
    told = _fresh(repository) and _write_history(repository, now)
    database = Database(settings.database.url)
    try:
        upgrade(database.url)
        with database.session() as session:
            if state.get(session, RECORDED_KEY) is not None:
                return told
        _record(settings, database, now)
    except CatalogError as error:  # the demo serves anyway; the next start records again
        logger.warning("the demo's pull requests and action calls are not recorded: %s", error)
    finally:
        database.dispose()
    return told


def _record(settings: Settings, database: Database, now: dt.datetime) -> None:
    from catalog_service.pull_requests.backfill import backfill

    backfill(settings, database=database)  # from the history, as backfill-prs does without GitHub
    with database.session() as session:
        for call in CALLS:
            audit.add(
                session,
                actor=call.actor,
                action=call.action,
                inputs={**call.inputs, "requestedBy": call.actor},
                dry_run=False,
                outcome=call.outcome,
                duration_seconds=0.4,
                message=call.message,
                created_at=now - dt.timedelta(days=call.days_ago, hours=2),
            )
        state.put(session, RECORDED_KEY, now.isoformat())


def _git(repository: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        ["git", "-C", str(repository), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", **(env or {})},
    )
    return done.stdout.strip()


def _fresh(repository: Path) -> bool:
    """Only the first commit ``prepare_demo`` made: a developer's commits are never rewritten."""
    try:
        subjects = _git(repository, "log", "--format=%s", "main").splitlines()
    except subprocess.CalledProcessError:
        return False
    return subjects == [FIRST_COMMIT]


def _identity(login: str) -> tuple[str, str]:
    return login.capitalize(), f"{login}@users.noreply.github.com"


def _commit(
    repository: Path,
    tree: str,
    parents: tuple[str, ...],
    message: str,
    author: tuple[str, str],
    committer: tuple[str, str],
    when: dt.datetime,
) -> str:
    stamp = f"{int(when.timestamp())} +0000"
    env = {
        "GIT_AUTHOR_NAME": author[0],
        "GIT_AUTHOR_EMAIL": author[1],
        "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_NAME": committer[0],
        "GIT_COMMITTER_EMAIL": committer[1],
        "GIT_COMMITTER_DATE": stamp,
    }
    args = ["commit-tree", tree, "-m", message]
    for parent in parents:
        args += ["-p", parent]
    return _git(repository, *args, env=env)


def _add(repository: Path, index: dict[str, str], paths: tuple[str, ...]) -> str:
    """The shipped files at ``paths`` added to the story's index; the tree it now holds."""
    for path in paths:
        blob = _git(repository, "rev-parse", f"main:{path}")
        _git(repository, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=index)
    return _git(repository, "write-tree", env=index)


def _write_history(repository: Path, now: dt.datetime) -> bool:
    """Each pull request: its branch commit (the author's), merged with a merge commit (whoever
    pressed the button, committed by GitHub) on the first-parent line; then what the story left
    out, so the last tree is the shipped one. ``main`` moves to it; the work tree is unchanged."""
    final_tree = _git(repository, "rev-parse", "main^{tree}")
    index = {"GIT_INDEX_FILE": str(repository / ".git" / "demo-story-index")}
    github = ("GitHub", "noreply@github.com")
    _git(repository, "read-tree", "--empty", env=index)
    tip = _commit(
        repository,
        _add(repository, index, ("README.md",)),
        (),
        "Initial commit",
        _identity("alice"),
        _identity("alice"),
        now - dt.timedelta(days=180),
    )
    for pull in STORY:
        tree = _add(repository, index, pull.paths)
        merged_at = now - dt.timedelta(days=pull.days_ago)
        author = _identity(pull.author)
        work = _commit(
            repository,
            tree,
            (tip,),
            pull.title,
            author,
            author,
            merged_at - dt.timedelta(days=1, hours=3),
        )
        branch = pull.title.lower().split(":")[0].replace(" ", "-")[:40]
        message = f"Merge pull request #{pull.number} from {pull.author}/{branch}\n\n{pull.title}"
        tip = _commit(
            repository, tree, (tip, work), message, _identity(pull.merged_by), github, merged_at
        )
    if _git(repository, "rev-parse", f"{tip}^{{tree}}") != final_tree:
        tip = _commit(
            repository,
            final_tree,
            (tip,),
            "Tidy up the demo repository",
            _identity("alice"),
            _identity("alice"),
            now - dt.timedelta(days=1),
        )
    Path(index["GIT_INDEX_FILE"]).unlink(missing_ok=True)
    _git(repository, "update-ref", "refs/heads/main", tip)
    _git(repository, "read-tree", "main")  # the index matches the work tree again
    return True
