"""A GitOps repository with its catalog served, a GitHub double, and pull requests opened the way
GitHub keeps them: the head commit pushed to ``refs/pull/<n>/head`` on the base remote."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

import git

from catalog_service.github.pull_request_check import PullRequestChecker
from catalog_service.service import Services
from catalog_service.sources.git import GitSource
from catalog_service.webhooks.events import PullRequestEvent
from tests.github.support import REPO, Waits
from tests.support.github_double import GitHubDouble
from tests.support.manifests import system_yaml
from tests.support.repos import GitOpsRepo


@dataclass
class Checking:
    gitops: GitOpsRepo
    services: Services
    checker: PullRequestChecker
    double: GitHubDouble
    waits: Waits = field(default_factory=Waits)

    @property
    def source(self) -> GitSource:
        source = self.services.ingestor.source
        assert isinstance(source, GitSource)
        return source

    def refresh(self) -> None:
        asyncio.run(self.services.refresher.refresh())

    def open_pull(self, number: int, change: Callable[[GitOpsRepo], object]) -> str:
        """Commit ``change`` on a branch off main and publish it as pull request ``number``."""
        repo = self.gitops.repo
        repo.git.checkout("-B", f"pr-{number}", "main")
        change(self.gitops)
        sha = self.gitops.commit(f"Pull request {number}", push=False)
        repo.git.push("--force", "origin", f"{sha}:refs/pull/{number}/head")
        repo.git.checkout("main")
        return sha

    def event(self, number: int, head_sha: str, **fields: str) -> PullRequestEvent:
        values = {
            "repository": REPO,
            "head_ref": f"pr-{number}",
            "base_ref": "main",
            "action": "opened",
        } | fields
        return PullRequestEvent(number=number, head_sha=head_sha, **values)

    def private_refs(self) -> str:
        refs: str = git.Repo(self.source.git_dir).git.for_each_ref("refs/idp")
        return refs


def base_catalog(gitops: GitOpsRepo) -> None:
    """payments: payments-api (with a db) and ledger-api, which depends on it."""
    gitops.write("apps/payments/system.yaml", system_yaml("payments"))
    gitops.add_application("payments-api", system="payments", components=[("db", "postgresql")])
    gitops.add_application("ledger-api", system="payments", depends_on=["payments-api"])
    gitops.commit("Base catalog")
