"""What ``GET /api/v1/applications/{name}/status`` answers (docs/api.md, docs/argocd.md): per
environment the version in git (the served catalog, always current) and what Argo CD reports
(sync, health, the pods that are not Healthy), and the live database copies.

Argo CD's part is cached per application for ``argocd.statusCacheSeconds``; one fetch per
application at a time however many requests ask (they wait for the same one). Past the cache,
an observation up to ``STALE_SECONDS`` old is answered at once while a new one is fetched, so
a busy entity page never waits on Argo CD; an older one, or none, is waited for, at most
``argocd.timeoutSeconds``. Argo CD down or slow is never an error here: git's view, with
``argocd.state = "unavailable"`` and why, at once for ``BACKOFF_SECONDS`` after Argo CD was found
unreachable. Without ``argocd:``, git's view and "not-configured".
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

from catalog_service.argocd.client import ArgoCD
from catalog_service.argocd.settings import ArgoCDApiSettings, argocd_name
from catalog_service.argocd.tree import ApplicationState, PodHealth, ResourceTree
from catalog_service.domain.catalog import Catalog, CompiledApplication
from catalog_service.domain.versions import ApplicationIndex, versions_of
from catalog_service.errors import (
    ArgoCDApplicationMissingError,
    ArgoCDUnavailableError,
    CatalogError,
    NotFoundError,
    NotReadyError,
)

State = Literal["ok", "not-configured", "unavailable"]
STALE_SECONDS = 60.0  # an observation this old is still answered at once (and refreshed)
# Argo CD found unreachable or too slow: for this long no new fetch is started (every page asks
# at once and is answered git's view at once, instead of queueing behind calls that time out).
BACKOFF_SECONDS = 10.0
MAX_CACHED = 20_000  # applications whose observation is kept
FETCH_THREADS = 16


@dataclass(frozen=True, slots=True)
class LiveCopy:
    """A live database copy in one environment (issue 17's ``copies``)."""

    component: str
    source_environment: str
    expires_at: dt.datetime


def live_copies_of(app: CompiledApplication, now: dt.datetime) -> dict[str, list[LiveCopy]]:
    """``{environment: its live copies}``: the compiled manifest's copies not yet expired."""
    live: dict[str, list[LiveCopy]] = {}
    for item in app.copies:
        if item.copy.expires_at > now:
            copy = LiveCopy(item.copy.component, item.copy.source_environment, item.copy.expires_at)
            live.setdefault(item.environment, []).append(copy)
    return live


@dataclass(frozen=True, slots=True)
class EnvironmentStatus:
    environment: str
    version: str
    argocd_application: str
    sync: str | None = None
    health: str | None = None
    pods: tuple[PodHealth, ...] = ()
    copies: tuple[LiveCopy, ...] = ()


@dataclass(frozen=True, slots=True)
class ApplicationStatus:
    application: str
    state: State
    message: str | None
    environments: tuple[EnvironmentStatus, ...]
    observed_at: dt.datetime


@dataclass(frozen=True, slots=True)
class _Seen:
    """What Argo CD said of one Argo CD application (None: it has no such application)."""

    state: ApplicationState | None
    tree: ResourceTree | None


@dataclass(frozen=True, slots=True)
class Observation:
    names: tuple[str, ...]  # the Argo CD applications asked about
    seen: Mapping[str, _Seen]
    message: str | None  # why Argo CD's view is missing or partial; None: complete
    at: float  # time.monotonic()
    observed_at: dt.datetime


@dataclass
class StatusService:
    settings: ArgoCDApiSettings | None
    argocd: ArgoCD | None
    catalog: Callable[[], Catalog | None]
    clock: Callable[[], float] = time.monotonic
    index: ApplicationIndex = field(default_factory=ApplicationIndex)
    fetches: int = 0  # observations fetched from Argo CD so far (the tests count them)
    _cache: dict[str, Observation] = field(default_factory=dict)
    _inflight: dict[str, asyncio.Task[Observation]] = field(default_factory=dict)
    _down: tuple[float, str] | None = None  # (until, why): Argo CD unreachable lately
    _threads: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(FETCH_THREADS, "argocd-status")
    )

    async def status(self, name: str) -> ApplicationStatus:
        catalog = self.catalog()
        if catalog is None:
            raise NotReadyError("no catalog yet: the first ingest has not finished")
        app = self.index.get(catalog, name)
        if app is None:
            declared = catalog.declared.get(name)
            raise NotFoundError(
                f"no application named {name!r} in the catalog"
                + (
                    f" ({declared} declares it, with errors: see /api/v1/problems)"
                    if declared
                    else ""
                )
            )
        versions = versions_of(app)
        names = {env: argocd_name(self.settings, name, env) for env in versions}
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        copies = live_copies_of(app, now)
        if self.argocd is None or self.settings is None:
            views = [self._view(env, versions, names, None, copies) for env in versions]
            return ApplicationStatus(name, "not-configured", None, tuple(views), now)
        seen = await self._observation(name, tuple(names.values()))
        views = [self._view(env, versions, names, seen, copies) for env in versions]
        state: State = "ok" if seen.message is None else "unavailable"
        return ApplicationStatus(name, state, seen.message, tuple(views), seen.observed_at)

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _view(
        env: str,
        versions: Mapping[str, str],
        names: Mapping[str, str],
        seen: Observation | None,
        copies: Mapping[str, Sequence[LiveCopy]],
    ) -> EnvironmentStatus:
        found = seen.seen.get(names[env]) if seen is not None else None
        state = found.state if found is not None else None
        return EnvironmentStatus(
            environment=env,
            version=versions[env],
            argocd_application=names[env],
            sync=state.sync if state else None,
            health=state.health if state else None,
            pods=found.tree.unhealthy_pods if found is not None and found.tree else (),
            copies=tuple(copies.get(env, ())),
        )

    # -- the cache -----------------------------------------------------------------------------

    async def _observation(self, name: str, names: tuple[str, ...]) -> Observation:
        assert self.settings is not None
        cached = self._cache.get(name)
        age = self.clock() - cached.at if cached is not None else None
        down = self._down if self._down and self.clock() < self._down[0] else None
        if cached is not None and cached.names == names and age is not None:
            if age < self.settings.statusCacheSeconds:
                return cached
            if age < STALE_SECONDS:
                if down is None:
                    self._fetch(name, names)  # in the background; this answers at once
                return cached
        if down is not None:
            return self._unavailable(names, down[1])
        task = self._fetch(name, names)
        try:
            return await asyncio.wait_for(asyncio.shield(task), self.settings.timeoutSeconds + 1)
        except TimeoutError:
            return self._unavailable(
                names, f"Argo CD did not answer within {self.settings.timeoutSeconds:g} s"
            )

    def _fetch(self, name: str, names: tuple[str, ...]) -> asyncio.Task[Observation]:
        """The one fetch of ``name``'s observation in flight (started if there is none)."""
        task = self._inflight.get(name)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._observe(names))
            self._inflight[name] = task
            task.add_done_callback(lambda done: self._store(name, done))
        return task

    def _store(self, name: str, task: asyncio.Task[Observation]) -> None:
        self._inflight.pop(name, None)
        if task.cancelled() or task.exception() is not None:
            return
        self._cache.pop(name, None)  # re-inserted last: the oldest go first when full
        self._cache[name] = task.result()
        while len(self._cache) > MAX_CACHED:
            self._cache.pop(next(iter(self._cache)))

    async def _observe(self, names: tuple[str, ...]) -> Observation:
        """Every Argo CD application's state and tree, all asked at once."""
        assert self.argocd is not None
        self.fetches += 1
        loop = asyncio.get_running_loop()
        argocd = self.argocd
        calls = [
            loop.run_in_executor(self._threads, ask, argocd_app)
            for argocd_app in names
            for ask in (argocd.application, argocd.resource_tree)
        ]
        results = await asyncio.gather(*calls, return_exceptions=True)
        seen: dict[str, _Seen] = {}
        problems: list[str] = []
        for index, argocd_app in enumerate(names):
            state, tree = results[2 * index], results[2 * index + 1]
            for result in (state, tree):
                if isinstance(result, ArgoCDApplicationMissingError):
                    continue  # that environment's sync and health stay null
                if isinstance(result, ArgoCDUnavailableError):
                    self._down = (self.clock() + BACKOFF_SECONDS, result.message)
                if isinstance(result, CatalogError):
                    problems.append(result.message)
                elif isinstance(result, BaseException):
                    problems.append(f"unexpected error reading {argocd_app!r} from Argo CD")
            seen[argocd_app] = _Seen(
                state if isinstance(state, ApplicationState) else None,
                tree if isinstance(tree, ResourceTree) else None,
            )
        message = "; ".join(dict.fromkeys(problems)) or None
        return Observation(names, seen, message, self.clock(), _utc_now())

    def _unavailable(self, names: tuple[str, ...], message: str) -> Observation:
        return Observation(names, {}, message, self.clock(), _utc_now())


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)
