"""The ``checking`` fixture: a served catalog, the GitHub double, and a checker reporting to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from catalog_service.github.pull_request_check import PullRequestChecker
from catalog_service.service import build_services
from catalog_service.sources.git import GitSource
from tests.github.support import REPO, Waits, make_client
from tests.pull_requests.support import Checking, base_catalog
from tests.support.github_double import GitHubDouble
from tests.support.repos import GitOpsRepo
from tests.support.settings import SettingsFactory


@pytest.fixture
def checking(
    gitops: GitOpsRepo, make_settings: SettingsFactory, github_double: GitHubDouble
) -> Iterator[Checking]:
    base_catalog(gitops)
    services = build_services(make_settings())
    source = services.ingestor.source
    assert isinstance(source, GitSource)
    waits = Waits()
    checker = PullRequestChecker(
        repository=REPO,
        source=source,
        served=services.served,
        github=make_client(github_double),
        context=services.context,
        sleep=waits,
    )
    result = Checking(gitops, services, checker, github_double, waits)
    result.refresh()
    try:
        yield result
    finally:
        services.close()
