"""Bodies built from cached deflate segments: the same bytes as a plain join, a gzip stream every
decoder reads, and a new snapshot re-compressing only the chunks that changed."""

from __future__ import annotations

import gzip
import json
import random
import zlib

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog_service.snapshot.chunking import Layout, Run, layout
from catalog_service.snapshot.rendering import Encoded, Renderer, Shift, crc32_combine
from catalog_service.snapshot.snapshot import yaml_document

REVISION = json.dumps("0123abcd").encode()


def document(name: str, version: int = 0) -> bytes:
    entity = {"kind": "Component", "metadata": {"name": name}, "spec": {"version": version}}
    return json.dumps(entity, separators=(",", ":")).encode()


def plain_json(documents: list[bytes]) -> bytes:
    return b'{"items":[' + b",".join(documents) + b'],"revision":' + REVISION + b"}"


def decoded_every_way(compressed: bytes) -> bytes:
    """The body as Python's gzip, zlib (gzip wbits, fed in small pieces) and httpx read it."""
    by_gzip = gzip.decompress(compressed)
    stream = zlib.decompressobj(31)
    by_zlib = b"".join(
        stream.decompress(compressed[i : i + 97]) for i in range(0, len(compressed), 97)
    )
    assert stream.eof and not stream.unused_data
    response = httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=compressed)
    assert by_zlib == by_gzip == response.content
    return by_gzip


def chunks(documents: list[bytes]) -> list[Run]:
    return layout(tuple(documents), {}, Layout()).runs


def check(form: Encoded, expected: bytes) -> None:
    assert form.body == expected
    assert decoded_every_way(form.gzip) == expected
    assert b"".join(form.gzip_parts) == form.gzip


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000), st.binary(max_size=3000))
def test_crcs_combine_as_zlib_computes_the_whole(first: bytes, second: bytes) -> None:
    combined = crc32_combine(zlib.crc32(first), zlib.crc32(second), Shift(len(second)))
    assert combined == zlib.crc32(first + second)


# Per step: change (index, version), add a name, or delete an index.
STEP = st.one_of(
    st.tuples(st.just("change"), st.integers(0, 10_000), st.integers(1, 5)),
    st.tuples(st.just("add"), st.integers(0, 10_000), st.integers(0, 0)),
    st.tuples(st.just("delete"), st.integers(0, 10_000), st.integers(0, 0)),
)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 400), st.lists(STEP, max_size=12))
def test_bodies_from_segments_equal_the_plain_join_after_any_changes(
    size: int, steps: list[tuple[str, int, int]]
) -> None:
    documents = [document(f"app-{index:05d}") for index in range(size)]
    renderer = Renderer(yaml_document)
    for kind, at, version in [("start", 0, 0), *steps]:
        if kind == "change" and documents:
            index = at % len(documents)
            documents[index] = document(f"app-{index:05d}", version)
        elif kind == "add":
            documents.insert(at % (len(documents) + 1), document(f"new-{at}"))
        elif kind == "delete" and documents:
            del documents[at % len(documents)]
        check(renderer.json_form(tuple(documents), REVISION, '"t"'), plain_json(documents))
        expected_yaml = b"".join(map(yaml_document, documents))
        check(renderer.yaml_form(tuple(documents), '"t-yaml"'), expected_yaml)


def test_an_empty_catalog_has_valid_bodies() -> None:
    renderer = Renderer(yaml_document)
    check(renderer.json_form((), REVISION, '"t"'), plain_json([]))
    check(renderer.yaml_form((), '"t-yaml"'), b"")


def test_one_changed_document_recompresses_one_chunk_and_reuses_the_rest() -> None:
    documents = [document(f"app-{index:05d}") for index in range(3000)]
    renderer = Renderer(yaml_document)
    before = renderer.json_form(tuple(documents), REVISION, '"t"')
    runs = len(chunks(documents))
    assert runs > 10 and renderer.json.compressed == runs and len(renderer.json) == runs
    rng = random.Random(5)
    for version in range(1, 6):
        index = rng.randrange(len(documents))
        documents[index] = document(f"app-{index:05d}", version)
        compressed = renderer.json.compressed
        after = renderer.json_form(tuple(documents), REVISION, '"t"')
        # One chunk, or two when the document changed whether it ends a chunk.
        assert 1 <= renderer.json.compressed - compressed <= 2
        shared = {id(part) for part in before.gzip_parts} & {id(part) for part in after.gzip_parts}
        assert len(shared) >= len(after.gzip_parts) - 5  # all but the changed, head and tail
        assert len(renderer.json) == len(chunks(documents)), "only live segments are kept"
        check(after, plain_json(documents))
        before = after


def test_segmented_gzip_is_close_to_one_stream_in_size() -> None:
    rng = random.Random(3)
    documents = [document(f"app-{index:05d}", rng.randrange(10**6)) for index in range(5000)]
    form = Renderer(yaml_document).json_form(tuple(documents), REVISION, '"t"')
    one_stream = gzip.compress(form.body, 6)
    assert len(form.gzip) < len(one_stream) * 1.10
