"""Serving the bodies a snapshot rendered: gzip when the client takes it, ETags, and slices of
the one shared body rather than a copy per reader."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from fastapi import Request, Response
from fastapi.responses import StreamingResponse

from catalog_service.snapshot.rendering import Encoded

SEND_CHUNK_BYTES = 256 * 1024
SMALL_PART_BYTES = 16 * 1024  # parts below this are copied into one slice


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether ``Accept-Encoding`` allows gzip (RFC 9110 section 12.5.3, q-values included)."""
    if not accept_encoding:
        return False
    explicit: float | None = None
    wildcard: float | None = None
    for item in accept_encoding.split(","):
        coding, _, parameters = item.partition(";")
        coding = coding.strip().lower()
        quality = _quality(parameters)
        if coding in ("gzip", "x-gzip"):
            explicit = quality if explicit is None else max(explicit, quality)
        elif coding == "*":
            wildcard = quality
    if explicit is not None:
        return explicit > 0
    return wildcard is not None and wildcard > 0


def _quality(parameters: str) -> float:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value.strip()), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def etag_matches(if_none_match: str | None, etags: Sequence[str]) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or not candidates.isdisjoint(etags)


def serve_encoded(request: Request, form: Encoded, media_type: str) -> Response:
    """One form of a snapshot: gzip-compressed if the client takes it; 304 if its
    ``If-None-Match`` holds either ETag of the family."""
    gzip = accepts_gzip(request.headers.get("accept-encoding"))
    headers = {
        "ETag": form.gzip_etag if gzip else form.etag,
        "Cache-Control": "no-cache",
        "Vary": "Accept-Encoding",
    }
    if etag_matches(request.headers.get("if-none-match"), (form.etag, form.gzip_etag)):
        return Response(status_code=304, headers=headers)
    if gzip:
        headers["Content-Encoding"] = "gzip"
    return stream(request, form.gzip_parts if gzip else form.parts, media_type, headers)


def stream(
    request: Request, parts: Sequence[bytes], media_type: str, headers: dict[str, str]
) -> StreamingResponse:
    """Send ``parts`` in slices: a large body handed to the transport whole is copied into its
    buffer for every slow reader, while slices wait for the reader one at a time."""
    headers["Content-Length"] = str(sum(len(part) for part in parts))
    chunks = _slices(parts) if request.method != "HEAD" else _nothing()
    return StreamingResponse(chunks, media_type=media_type, headers=headers)


async def _slices(parts: Sequence[bytes]) -> AsyncIterator[memoryview]:
    # An async iterator: a plain one would be run in the thread pool, a hop per slice.
    batch = bytearray()
    for part in parts:
        if len(part) < SMALL_PART_BYTES:
            # Small parts (a gzip body's segments) go out together, not a send each.
            if len(batch) + len(part) > SEND_CHUNK_BYTES:
                yield memoryview(batch)
                batch = bytearray()
            batch += part
            continue
        if batch:
            yield memoryview(batch)
            batch = bytearray()
        view = memoryview(part)
        for start in range(0, len(view), SEND_CHUNK_BYTES):
            yield view[start : start + SEND_CHUNK_BYTES]
    if batch:
        yield memoryview(batch)


async def _nothing() -> AsyncIterator[memoryview]:
    return
    yield  # an async generator that yields nothing
