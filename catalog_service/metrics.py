"""Prometheus metrics (DESIGN section 5), on a registry of each service's own.

Nothing here is global: two apps in one process (the tests run many) never share a sample.
Gauges come from the current snapshot, aggregated and written once per snapshot (right after its
ingest, or by the first scrape that sees it); the counters that must survive a restart are
counted in the database, at scrape time (cached for a moment, so that a burst of scrapes costs
one read). Only the ingest duration is observed in memory.

Definitions:
- ``idp_application_manifests{system,type,owner}``: the applications in the served catalog (the
  manifests that were accepted; a System manifest is not an application).
- ``idp_invalid_manifests``: the manifest *files* of the served catalog with at least one
  error-severity problem (a file that is refused whole, or whose documents are refused, counts
  once however many problems it has; a file with warnings only is valid).
- ``idp_ingest_held_back`` (an addition to DESIGN): 1 while an ingest is held back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.gc_collector import GCCollector
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from catalog_service.db import Database, audit, pull_requests, webhook_deliveries
from catalog_service.domain.catalog import Catalog
from catalog_service.domain.problems import ERROR
from catalog_service.errors import DatabaseError

logger = logging.getLogger(__name__)

# Every outcome of these actions is exported from the start, zero until it happens: a rate over
# a series that appears only with its first failure would miss that failure.
KNOWN_ACTIONS = ("create-application", "promote-image", "set-version")
ACTION_OUTCOMES = ("succeeded", "failed", "rejected")
# A delivery counts once its outcome is known ("received" means still being worked on: counting
# it there would make that series go down again). Deliveries refused for their signature are
# not stored as deliveries, only counted (webhook_deliveries.count_rejection).
DELIVERY_OUTCOMES = ("processed", "duplicate", "ignored", "rejected", "failed")
DATABASE_CACHE_SECONDS = 2.0
# From a one-file refresh (tens of ms) to a cold clone of a large repository (minutes).
INGEST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


class IngestState(Protocol):
    """What the metrics read of the ingest (``catalog_service.ingest.Ingestor`` has it)."""

    @property
    def snapshot(self) -> _HasCatalog | None: ...
    @property
    def held_back(self) -> object | None: ...
    @property
    def last_success_at(self) -> float | None: ...


class _HasCatalog(Protocol):
    @property
    def catalog(self) -> Catalog: ...


class CatalogCollector(Collector):
    """``idp_application_manifests`` and ``idp_invalid_manifests`` of the current catalog.

    The aggregation, and its rendering in each exposition format, is done once per catalog
    content (keyed by its digest; :attr:`preparations` counts them): a catalog of 10,000
    applications has thousands of label sets. The scrape's rendering writes the sample lines
    itself (prometheus_client's ``Metric`` and encoder took ~90 ms a format for 5,000 samples;
    the lines are the same bytes, a test holds that)."""

    def __init__(self, catalog: Callable[[], Catalog | None]) -> None:
        self._catalog = catalog
        self._cache = _CatalogCache("", _CatalogFigures((), 0), {})
        self.preparations = 0  # catalog contents aggregated so far

    def describe(self) -> Iterable[Metric]:
        return list(_catalog_families())

    def collect(self) -> Iterable[Metric]:
        cache = self._current()
        return [] if cache is None else cache.figures.families()

    def rendered(self, encoder: Callable[[CollectorRegistry], bytes], content_type: str) -> bytes:
        """Both families as ``encoder`` writes them, without OpenMetrics' closing ``# EOF``."""
        cache = self._current()
        if cache is None:
            return b""
        text = cache.rendered.get(content_type)
        if text is None:
            text = cache.figures.render(encoder)
            cache.rendered[content_type] = text  # a dict item: safe from several threads
        return text

    def _current(self) -> _CatalogCache | None:
        catalog = self._catalog()
        if catalog is None:
            return None  # no catalog yet: unknown, not zero
        cache = self._cache
        if cache.digest != catalog.digest:
            cache = _CatalogCache(catalog.digest, _CatalogFigures.of(catalog), {})
            self.preparations += 1
            self._cache = cache  # one assignment: concurrent scrapes see old or new, whole
        return cache


@dataclass(frozen=True)
class _CatalogFigures:
    """The catalog's figures: applications by (system, type, owner), sorted; invalid files."""

    groups: tuple[tuple[tuple[str, str, str], int], ...]
    invalid: int

    @classmethod
    def of(cls, catalog: Catalog) -> _CatalogFigures:
        groups = Counter((app.system, app.type, app.owner) for app in catalog.applications)
        return cls(tuple(sorted(groups.items())), invalid_manifests(catalog))

    def families(self) -> list[Metric]:
        manifests, invalid = _catalog_families()
        for labels, count in self.groups:
            manifests.add_metric(labels, count)
        invalid.add_metric((), self.invalid)
        return [manifests, invalid]

    def render(self, encoder: Callable[[CollectorRegistry], bytes]) -> bytes:
        """What ``encoder`` writes for :meth:`families`: its own header lines, and the gauge
        sample lines (alike in both formats: labels sorted by name, values escaped)."""
        manifests, invalid = _catalog_families()
        invalid.add_metric((), self.invalid)
        lines = [
            f'idp_application_manifests{{owner="{_escape(owner)}",system="{_escape(system)}",'
            f'type="{_escape(kind)}"}} {_go_float(count)}\n'
            for (system, kind, owner), count in self.groups
        ]
        return b"".join(
            (_encoded(encoder, manifests), "".join(lines).encode(), _encoded(encoder, invalid))
        )


_go_float: Callable[[float], str] = floatToGoString  # how both formats write a value


def _escape(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def _encoded(encoder: Callable[[CollectorRegistry], bytes], family: Metric) -> bytes:
    registry = CollectorRegistry()
    registry.register(_Fixed([family]))
    return encoder(registry).removesuffix(b"# EOF\n")


@dataclass
class _CatalogCache:
    digest: str
    figures: _CatalogFigures
    rendered: dict[str, bytes]  # by content type


class _Fixed(Collector):
    def __init__(self, families: list[Metric] | Callable[[], Iterable[Metric]]) -> None:
        self._families = families

    @classmethod
    def of(cls, registry: CollectorRegistry) -> _Fixed:
        """The families of ``registry``, collected anew each time."""
        return cls(registry.collect)

    def collect(self) -> Iterable[Metric]:
        families = self._families
        return families if isinstance(families, list) else families()


def _catalog_families() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
    """The two families, without samples."""
    manifests = GaugeMetricFamily(
        "idp_application_manifests",
        "Application manifests in the served catalog.",
        labels=("system", "type", "owner"),
    )
    invalid = GaugeMetricFamily(
        "idp_invalid_manifests",
        "Manifest files of the served catalog with at least one error-severity problem.",
    )
    return manifests, invalid


def invalid_manifests(catalog: Catalog) -> int:
    """The files with at least one error-severity problem (see the module's docstring)."""
    return len({problem.path for problem in catalog.problems if problem.severity == ERROR})


@dataclass(frozen=True)
class DatabaseCounts:
    pull_requests: dict[bool, int]
    actions: dict[tuple[str, str], int]
    deliveries: dict[tuple[str, str], int]


EMPTY_COUNTS = DatabaseCounts({False: 0, True: 0}, {}, {})


class DatabaseCollector(Collector):
    """The counters that live in the database, read at most once per ``max_age`` seconds.

    Without a database every count is zero; when the database cannot be read the three
    families are left out of the scrape (absent, not a made-up zero) and a warning is logged."""

    def __init__(
        self,
        database: Database | None,
        *,
        max_age: float = DATABASE_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()  # scrapes at the same moment wait for one read
        self._read_at: float | None = None
        self._counts: DatabaseCounts | None = None

    def describe(self) -> Iterable[Metric]:
        return _database_families(EMPTY_COUNTS)

    def collect(self) -> Iterable[Metric]:
        counts = self.counts()
        return [] if counts is None else _database_families(counts)

    def counts(self) -> DatabaseCounts | None:
        with self._lock:
            now = self._clock()
            if self._read_at is None or now - self._read_at >= self._max_age:
                self._counts = self._read()
                self._read_at = now
            return self._counts

    def _read(self) -> DatabaseCounts | None:
        if self._database is None:
            return EMPTY_COUNTS
        try:
            with self._database.session() as session:
                return DatabaseCounts(
                    pull_requests.count_by_autonomous(session),
                    audit.count_by_action_outcome(session),
                    webhook_deliveries.count_by_event_outcome(session),
                )
        except DatabaseError as error:
            logger.warning("metrics: cannot read the counters from the database: %s", error)
            return None


def _database_families(counts: DatabaseCounts) -> list[Metric]:
    prs = CounterMetricFamily(
        "idp_manifest_pull_requests_total",
        "Merged pull requests that add or change an application manifest.",
        labels=("autonomous",),
    )
    for autonomous in (False, True):
        prs.add_metric((str(autonomous).lower(),), counts.pull_requests.get(autonomous, 0))
    actions = CounterMetricFamily(
        "idp_actions_total",
        "Self-service action calls, by action and outcome.",
        labels=("action", "outcome"),
    )
    action_counts = dict.fromkeys(
        [(action, outcome) for action in KNOWN_ACTIONS for outcome in ACTION_OUTCOMES], 0
    )
    action_counts.update(counts.actions)
    for labels, count in sorted(action_counts.items()):
        actions.add_metric(labels, count)
    deliveries = CounterMetricFamily(
        "idp_webhook_deliveries_total",
        "GitHub webhook deliveries, by event and outcome.",
        labels=("event", "outcome"),
    )
    events = {event for event, _ in counts.deliveries}
    delivery_counts = {(e, o): 0 for e in events for o in DELIVERY_OUTCOMES}
    delivery_counts.update((k, v) for k, v in counts.deliveries.items() if k[1] != "received")
    for labels, count in sorted(delivery_counts.items()):
        deliveries.add_metric(labels, count)
    return [prs, actions, deliveries]


class IngestCollector(Collector):
    """``idp_ingest_last_success_timestamp_seconds`` and ``idp_ingest_held_back``, read from the
    ingest at scrape time."""

    def __init__(
        self, last_success: Callable[[], float | None], held_back: Callable[[], bool]
    ) -> None:
        self._last_success = last_success
        self._held_back = held_back

    def describe(self) -> Iterable[Metric]:
        return self._families(0.0, held=False)

    def collect(self) -> Iterable[Metric]:
        return self._families(self._last_success() or 0.0, held=self._held_back())

    @staticmethod
    def _families(last_success: float, *, held: bool) -> list[Metric]:
        return [
            GaugeMetricFamily(
                "idp_ingest_last_success_timestamp_seconds",
                "Unix time of the last successful ingest (0 until the first one).",
                value=last_success,
            ),
            GaugeMetricFamily(
                "idp_ingest_held_back",
                "1 while an ingest is held back (it would remove too much), else 0.",
                value=1.0 if held else 0.0,
            ),
        ]


class ServiceMetrics:
    """The metrics of one service instance: its registry, and the ingest's hook.

    The service calls :meth:`observe_ingest` after each refresh that completed."""

    def __init__(
        self,
        *,
        catalog: Callable[[], Catalog | None],
        last_success: Callable[[], float | None],
        held_back: Callable[[], bool],
        database: Database | None,
        database_max_age: float = DATABASE_CACHE_SECONDS,
    ) -> None:
        self._catalog = CatalogCollector(catalog)
        self._ingest_duration = Histogram(
            "idp_ingest_duration_seconds",
            "Time a completed ingest (fetch, compile, assemble) took.",
            buckets=INGEST_BUCKETS,
            registry=None,
        )
        # A scrape renders the catalog's families (cached) and then these others.
        self._others = CollectorRegistry()
        others: list[Collector] = [
            DatabaseCollector(database, max_age=database_max_age),
            IngestCollector(last_success, held_back),
            self._ingest_duration,
            ProcessCollector(registry=None),
            PlatformCollector(registry=None),
        ]
        for collector in others:
            self._others.register(collector)
        GCCollector(registry=self._others)  # registers itself, on CPython only
        # Every metric, for whoever reads the registry itself.
        self.registry = CollectorRegistry()
        self.registry.register(self._catalog)
        self.registry.register(_Fixed.of(self._others))

    @classmethod
    def for_ingest(cls, ingest: IngestState, database: Database | None) -> ServiceMetrics:
        """Metrics of an ``Ingestor`` (read at each scrape) and the service's database."""

        def catalog() -> Catalog | None:
            snapshot = ingest.snapshot
            return None if snapshot is None else snapshot.catalog

        return cls(
            catalog=catalog,
            last_success=lambda: ingest.last_success_at,
            held_back=lambda: ingest.held_back is not None,
            database=database,
        )

    def observe_ingest(self, seconds: float) -> None:
        """Record the duration of one completed ingest (``IngestOutcome.duration_seconds``), and
        prepare the new catalog's figures now, so that no scrape waits for them."""
        self._ingest_duration.observe(seconds)
        for accept in ("text/plain", "application/openmetrics-text"):
            self._catalog.rendered(*choose_encoder(accept))

    def exposition(self, accept: str | None = None) -> tuple[bytes, str]:
        """The body and content type of a scrape: OpenMetrics when ``accept`` asks for it, else
        Prometheus' text format."""
        encoder, content_type = choose_encoder(accept or "")
        catalog = self._catalog.rendered(encoder, content_type)
        return catalog + encoder(self._others), content_type
