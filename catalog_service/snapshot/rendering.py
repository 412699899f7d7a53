"""Encoding a snapshot's bodies so that a new snapshot costs what changed, not the whole catalog.

A body is a run of documents cut into chunks where a document's own content says so (its CRC),
so one changed document changes one chunk and every other chunk is the same as before. Each
chunk is deflated alone and kept by content; a gzip body is then a header, the chunks' deflate
segments, an empty last block and a trailer whose CRC-32 is combined from the chunks' CRCs.
A segment ends with a sync flush (byte-aligned, not final), so segments join into one valid
stream; each may refer back into the chunk before it only through the document that ends that
chunk (its preset dictionary), which is part of its key.
"""

from __future__ import annotations

import struct
import threading
import zlib
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

from catalog_service.snapshot.chunking import Layout, Run, layout

GZIP_LEVEL = 6  # on catalog JSON, level 9 is some 3x slower for a body 2 % smaller
# What zlib itself writes: no file name, time zero, no extra flags (level 6), OS Unix.
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"
_WINDOW = 32 * 1024  # the furthest deflate refers back
_POLY = 0xEDB88320  # CRC-32, reflected


def _multmodp(a: int, b: int) -> int:
    """``a * b`` modulo the CRC-32 polynomial (bit-reflected), as zlib's ``multmodp``."""
    m, p = 1 << 31, 0
    while a:
        if a & m:
            p ^= b
            a ^= m
        m >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1
    return p


def _powers() -> list[int]:
    table, p = [], 1 << 30  # x^1
    for _ in range(32):
        table.append(p)
        p = _multmodp(p, p)
    return table


_X2N = _powers()  # x^(2^n) modulo the polynomial


def crc_shift(length: int) -> int:
    """``x^(8 * length)`` modulo the polynomial: what moves a CRC past ``length`` bytes."""
    p, k = 1 << 31, 3
    while length:
        if length & 1:
            p = _multmodp(_X2N[k & 31], p)
        length >>= 1
        k += 1
    return p


class Shift:
    """Multiplying by ``crc_shift(length)``, in four table lookups (``_multmodp`` loops over 32
    bits): what moves a CRC past ``length`` bytes. A body's CRC combines one per chunk."""

    __slots__ = ("_table",)

    def __init__(self, length: int) -> None:
        product = crc_shift(length)
        by_bit = []  # by_bit[i]: the product times x^i, for bit 31 - i of a CRC (bit 31 is x^0)
        for _ in range(32):
            by_bit.append(product)
            product = (product >> 1) ^ _POLY if product & 1 else product >> 1
        table = array("I", bytes(4 * 1024))  # per byte of a CRC, its 256 values' products
        for byte in range(4):
            base = 256 * byte
            for i in range(8):
                bit, value = 1 << i, by_bit[31 - 8 * byte - i]
                for low in range(bit):
                    table[base + (low | bit)] = table[base + low] ^ value
        self._table = table

    def __call__(self, crc: int) -> int:
        table = self._table
        return (
            table[crc & 255]
            ^ table[256 + ((crc >> 8) & 255)]
            ^ table[512 + ((crc >> 16) & 255)]
            ^ table[768 + (crc >> 24)]
        )


def crc32_combine(crc1: int, crc2: int, shift2: Shift) -> int:
    """The CRC-32 of ``a + b`` from ``crc32(a)``, ``crc32(b)`` and ``Shift(len(b))``."""
    return shift2(crc1) ^ crc2


@dataclass(frozen=True, slots=True)
class Segment:
    """One chunk of a body: its bytes, deflated (sync-flushed, not final), and its CRC."""

    raw: bytes
    deflated: bytes
    crc: int
    shift: Shift  # past len(raw) bytes

    @classmethod
    def of(cls, raw: bytes, dictionary: bytes = b"") -> Segment:
        """``dictionary``: the bytes just before ``raw`` in the body, which it may refer to."""
        if dictionary:
            compressor = zlib.compressobj(
                GZIP_LEVEL, zlib.DEFLATED, -15, zdict=dictionary[-_WINDOW:]
            )
        else:
            compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -15)
        deflated = compressor.compress(raw) + compressor.flush(zlib.Z_SYNC_FLUSH)
        return cls(raw, deflated, zlib.crc32(raw), Shift(len(raw)))


_LAST_BLOCK = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -15).flush()  # empty, final


@dataclass(frozen=True)
class Chain:
    """Segments in order, with the CRC-32 and the length of all their bytes."""

    segments: tuple[Segment, ...] = ()
    crc: int = 0
    size: int = 0

    def then(self, *segments: Segment) -> Chain:
        crc, size = self.crc, self.size
        for segment in segments:
            crc = crc32_combine(crc, segment.crc, segment.shift)
            size += len(segment.raw)
        return Chain((*self.segments, *segments), crc, size)


@dataclass(frozen=True)
class Encoded:
    """One serialized form of a snapshot, as is and gzip-compressed, each as parts to send in
    order (mostly shared with the snapshot before), with an ETag for each."""

    parts: tuple[bytes, ...]
    gzip_parts: tuple[bytes, ...]
    etag: str

    @classmethod
    def of_chain(cls, chain: Chain, etag: str) -> Encoded:
        """The body of the segments, and one gzip stream of them."""
        trailer = _LAST_BLOCK + struct.pack("<II", chain.crc, chain.size & 0xFFFFFFFF)
        deflated = (segment.deflated for segment in chain.segments)
        return cls(tuple(s.raw for s in chain.segments), (GZIP_HEADER, *deflated, trailer), etag)

    @cached_property
    def body(self) -> bytes:
        """The parts joined (a copy: the service sends the parts)."""
        return b"".join(self.parts)

    @cached_property
    def gzip(self) -> bytes:
        return b"".join(self.gzip_parts)

    @property
    def gzip_etag(self) -> str:
        """The same tag, of the gzip family: ``"abc"`` gives ``"abc-gzip"``."""
        return self.etag[:-1] + '-gzip"'


@dataclass(frozen=True)
class EncodedHead:
    """The start of a body whose last bytes change between snapshots (the problems answer ends
    with the ingestor's state): compressed once, then ended per answer at little cost."""

    body: bytes
    gzip: bytes
    _compressor: zlib._Compress

    @classmethod
    def of(cls, body: bytes) -> EncodedHead:
        # wbits 31: a gzip stream, as zlib writes it. A sync flush ends the deflate data on a
        # byte boundary: a copy of the compressor then goes on from there.
        compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
        return cls(
            body, compressor.compress(body) + compressor.flush(zlib.Z_SYNC_FLUSH), compressor
        )

    def gzip_ending(self, tail: bytes) -> bytes:
        """What follows ``gzip`` for a body that ends with ``tail``."""
        compressor = self._compressor.copy()
        return compressor.compress(tail) + compressor.flush()


# A segment's key: the document before its chunk (b"" for the first), and the chunk.
SegmentKey = tuple[bytes, Run]


class SegmentCache:
    """The segments of one form, by key, kept from one snapshot to the next.

    ``compressed`` counts the segments deflated so far: with one document changed, a render
    adds one or two."""

    def __init__(self, render: Callable[[SegmentKey], Segment]) -> None:
        self._render = render
        # The last call's, by the chunk's id: a chunk kept from one layout to the next is the
        # same tuple, found without hashing its documents.
        self._by_run: dict[int, tuple[Run, bytes, Segment]] = {}
        self._by_content: dict[SegmentKey, Segment] = {}
        self.compressed = 0

    def __len__(self) -> int:
        return len(self._by_run)

    def chain(self, start: Chain, runs: Sequence[Run]) -> Chain:
        """``start`` followed by the segments of ``runs``; only the segments of the last call
        (and a few before) are kept after it."""
        kept: dict[int, tuple[Run, bytes, Segment]] = {}
        ordered: list[Segment] = []
        before = b""
        for run in runs:
            entry = self._by_run.get(id(run)) or kept.get(id(run))
            if entry is not None and entry[0] is run and entry[1] is before:
                segment = entry[2]
            else:
                segment = self._segment((before, run))
            kept[id(run)] = (run, before, segment)
            ordered.append(segment)
            before = run[-1]
        self._by_run = kept
        if len(self._by_content) > len(kept) + 64:  # forget the segments of chunks gone
            self._by_content = {(b, r): s for r, b, s in kept.values()}
        return start.then(*ordered)

    def _segment(self, key: SegmentKey) -> Segment:
        segment = self._by_content.get(key)
        if segment is None:
            segment = self._by_content[key] = self._render(key)
            self.compressed += 1
        return segment


class Renderer:
    """The caches that make a snapshot's forms cost what changed: per document its cut and its
    YAML text, per chunk its segments. Shared by the snapshots of one ingestor."""

    def __init__(self, to_yaml: Callable[[bytes], bytes]) -> None:
        self._to_yaml = to_yaml
        self._lock = threading.Lock()  # renders take turns: the caches are one state
        self._cuts: dict[bytes, bool] = {}
        self._layout = Layout()
        self._yaml: dict[bytes, bytes] = {}
        self.json = SegmentCache(self._json_segment)
        self.yaml = SegmentCache(self._yaml_segment)

    def json_form(self, documents: Sequence[bytes], revision: bytes, etag: str) -> Encoded:
        """``{"items":[...],"revision":...}``: the documents joined with commas."""
        with self._lock:
            runs = self._runs(documents)
            chain = self.json.chain(_JSON_HEAD, runs)
        tail = Segment.of(b'],"revision":' + revision + b"}", runs[-1][-1] if runs else b"")
        return Encoded.of_chain(chain.then(tail), etag)

    def yaml_form(self, documents: Sequence[bytes], etag: str) -> Encoded:
        """Every document as YAML, one after another (``---`` starts each)."""
        with self._lock:
            chain = self.yaml.chain(Chain(), self._runs(documents))
            if len(self._yaml) > 2 * len(documents) + 1024:
                # Forget the YAML of documents gone; rarely, so that a render stays small.
                live = set(documents)
                self._yaml = {doc: text for doc, text in self._yaml.items() if doc in live}
        return Encoded.of_chain(chain, etag)

    def _runs(self, documents: Sequence[bytes]) -> list[Run]:
        if len(self._cuts) > 2 * len(documents) + 1024:
            live = set(documents)
            self._cuts = {doc: cut for doc, cut in self._cuts.items() if doc in live}
        self._layout = layout(tuple(documents), self._cuts, self._layout)
        return self._layout.runs

    @staticmethod
    def _json_segment(key: SegmentKey) -> Segment:
        before, run = key
        # After the first chunk, a comma parts it from the one before.
        return Segment.of((b"," if before else b"") + b",".join(run), before)

    def _yaml_segment(self, key: SegmentKey) -> Segment:
        before, run = key
        dictionary = self._yaml_text(before) if before else b""
        return Segment.of(b"".join(map(self._yaml_text, run)), dictionary)

    def _yaml_text(self, document: bytes) -> bytes:
        text = self._yaml.get(document)
        if text is None:
            text = self._yaml[document] = self._to_yaml(document)
        return text


_JSON_HEAD = Chain().then(Segment.of(b'{"items":['))
