"""The ingestor built from the settings: what ``serve`` and ``export`` share, without the web,
database or GitHub libraries (docs/architecture.md §2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from catalog_service.ingest.compiling import FileCompiler, available_processors
from catalog_service.ingest.ingestor import Ingestor
from catalog_service.settings import Settings
from catalog_service.sources.credentials import Token
from catalog_service.sources.git import GitSource
from catalog_service.sources.repository import entity_context

if TYPE_CHECKING:
    from catalog_service.github.client import GitHubClient


def build_ingestor(settings: Settings, github: GitHubClient | None = None) -> Ingestor:
    """The ingestor; a private repository is fetched with the GitHub token, or with the App's
    installation token (``github``), given to git through its environment, never its argv.
    Without ``github`` (the CLI's export and backfill), an App gets a client of its own."""
    if github is None and settings.github.app is not None:
        from catalog_service.github.pygithub import PyGithubClient  # only an App needs it

        github = PyGithubClient(settings.github)
    source = build_git_source(settings, git_token(settings, github))
    context = entity_context(settings)
    compiler = FileCompiler(context, available_processors())  # a cold ingest on every processor
    return Ingestor(source, context, settings.ingest, compiler=compiler)


def build_git_source(settings: Settings, token: Token | None) -> GitSource:
    """The Git source of ``source.*``: the ingest's, and ``render``'s."""
    return GitSource(
        url=settings.source.url,
        branch=settings.source.branch,
        roots=settings.source.roots,
        mirror_dir=settings.mirror_dir(),
        token=token,
        timeout=settings.source.timeoutSeconds,
        # The default folder lies in the service's own cache: what is there came from us.
        adopt_old_mirror=settings.source.cacheDir is None,
    )


def git_token(settings: Settings, github: GitHubClient | None) -> Token | None:
    """What git over HTTPS authenticates with: ``github.token``, or, with a GitHub App, the
    client's installation tokens, asked for anew by each fetch or push (they last an hour)."""
    if settings.github.token is not None:
        return settings.github.token.get_secret_value()
    if github is None or settings.github.app is None:
        return None
    from catalog_service.github.pygithub import PyGithubClient

    return github.access_token if isinstance(github, PyGithubClient) else None
