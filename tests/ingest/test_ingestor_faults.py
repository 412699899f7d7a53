"""The Ingestor under faults: any failure keeps the last catalog and says so, the guard holds
across restarts, and an incremental refresh always equals a cold ingest of the same commit."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from catalog_service.errors import IngestError, RefreshInProgressError
from catalog_service.ingest.ingestor import Ingestor
from catalog_service.service import build_ingestor, entity_context
from catalog_service.settings import IngestSettings, load_settings
from catalog_service.sources.git import Change, TreeEntry
from tests.support.manifests import application_yaml
from tests.support.repos import GitOpsRepo
from tests.support.settings import SettingsFactory

CONTEXT = entity_context(load_settings(None, source={"url": "/srv/gitops"}))


class FakeSource:
    """Manifests held in memory; ``failure`` is raised from the next listing or read."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.revision = "0" * 40
        self.failure: Exception | None = None
        self.listed = 0
        self.state: dict[str, Any] | None = None
        self.closed = False
        self.history: dict[str, dict[str, bytes]] = {}

    def commit(self, files: dict[str, bytes]) -> None:
        self.files = dict(files)
        digest = hashlib.sha1(repr(sorted(files.items())).encode(), usedforsecurity=False)
        self.revision = digest.hexdigest()
        self.history[self.revision] = self.files

    def fetch(self) -> str:
        return self.revision

    def list_manifests(self, commit: str) -> list[TreeEntry]:
        self.listed += 1
        self._maybe_fail()
        return [TreeEntry(path, "100644", _sha(data)) for path, data in self.files.items()]

    def changes(self, old: str, new: str) -> list[Change]:
        self._maybe_fail()
        before, after = self.history[old], self.history[new]
        return [
            Change(path, TreeEntry(path, "100644", _sha(after[path])) if path in after else None)
            for path in sorted(before.keys() | after.keys())
            if before.get(path) != after.get(path)
        ]

    def read_blobs(self, shas: Iterable[str], max_size: int) -> Iterator[tuple[str, bytes | None]]:
        by_sha = {_sha(data): data for data in self.files.values()}
        for sha in shas:
            self._maybe_fail()
            yield sha, by_sha[sha]

    def discard_mirror(self, reason: str) -> None:
        pass

    def read_state(self) -> dict[str, Any] | None:
        return self.state

    def write_state(self, state: dict[str, Any]) -> None:
        self.state = state

    def close(self) -> None:
        self.closed = True

    def _maybe_fail(self) -> None:
        if self.failure is not None:
            raise self.failure


def _sha(data: bytes) -> str:
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


def manifests(*names: str) -> dict[str, bytes]:
    return {f"apps/{name}.yaml": application_yaml(name).encode() for name in names}


@pytest.mark.parametrize(
    "failure",
    [RuntimeError("boom"), KeyError("apps/x.yaml"), MemoryError(), RecursionError("deep")],
    ids=["runtime-error", "key-error", "memory-error", "recursion-error"],
)
def test_any_failure_keeps_the_catalog_says_so_and_the_next_refresh_starts_clean(
    failure: Exception,
) -> None:
    source = FakeSource()
    source.commit(manifests("orders", "billing"))
    ingestor = Ingestor(source, CONTEXT, IngestSettings())
    assert ingestor.refresh().status == "applied"
    snapshot = ingestor.snapshot

    source.commit(manifests("orders", "billing", "invoices"))
    source.failure = failure
    with pytest.raises(IngestError) as raised:
        ingestor.refresh()
    assert raised.value.__cause__ is failure
    assert ingestor.snapshot is snapshot, "the last good catalog stays"
    assert ingestor.last_error == raised.value.message
    assert ingestor.last_error.startswith("the ingest failed unexpectedly: ")
    assert type(failure).__name__ in ingestor.last_error

    source.failure = None
    listed = source.listed
    outcome = ingestor.refresh()
    assert outcome.status == "applied" and outcome.entities == 4  # 3 components + 1 system
    assert ingestor.last_error is None
    assert source.listed == listed + 1, "the whole tree listed again, nothing half-built kept"


def test_a_failure_in_the_first_ingest_leaves_it_unready_and_says_why() -> None:
    source = FakeSource()
    source.commit(manifests("orders"))
    source.failure = ValueError("bad value")
    ingestor = Ingestor(source, CONTEXT, IngestSettings())
    with pytest.raises(IngestError):
        ingestor.refresh()
    assert ingestor.snapshot is None
    assert ingestor.last_error == "the ingest failed unexpectedly: ValueError: bad value"
    source.failure = None
    assert ingestor.refresh().status == "applied"


def test_a_refresh_waits_a_bounded_time_for_one_in_progress() -> None:
    source = FakeSource()
    ingestor = Ingestor(source, CONTEXT, IngestSettings())
    busy = pytest.raises(RefreshInProgressError, match="a refresh is already running")
    with ingestor._lock, busy:  # another refresh holds it
        ingestor.refresh(wait=0.01)
    assert ingestor.refresh(wait=0.01).status == "applied"


def test_close_closes_the_source() -> None:
    source = FakeSource()
    Ingestor(source, CONTEXT, IngestSettings()).close()
    assert source.closed


def test_a_held_back_wipe_is_still_held_back_after_a_restart(
    gitops: GitOpsRepo, make_settings: SettingsFactory, tmp_path: Path
) -> None:
    for name in ("a", "b", "c", "d"):
        gitops.add_application(name)
    applied = gitops.commit()
    first = build_ingestor(make_settings())
    assert first.refresh().status == "applied"
    first.close()
    state = (tmp_path / "mirror" / "state.json").read_text()
    assert f'"revision": "{applied}"' in state and '"entities": 5' in state

    for name in ("a", "b", "c"):
        gitops.delete(f"apps/shop/{name}.yaml")
    wipe = gitops.commit()
    restarted = build_ingestor(make_settings())  # nothing in memory: the state file decides
    outcome = restarted.refresh()
    assert outcome.status == "held-back" and outcome.revision == wipe
    assert outcome.reason is not None and "would remove 3 of 5 entities" in outcome.reason
    assert restarted.held_back is not None and restarted.held_back.revision == wipe
    assert restarted.snapshot is not None and restarted.snapshot.revision == applied, (
        "the catalog applied before the restart is served meanwhile"
    )
    assert restarted.snapshot.catalog.entity_count == 5
    assert restarted.refresh().status == "held-back"

    assert restarted.refresh(force=True).status == "applied"
    restarted.close()
    again = build_ingestor(make_settings())
    assert again.refresh().status == "applied", "a forced wipe is the new reference"


def test_an_emptied_source_after_a_restart_is_held_back(
    gitops: GitOpsRepo, make_settings: SettingsFactory
) -> None:
    gitops.add_application("a")
    gitops.commit()
    build_ingestor(make_settings()).refresh()
    gitops.delete("apps")
    gitops.commit()
    outcome = build_ingestor(make_settings()).refresh()
    assert outcome.status == "held-back"
    assert outcome.reason is not None and outcome.reason.startswith("no manifest files found")
