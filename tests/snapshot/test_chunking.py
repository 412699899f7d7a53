"""Chunks by content: where they end, and cut again after a few documents changed."""

from __future__ import annotations

import zlib

from hypothesis import given, settings
from hypothesis import strategies as st

from catalog_service.snapshot.chunking import CHUNK_MASK, Layout, layout


def documents(count: int, version: int = 0) -> list[bytes]:
    return [b'{"name":"app-%05d","version":%d}' % (index, version) for index in range(count)]


def test_chunks_end_where_a_documents_crc_says() -> None:
    docs = documents(2000)
    runs = layout(tuple(docs), {}, Layout()).runs
    assert [doc for run in runs for doc in run] == docs
    assert len(runs) > 5
    for run in runs[:-1]:
        assert zlib.crc32(run[-1]) & CHUNK_MASK == 0
        assert all(zlib.crc32(doc) & CHUNK_MASK for doc in run[:-1])
    inserted = (*docs[:1000], b'{"name":"inserted"}', *docs[1000:])
    assert len(set(runs) - set(layout(inserted, {}, Layout()).runs)) == 1, "one chunk changes"


def test_no_documents_no_chunks() -> None:
    assert layout((), {}, Layout()) == Layout()


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 1500),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 3)), min_size=1, max_size=40),
)
def test_cut_again_after_changes_equals_cut_from_scratch(
    count: int, changes: list[tuple[int, int]]
) -> None:
    cuts: dict[bytes, bool] = {}
    docs = documents(count)
    before = layout(tuple(docs), cuts, Layout())
    for at, version in changes:
        index = at % count
        docs[index] = b'{"name":"app-%05d","version":%d}' % (index, version)
    now = layout(tuple(docs), cuts, before)
    fresh = layout(tuple(docs), {}, Layout())
    assert now.runs == fresh.runs and now.ends == fresh.ends
    changed = {at % count for at, _ in changes}
    if len(changed) <= count // 8:  # cut again only around them: the other chunks are kept
        kept = {id(run) for run in before.runs}
        assert sum(id(run) not in kept for run in now.runs) <= 2 * len(changed)
