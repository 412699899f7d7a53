"""Serving the rendered bodies: readiness waits for rendering, gzip with its ETag family, HEAD."""

from __future__ import annotations

import asyncio
import gzip
import json
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from catalog_service.http.app import create_app
from catalog_service.http.bodies import (
    SEND_CHUNK_BYTES,
    SMALL_PART_BYTES,
    _slices,
    accepts_gzip,
)
from catalog_service.ingest.ingestor import Ingestor, Snapshot
from catalog_service.service import build_ingestor
from catalog_service.settings import Settings
from tests.support.repos import GitOpsRepo
from tests.support.settings import TEST_TOKEN, SettingsFactory

AUTH = {"Authorization": f"Bearer {TEST_TOKEN}"}
GZIP = {"Accept-Encoding": "gzip"}
PLAIN = {"Accept-Encoding": "identity"}
BODIES = ("/api/v1/entities", "/api/v1/entities.yaml")


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings()


@pytest.fixture
def ingestor(settings: Settings) -> Ingestor:
    return build_ingestor(settings)


@pytest.fixture
def client(settings: Settings, ingestor: Ingestor) -> Iterator[TestClient]:
    with TestClient(create_app(settings, ingestor, poll=False)) as client:
        yield client


@pytest.fixture
def applied(client: TestClient, gitops: GitOpsRepo, ingestor: Ingestor) -> Snapshot:
    """A catalog of a hundred applications and one broken file, applied through the API. About
    300 kB of entities: the content-defined cuts (one document in 128, chunking.py) always leave
    some part over SMALL_PART_BYTES; with 20 applications a few unlucky cuts (the documents hold
    the test's temporary path) left none."""
    for index in range(100):
        gitops.add_application(f"app-{index:02d}", system="shop", components=[("db", "postgresql")])
    gitops.write("apps/broken.yaml", "apiVersion: idp/v1alpha1\nkind: Application\nmetadata: 3\n")
    gitops.commit()
    assert client.post("/api/v1/refresh", headers=AUTH).json()["status"] == "applied"
    assert ingestor.snapshot is not None
    return ingestor.snapshot


def raw(client: TestClient, method: str, url: str, headers: dict[str, str]) -> httpx.Response:
    """The answer as sent, not decompressed (TestClient decompresses gzip by itself)."""
    with client.stream(method, url, headers=headers) as streamed:
        streamed._content = b"".join(streamed.iter_raw())
    response: httpx.Response = streamed
    return response


def wait_for(check: str, condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError(f"never: {check}")


# -- ready means ready --------------------------------------------------------------------------


def test_readyz_turns_200_only_once_the_bodies_are_rendered(
    client: TestClient, gitops: GitOpsRepo, ingestor: Ingestor
) -> None:
    gitops.add_application("orders")
    gitops.commit()
    ingestor.refresh()  # applied, as a refresh by anyone but the API leaves it: not rendered
    snapshot = ingestor.snapshot
    assert snapshot is not None and not snapshot.rendered
    with snapshot._lock:  # rendering cannot finish while the test holds the lock
        for _ in range(3):
            assert client.get("/readyz").status_code == 503
            assert client.get("/readyz").json()["ready"] is False
            assert client.get("/api/v1/entities").status_code == 503
    # Released: the service renders it by itself, off the request path, and only then is ready.
    wait_for("ready", lambda: client.get("/readyz").status_code == 200)
    assert snapshot.rendered
    assert client.get("/readyz").json()["revision"] == snapshot.revision


def test_a_new_snapshot_is_served_once_rendered_the_last_one_meanwhile(
    client: TestClient, gitops: GitOpsRepo, ingestor: Ingestor, applied: Snapshot
) -> None:
    gitops.add_application("invoices")
    second = gitops.commit()
    ingestor.refresh()
    newer = ingestor.snapshot
    assert newer is not None and newer.revision == second and not newer.rendered
    with newer._lock:
        assert client.get("/api/v1/entities").json()["revision"] == applied.revision
        assert client.get("/readyz").json()["revision"] == applied.revision
        assert client.get("/api/v1/problems").json()["revision"] == applied.revision
    wait_for("the new revision", lambda: client.get("/readyz").json()["revision"] == second)
    assert client.get("/api/v1/entities").json()["revision"] == second


def test_a_refresh_answers_once_its_snapshot_is_rendered(
    client: TestClient, ingestor: Ingestor, applied: Snapshot
) -> None:
    assert applied.rendered, "rendered before POST /api/v1/refresh answered"
    assert client.get("/readyz").json()["revision"] == applied.revision


# -- gzip ---------------------------------------------------------------------------------------


def test_bodies_are_gzip_compressed_for_clients_that_take_it(
    client: TestClient, applied: Snapshot
) -> None:
    forms = {"/api/v1/entities": applied.json_form, "/api/v1/entities.yaml": applied.yaml_form}
    for path, form in forms.items():
        compressed = raw(client, "GET", path, GZIP)
        assert compressed.status_code == 200
        assert compressed.headers["content-encoding"] == "gzip"
        assert compressed.headers["vary"] == "Accept-Encoding"
        assert compressed.headers["etag"] == form.etag[:-1] + '-gzip"'
        assert int(compressed.headers["content-length"]) == len(compressed.content)
        assert gzip.decompress(compressed.content) == form.body
        assert compressed.content == form.gzip, "the stored compression, not one per request"
        assert len(compressed.content) < len(form.body) / 3

        plain = raw(client, "GET", path, PLAIN)
        assert "content-encoding" not in plain.headers
        assert plain.headers["vary"] == "Accept-Encoding"
        assert plain.headers["etag"] == form.etag
        assert plain.content == form.body
    assert json.loads(gzip.decompress(raw(client, "GET", BODIES[0], GZIP).content))["items"]


@pytest.mark.parametrize(
    ("accept", "takes"),
    [
        (None, False),
        ("", False),
        ("gzip", True),
        ("GZIP", True),
        ("x-gzip", True),
        ("br, gzip;q=0.5", True),
        ("deflate, br", False),
        ("identity", False),
        ("gzip;q=0", False),
        ("gzip; q=0.000", False),
        ("*", True),
        ("*;q=0", False),
        ("*, gzip;q=0", False),
        ("gzip;q=0, *", False),
        ("gzip;q=nonsense", False),
    ],
)
def test_accept_encoding_is_read_with_its_q_values(accept: str | None, takes: bool) -> None:
    assert accepts_gzip(accept) is takes


def test_either_etag_of_the_family_gives_304(client: TestClient, applied: Snapshot) -> None:
    for path in BODIES:
        plain_tag = client.get(path, headers=PLAIN).headers["etag"]
        gzip_tag = client.get(path, headers=GZIP).headers["etag"]
        assert gzip_tag == plain_tag[:-1] + '-gzip"'
        for tag in (plain_tag, gzip_tag, f"W/{gzip_tag}", f'"other", {plain_tag}'):
            for encoding, expected in ((GZIP, gzip_tag), (PLAIN, plain_tag)):
                answer = client.get(path, headers={**encoding, "If-None-Match": tag})
                assert answer.status_code == 304, (path, tag, encoding)
                assert answer.headers["etag"] == expected and answer.content == b""
                assert answer.headers["vary"] == "Accept-Encoding"
        stale = client.get(path, headers={**GZIP, "If-None-Match": '"stale-gzip"'})
        assert stale.status_code == 200


def test_head_answers_the_headers_of_a_compressed_get(
    client: TestClient, applied: Snapshot
) -> None:
    for path in BODIES:
        got = raw(client, "GET", path, GZIP)
        head = raw(client, "HEAD", path, GZIP)
        assert head.status_code == 200 and head.content == b""
        for header in ("etag", "content-encoding", "content-length", "vary", "content-type"):
            assert head.headers[header] == got.headers[header], header


def test_problems_are_compressed_once_and_end_with_the_current_state(
    client: TestClient, gitops: GitOpsRepo, applied: Snapshot
) -> None:
    plain = raw(client, "GET", "/api/v1/problems", PLAIN)
    compressed = raw(client, "GET", "/api/v1/problems", GZIP)
    assert compressed.headers["content-encoding"] == "gzip"
    assert compressed.headers["vary"] == "Accept-Encoding"
    assert int(compressed.headers["content-length"]) == len(compressed.content)
    body = json.loads(plain.content)
    assert json.loads(gzip.decompress(compressed.content)) == body
    assert body["revision"] == applied.revision and body["heldBack"] is None
    assert [p["path"] for p in body["problems"]] and {p["path"] for p in body["problems"]} == {
        "apps/broken.yaml"
    }
    assert compressed.content.startswith(applied.problems_head.gzip)

    gitops.delete("apps")
    emptied = gitops.commit()
    assert client.post("/api/v1/refresh", headers=AUTH).json()["status"] == "held-back"
    held = json.loads(gzip.decompress(raw(client, "GET", "/api/v1/problems", GZIP).content))
    assert held["revision"] == applied.revision, "the same snapshot"
    assert held["heldBack"]["revision"] == emptied and held["problems"] == body["problems"]
    assert json.loads(raw(client, "GET", "/api/v1/problems", PLAIN).content) == held
    assert list(held) == ["revision", "problems", "heldBack", "sourceError"]


def test_the_bodies_are_sent_as_slices_of_the_one_shared_body(applied: Snapshot) -> None:
    form = applied.json_form
    stored = [*form.gzip_parts, *form.parts]  # the parts a snapshot keeps, shared with the next

    async def slices() -> list[memoryview]:
        return [part async for part in _slices(stored)]

    parts = asyncio.run(slices())
    assert b"".join(parts) == form.gzip + form.body
    assert all(len(part) <= SEND_CHUNK_BYTES for part in parts)
    # Views of the stored parts, not copies: many readers share one body; small parts (the
    # gzip segments) are sent together.
    large = {id(part) for part in stored if len(part) >= SMALL_PART_BYTES}
    assert large and large <= {id(part.obj) for part in parts}
    # Each run of small parts between large ones goes out in as few sends as fit: batches of
    # at least SEND_CHUNK_BYTES - SMALL_PART_BYTES, but the last of each run.
    small = [len(part) < SMALL_PART_BYTES for part in stored]
    runs = sum(1 for i, is_small in enumerate(small) if is_small and (i == 0 or not small[i - 1]))
    small_bytes = sum(len(part) for part, is_small in zip(stored, small, strict=True) if is_small)
    large_sends = sum(
        -(-len(part) // SEND_CHUNK_BYTES) for part in stored if len(part) >= SMALL_PART_BYTES
    )
    batches = runs + small_bytes // (SEND_CHUNK_BYTES - SMALL_PART_BYTES)
    assert len(parts) <= large_sends + batches
