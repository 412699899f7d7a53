"""The action service built from the settings: the writer on the source's remote, the pull
requests on the GitOps repository's GitHub (through the service's one client, when configured),
dry runs read from the mirror."""

from __future__ import annotations

from collections.abc import Callable

from catalog_service.actions.git_writer import GitWriter
from catalog_service.actions.restart import Restarter
from catalog_service.actions.service import ActionService, redact
from catalog_service.argocd.client import ArgoCD
from catalog_service.db import Database
from catalog_service.domain.entities import EntityContext
from catalog_service.errors import SourceError
from catalog_service.github.client import GitHubClient
from catalog_service.ingest.ingestor import Ingestor, Snapshot
from catalog_service.settings import Settings
from catalog_service.sources.credentials import Token


def build_action_service(
    settings: Settings,
    context: EntityContext,
    database: Database,
    snapshot: Callable[[], Snapshot | None],
    ingestor: Ingestor,
    repository: str | None,
    *,
    github: GitHubClient | None,
    git_token: Token | None,
    argocd: ArgoCD | None = None,
) -> ActionService:
    """``repository``: ``owner/name`` of the GitOps repository on GitHub (sources/repository.py
    decides it, for the checker and the recorder too); ``github`` is the service's one client
    (None: no GitHub); ``git_token`` what the writer's pushes authenticate with (a provider:
    asked anew for each push); ``argocd`` the client restart-application asks (None: no
    ``argocd:`` section)."""
    return ActionService(
        settings=settings,
        context=context,
        database=database,
        snapshot=snapshot,
        read=mirror_reader(ingestor),
        writer=GitWriter(
            settings.source.url,
            settings.source.roots,
            token=git_token,
            timeout=settings.source.timeoutSeconds,
            reference=getattr(ingestor.source, "git_dir", None),
        ),
        github=github,
        repository=repository,
        restarter=Restarter(settings, database, snapshot, argocd, redact),
    )


def mirror_reader(ingestor: Ingestor) -> Callable[[str, str], bytes | None]:
    """A file at a revision, from the source's local mirror (no network)."""

    def read(revision: str, path: str) -> bytes | None:
        read_git = getattr(ingestor.source, "read_git", None)
        if read_git is None:
            raise SourceError("this source cannot read files at a revision")
        try:
            data: bytes = read_git("cat-file", "blob", f"{revision}:{path}")
        except SourceError:
            return None
        return data

    return read
