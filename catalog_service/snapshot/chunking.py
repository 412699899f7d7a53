"""Cutting a snapshot's documents into chunks by their content, and again after a few changed.

A document ends a chunk when the low bits of its CRC are zero, so an unchanged document ends
a chunk or not whatever else changed: one changed document changes its own chunk (and the one
after, when it was the last of its chunk), and every other chunk stays the very same tuple.
"""

from __future__ import annotations

import zlib
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import compress
from operator import is_not

# Chunks of 128 documents on average (some 140 KB of catalog JSON), which one change
# re-compresses in a millisecond or two; fewer, larger chunks compress a little better.
CHUNK_MASK = 127

Run = tuple[bytes, ...]


@dataclass(frozen=True)
class Layout:
    """Documents and their chunks: ``runs[i]`` is ``documents[ends[i-1]:ends[i]]``."""

    documents: tuple[bytes, ...] = ()
    runs: list[Run] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)


def is_cut(document: bytes, cuts: dict[bytes, bool]) -> bool:
    """Whether ``document`` ends a chunk (``cuts`` remembers the answer)."""
    cut = cuts.get(document)
    if cut is None:
        cut = cuts[document] = zlib.crc32(document) & CHUNK_MASK == 0
    return cut


def layout(documents: tuple[bytes, ...], cuts: dict[bytes, bool], previous: Layout) -> Layout:
    """The chunks of ``documents``; when few of them differ from ``previous``'s at the same
    place (a refresh that changed some files), only the chunks around those are cut again."""
    if previous.documents is documents:
        return previous
    count = len(documents)
    if count and count == len(previous.documents):
        # Pointers compared in C: the documents themselves are not read.
        changed = list(compress(range(count), map(is_not, previous.documents, documents)))
        if len(changed) <= count // 8:
            return _relayout(previous, documents, changed, cuts)
    return _layout(documents, cuts)


def _layout(documents: tuple[bytes, ...], cuts: dict[bytes, bool]) -> Layout:
    if not documents:
        return Layout()
    # C-level passes (map, compress, slices) over every document.
    flags = list(map(cuts.get, documents))
    if None in flags:
        for index, document in enumerate(documents):
            if flags[index] is None:
                flags[index] = is_cut(document, cuts)
    ends = list(compress(range(1, len(flags) + 1), flags))
    if not ends or ends[-1] != len(flags):
        ends.append(len(flags))
    runs = [documents[start:stop] for start, stop in zip([0, *ends], ends, strict=False)]
    return Layout(documents, runs, ends)


def _relayout(
    previous: Layout, documents: tuple[bytes, ...], changed: list[int], cuts: dict[bytes, bool]
) -> Layout:
    count = len(documents)
    old_ends, changed_at = set(previous.ends), set(changed)
    runs: list[Run] = []
    ends: list[int] = []
    taken = 0  # the old chunks kept or replaced so far
    for index in changed:
        if ends and index < ends[-1]:
            continue  # cut again already
        first = bisect_right(previous.ends, index)  # the old chunk holding it
        runs += previous.runs[taken:first]
        ends += previous.ends[taken:first]
        start = stop = previous.ends[first - 1] if first else 0
        while True:  # until an old boundary after an unchanged document: the rest holds
            stop += 1
            if stop == count or is_cut(documents[stop - 1], cuts):
                runs.append(documents[start:stop])
                ends.append(stop)
                start = stop
                if stop == count or (stop in old_ends and stop - 1 not in changed_at):
                    break
        taken = bisect_right(previous.ends, stop)
    runs += previous.runs[taken:]
    ends += previous.ends[taken:]
    return Layout(documents, runs, ends)
