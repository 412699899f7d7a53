"""The actions through the HTTP API on a real GitOps remote (a bare repository), the pull
requests on the GitHub double; each test on SQLite and on PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import git
import httpx
import pytest
from fastapi.testclient import TestClient

from catalog_service.actions.git_writer import GitWriter
from catalog_service.actions.restart import Restarter
from catalog_service.actions.service import ActionService, redact
from catalog_service.actions.wiring import mirror_reader
from catalog_service.argocd.client import HttpArgoCD
from catalog_service.http.app import create_app
from catalog_service.http.routes.actions import action_service
from catalog_service.service import build_ingestor
from catalog_service.settings import Settings
from tests.db.support import BACKENDS, empty_database
from tests.github.support import make_client
from tests.support.github_double import GitHubDouble
from tests.support.repos import GitOpsRepo
from tests.support.settings import TEST_TOKEN, SettingsFactory

AUTH = {"Authorization": f"Bearer {TEST_TOKEN}"}
REPO = "acme/gitops"
ALICE = "user:default/alice"


@dataclass
class Harness:
    client: TestClient
    gitops: GitOpsRepo
    settings: Settings
    temp_root: Path  # where the writer makes its work trees
    double: GitHubDouble | None
    actions: ActionService

    def post(self, action: str, body: dict[str, Any]) -> httpx.Response:
        response: httpx.Response = self.client.post(
            f"/api/v1/actions/{action}", json=body, headers=AUTH
        )
        return response

    def promote(self, **body: Any) -> httpx.Response:
        body.setdefault("requestedBy", ALICE)
        return self.post("promote-image", body)

    def create(self, **body: Any) -> httpx.Response:
        body = {
            "system": "shop",
            "owner": "team-shop",
            "type": "service",
            "image": "registry.example.com/app",
            "sourceRepository": "acme/app",
            **body,
        }
        body.setdefault("requestedBy", ALICE)
        return self.post("create-application", body)

    def audit(self, **query: Any) -> list[dict[str, Any]]:
        response = self.client.get("/api/v1/audit", params=query)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def remote_branches(self) -> dict[str, str]:
        assert self.gitops.remote_dir is not None
        remote = git.Repo(self.gitops.remote_dir)
        return {head.name: head.commit.hexsha for head in remote.heads}

    def remote_file(self, branch: str, path: str) -> str:
        assert self.gitops.remote_dir is not None
        return str(git.Repo(self.gitops.remote_dir).git.show(f"{branch}:{path}")) + "\n"

    def refresh(self) -> None:
        ingestor = self.client.app.state.services.ingestor  # type: ignore[attr-defined]
        assert ingestor.refresh().status in ("applied", "unchanged")


HarnessFactory = Callable[..., Harness]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def harness(
    backend: str,
    gitops: GitOpsRepo,
    make_settings: SettingsFactory,
    tmp_path: Path,
    github_double: GitHubDouble,
) -> Iterator[HarnessFactory]:
    """``harness(github=True, url=None, **settings)``: the service, ingested, its actions on a
    writer whose temporary folders lie in ``temp_root``."""
    with empty_database(backend, tmp_path) as database_url, contextlib.ExitStack() as stack:

        def make(*, github: bool = True, url: str | None = None, **overrides: Any) -> Harness:
            source = {"url": url} if url else {}
            settings = make_settings(database={"url": database_url}, source=source, **overrides)
            ingestor = build_ingestor(settings)
            stack.callback(ingestor.close)
            app = create_app(settings, ingestor, poll=False)
            client = stack.enter_context(TestClient(app))
            assert ingestor.refresh().status == "applied"
            services = app.state.services
            temp_root = tmp_path / "writer-tmp"
            temp_root.mkdir(exist_ok=True)
            client_gh = make_client(github_double, max_retries=0) if github else None
            actions = ActionService(
                settings=settings,
                context=services.context,
                database=services.database,
                snapshot=lambda: ingestor.snapshot,
                read=mirror_reader(ingestor),
                writer=GitWriter(
                    settings.source.url,
                    settings.source.roots,
                    temp_root=temp_root,
                    reference=ingestor.source.git_dir,  # type: ignore[attr-defined]
                ),
                github=client_gh,
                repository=REPO,
            )
            stack.callback(actions.close)
            if settings.argocd is not None:  # restart-application on the Argo CD double
                argocd = HttpArgoCD(settings.argocd)
                stack.callback(argocd.close)
                snapshot = lambda: ingestor.snapshot  # noqa: E731
                actions.restarter = Restarter(settings, services.database, snapshot, argocd, redact)
            app.dependency_overrides[action_service] = lambda: actions
            double = github_double if github else None
            return Harness(client, gitops, settings, temp_root, double, actions)

        yield make
