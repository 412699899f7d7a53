"""A GitOps repository whose commits land on chosen dates, and a history over its mirror."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from catalog_service.adoption.history import STATE_KEY, AdoptionHistory
from catalog_service.db import Database, adoption, state
from catalog_service.domain.entities import EntityContext
from catalog_service.sources.git import GitSource
from tests.support.repos import GitOpsRepo

CONTEXT = EntityContext(
    environments=("dev", "staging", "prod"), links=(), location_prefix="file:/gitops/"
)


def vendor_yaml(name: str, *, system: str) -> str:
    return f"""\
apiVersion: idp/v1alpha1
kind: Application
metadata: {{name: {name}, system: {system}, owner: team-platform}}
spec:
  type: vendor
  chart: {{repository: https://charts.example.com, name: {name}}}
  environments:
    dev: {{version: "1.0.0"}}
"""


def commit_at(gitops: GitOpsRepo, when: str, message: str = "Change manifests") -> str:
    """Commit everything with both dates set to ``when`` (ISO, with its offset); push it."""
    env = {"GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": when}
    gitops.repo.git.add("--all")
    gitops.repo.git.commit("--allow-empty", "--no-verify", "--message", message, env=env)
    return gitops.head


def mirror_of(gitops: GitOpsRepo, folder: Path) -> GitSource:
    return GitSource(url=gitops.url, branch="main", roots=["apps"], mirror_dir=folder)


def rows(database: Database) -> list[tuple[str, str, str, int]]:
    """The stored series as (day, type, system, count), in order."""
    with database.session() as session:
        return [
            (row.day.isoformat(), row.type, row.system, row.count)
            for row in adoption.series(session)
        ]


def fresh_walk(gitops: GitOpsRepo, folder: Path, database: Database) -> None:
    """Forget the history, then walk it anew with a history over a mirror of its own."""
    with database.session() as session:
        adoption.delete_from(session, dt.date.min)
        state.delete(session, STATE_KEY)
    source = mirror_of(gitops, folder)
    try:
        assert AdoptionHistory(source, database, CONTEXT).update(source.fetch()).mode == "walked"
    finally:
        source.close()
