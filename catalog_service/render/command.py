"""``catalog-service render --out DIR``: read the GitOps repository as ingest does (the same
rules, so invalid manifests are the same problems and render as nothing), render every accepted
application in every environment it lists, and write the folder."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from catalog_service.domain import manifests as m
from catalog_service.domain.catalog import (
    Catalog,
    CompiledFile,
    assemble,
    compile_file,
    rejected_symlink,
    rejected_too_large,
)
from catalog_service.domain.deployment import (
    Destination,
    RenderConfig,
    Rendered,
    render_accepted,
)
from catalog_service.domain.entities import EntityContext, utc_now
from catalog_service.domain.parsing import MAX_FILE_BYTES, ParsedFile, parse_file
from catalog_service.domain.problems import Problem
from catalog_service.ingest.build import build_git_source, git_token
from catalog_service.render.output import WriteReport, write_output
from catalog_service.settings import Settings
from catalog_service.sources.git import GitSource, TreeEntry
from catalog_service.sources.repository import identity_of
from catalog_service.sources.urls import split_credentials

log = logging.getLogger(__name__)
_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:.+$")  # git@github.com:acme/gitops.git


@dataclass(frozen=True, slots=True)
class RenderOutcome:
    revision: str
    rendered: tuple[Rendered, ...]
    problems: tuple[Problem, ...]  # ingest's, then render's own
    files: WriteReport


def render_config(settings: Settings) -> RenderConfig:
    render = settings.render
    return RenderConfig(
        chart_repo_url=render.chart.repoURL or default_chart_repository(settings),
        chart_path=render.chart.path,
        chart_revision=render.chart.targetRevision or settings.source.branch,
        project=render.argocd.project,
        argocd_namespace=render.argocd.namespace,
        namespace=render.namespace,
        destinations={
            env: Destination(server=d.server, name=d.name) for env, d in render.destinations.items()
        },
        secret_store=render.secretStore,
    )


def default_chart_repository(settings: Settings) -> str:
    """The GitOps repository as Argo CD can fetch it: ``source.url`` without the credentials it
    may carry (the Applications are committed), or ``source.webUrl`` when the source is a local
    path or a ``file:`` URL, which no Argo CD can reach (then a warning, without either)."""
    url = split_credentials(settings.source.url)[0]
    if "://" in url and not url.startswith("file:"):
        return url
    if _SCP_LIKE.match(url):
        return url
    web = identity_of(settings).web_url
    if web is not None:
        return web
    log.warning(
        "source.url (%s) is a local path, which Argo CD cannot fetch the platform chart from:"
        " set render.chart.repoURL (or source.webUrl) to the repository's URL",
        url,
    )
    return url


def render_repository(
    settings: Settings, out: Path, clock: Callable[[], datetime] = utc_now
) -> RenderOutcome:
    """``clock``: the time database copies are live at (an expired one renders as nothing)."""
    now = clock()
    revision, catalog, models = read_catalog(settings, clock=lambda: now)
    rendered, problems = render_catalog(catalog, models, settings, render_config(settings), now)
    files = {path: data for item in rendered for path, data in item.files().items()}
    report = write_output(out, files)
    return RenderOutcome(
        revision, tuple(rendered), tuple(catalog.problems) + tuple(problems), report
    )


def render_catalog(
    catalog: Catalog,
    models: dict[tuple[str, str], m.Application],
    settings: Settings,
    config: RenderConfig,
    now: datetime | None = None,
) -> tuple[list[Rendered], list[Problem]]:
    accepted = [
        (models[(app.path, app.name)], app.path, app.name_at) for app in catalog.applications
    ]
    return render_accepted(accepted, settings.environments, config, now)


def read_catalog(
    settings: Settings, clock: Callable[[], datetime] = utc_now
) -> tuple[str, Catalog, dict[tuple[str, str], m.Application]]:
    """One cold ingest of the branch; also the validated model of each application (which the
    catalog does not keep), by (path, name)."""
    source = _git_source(settings)
    try:
        revision = source.fetch()
        entries = sorted(source.list_manifests(revision), key=lambda entry: entry.path)
        context = EntityContext(
            environments=tuple(settings.environments),
            links=(),
            location_prefix="file:/",
            clock=clock,
        )
        models: dict[tuple[str, str], m.Application] = {}
        files = list(_compile(source, entries, context, models))
    finally:
        source.close()
    return revision, assemble(files, context), models


def _compile(
    source: GitSource,
    entries: Iterable[TreeEntry],
    context: EntityContext,
    models: dict[tuple[str, str], m.Application],
) -> Iterable[CompiledFile]:
    def parse(path: str, data: bytes, environments: tuple[str, ...]) -> ParsedFile:
        parsed = parse_file(path, data, environments)
        for app in parsed.applications:
            models[(path, app.manifest.metadata.name)] = app.manifest
        return parsed

    regular = []
    for entry in entries:
        if entry.is_symlink:
            yield rejected_symlink(entry.path)
        else:
            regular.append(entry)
    blobs = source.read_blobs((entry.sha for entry in regular), MAX_FILE_BYTES)
    for entry, (_, data) in zip(regular, blobs, strict=True):
        if data is None:
            yield rejected_too_large(entry.path)
        else:
            yield compile_file(entry.path, data, context, parse=parse)  # type: ignore[arg-type]


def _git_source(settings: Settings) -> GitSource:
    """The ingest's source (an App's installation token needs the GitHub client: loaded only
    then, by ``build_ingestor``'s rule)."""
    github = None
    if settings.github.app is not None:
        from catalog_service.github.pygithub import PyGithubClient

        github = PyGithubClient(settings.github)
    return build_git_source(settings, git_token(settings, github))
