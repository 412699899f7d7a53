"""Which GitHub repository is ours, decided once (docs/architecture.md §4).

The GitOps repository on GitHub is the one ``source.url`` names, or the one ``source.webUrl``
names when the source URL is not GitHub's (a mirror, a local path). The actions open their pull
requests there, the checker posts its check runs there, the recorder and the webhooks take its
pull requests and pushes, and the entities point at its web page: all of them ask this module,
so that they can never disagree.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from catalog_service.domain.entities import EntityContext, LinkTemplate
from catalog_service.sources.urls import redacted_url

if TYPE_CHECKING:
    from catalog_service.settings import Settings

log = logging.getLogger(__name__)

_SCP_LIKE = re.compile(r"^[\w.-]+@(?P<host>[\w.-]+):(?P<path>.+)$")
_SSH_URL = re.compile(r"^(?:ssh|git)://(?:[^@/]+@)?(?P<host>[^/:]+)(?::\d+)?/(?P<path>.+)$")


@dataclass(frozen=True)
class RepositoryIdentity:
    """The GitOps repository as everything else sees it.

    ``web_url``: its web page without a trailing slash (entity locations), None for a local
    path without ``source.webUrl``; ``github``: ``owner/name`` on GitHub, None when unknown;
    ``on_github``: the web page is GitHub's (it has an editor: ``edit-url``)."""

    web_url: str | None
    github: str | None
    on_github: bool
    source_url: str
    ignored_web_url: str | None = None  # a source.webUrl naming another repository than source.url

    def unknown_reason(self) -> str:
        """Why there is no GitHub repository, and what to set: for logs and webhook answers."""
        return (
            f"the GitOps repository on GitHub is unknown: source.url "
            f"({redacted_url(self.source_url)}) is not a GitHub URL; set source.webUrl to the"
            f" repository's GitHub page (https://github.com/OWNER/NAME)"
        )

    def log_ignored_web_url(self) -> None:
        if self.ignored_web_url is not None:
            log.warning(
                "source.webUrl %s names another repository than source.url (%s): the one"
                " source.url names is the GitOps repository; remove source.webUrl or correct it",
                self.ignored_web_url,
                self.github,
            )

    def is_ours(self, repository: str | None) -> bool:
        """Whether ``owner/name`` from GitHub is this repository (GitHub ignores case)."""
        return (
            self.github is not None
            and repository is not None
            and repository.casefold() == self.github.casefold()
        )


def repository_identity(
    source_url: str, web_url: str | None, github_web_url: str = "https://github.com"
) -> RepositoryIdentity:
    """Which repository is ours, from ``source.url``, ``source.webUrl`` and GitHub's host."""
    github_hosts = {"github.com", urlsplit(github_web_url).hostname}
    derived = _web_url(source_url)
    configured = web_url.rstrip("/") if web_url else None
    ignored: str | None = None
    if derived is not None and urlsplit(derived).hostname in github_hosts:
        page: str | None = derived
        github = _slug(derived)
        if configured is not None and str(_slug(configured)).casefold() != str(github).casefold():
            ignored = configured
    else:
        page = configured or derived
        github = _slug(configured) if configured is not None else None
    on_github = page is not None and urlsplit(page).hostname in github_hosts
    return RepositoryIdentity(page, github, on_github, source_url, ignored)


def identity_of(settings: Settings) -> RepositoryIdentity:
    """The repository the settings name."""
    return repository_identity(settings.source.url, settings.source.webUrl, settings.github.web_url)


def entity_context(settings: Settings) -> EntityContext:
    """What the entities are built with: the environments, links and the repository's pages."""
    identity = identity_of(settings)
    return EntityContext(
        environments=tuple(settings.environments),
        links=tuple(LinkTemplate(link.title, link.url) for link in settings.links),
        location_prefix=location_prefix(settings, identity),
        github_web_url=settings.github.web_url,
        edit_url_prefix=edit_url_prefix(settings, identity),
    )


def location_prefix(settings: Settings, identity: RepositoryIdentity | None = None) -> str:
    """Where a manifest can be seen: its blob on GitHub at the branch, or its file locally."""
    web = (identity or identity_of(settings)).web_url
    if web is not None:
        return f"url:{web}/blob/{settings.source.branch}/"
    return f"file:{Path(settings.source.url).expanduser().resolve()}/"


def edit_url_prefix(settings: Settings, identity: RepositoryIdentity | None = None) -> str | None:
    """GitHub's editor for the branch's files, when the repository is on GitHub."""
    identity = identity or identity_of(settings)
    if identity.web_url is None or not identity.on_github:
        return None
    return f"{identity.web_url}/edit/{settings.source.branch}/"


def _slug(web_url: str) -> str | None:
    parts = [part for part in urlsplit(web_url).path.split("/") if part]
    if len(parts) < 2:
        return None
    return f"{parts[-2]}/{parts[-1].removesuffix('.git')}"


def _web_url(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host  # never the credentials
        path = parts.path.rstrip("/").removesuffix(".git")
        return f"{parts.scheme}://{netloc}{path}"
    match = _SCP_LIKE.match(url) or _SSH_URL.match(url)
    if match is None:
        return None
    path = match["path"].rstrip("/").removesuffix(".git")
    return f"https://{match['host']}/{path}"


def gitops_repository(settings: Settings) -> str | None:
    """``owner/name`` of the GitOps repository on GitHub, or None."""
    return identity_of(settings).github
