"""What keeps ``POST /api/v1/validate`` from tying up the service: a read timeout on the body,
parsing in worker threads, and a bound on how many validations run at once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from fastapi import Request

from catalog_service.errors import PayloadTooLargeError, RequestTimeoutError
from catalog_service.pools import PoolLimits, WorkPool


@dataclass(frozen=True)
class RequestLimits:
    """Bounds on request bodies and on the validations running at once."""

    body_idle_seconds: float = 10.0  # longest wait for the next part of a body
    body_total_seconds: float = 30.0  # longest time to receive a whole body
    validations: int = 2  # validations parsing at once
    queue_seconds: float = 5.0  # longest wait for a turn before answering 429
    pools: PoolLimits = field(default_factory=PoolLimits)  # the other kinds of work


async def read_body(
    request: Request, limit: int, limits: RequestLimits, what: str = "a manifest"
) -> bytes:
    """The request body, at most ``limit`` bytes, received within the time limits."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"the body is over {limit:,} bytes, the limit for {what}")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limits.body_total_seconds
    chunks: list[bytes] = []
    size = 0
    parts = request.stream().__aiter__()
    while True:
        wait = max(min(limits.body_idle_seconds, deadline - loop.time()), 0)
        try:
            chunk = await asyncio.wait_for(anext(parts), wait)
        except StopAsyncIteration:
            break
        except TimeoutError:
            raise RequestTimeoutError(
                f"the body did not arrive in time: send it within {limits.body_total_seconds:g} s,"
                f" with no pause over {limits.body_idle_seconds:g} s"
            ) from None
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"the body is over {limit:,} bytes, the limit for {what}")
        chunks.append(chunk)
    return b"".join(chunks)


class WorkGate(WorkPool):
    """Runs costly work in its own few threads, off the event loop; a caller that cannot have a
    turn within ``queue_seconds`` gets :class:`BusyError`."""

    def __init__(self, limits: RequestLimits, what: str) -> None:
        super().__init__(what, limits.validations, queue_seconds=limits.queue_seconds)
        self.limits = limits
