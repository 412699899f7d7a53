"""Bounded retries for GitHub's REST API, at the HTTP level (every request PyGithub makes, pages
and installation tokens included).

GitHub documents what to do when limited: wait ``retry-after`` seconds when it is given; when
``x-ratelimit-remaining`` is ``0``, wait until ``x-ratelimit-reset`` (epoch seconds). A 5xx is
retried with exponential backoff. A wait longer than ``max_wait`` is not waited for: the error is
raised and the next reconcile tries again. A 403 that is not a rate limit is a missing permission
and goes straight back to the caller.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Self

from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import MaxRetryError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

RATE_LIMIT_STATUSES = (403, 429)
RETRIED_STATUSES = (*RATE_LIMIT_STATUSES, 500, 502, 503, 504)
# The REST calls the service makes; a retried POST after a 5xx may repeat it, which GitHub's
# check runs and statuses tolerate (the newest one counts).
RETRIED_METHODS = frozenset({"GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"})


def rate_limit_wait(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds GitHub asks us to wait before the next request, or None if it asks nothing."""
    retry_after = headers.get("retry-after")
    if retry_after is not None and retry_after.strip().isdigit():
        return float(retry_after.strip())
    reset = headers.get("x-ratelimit-reset")
    if headers.get("x-ratelimit-remaining") == "0" and reset is not None and reset.isdigit():
        # Plus one: the reset is a whole second, and it is not said where in it the reset falls.
        return max(0.0, int(reset) - now) + 1.0
    return None


class GitHubRetry(Retry):
    """urllib3's Retry with GitHub's rate-limit rules, a wait bound and an injectable sleep."""

    def __init__(
        self,
        *,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("total", 3)
        kwargs.setdefault("status_forcelist", RETRIED_STATUSES)
        kwargs.setdefault("allowed_methods", RETRIED_METHODS)
        # After the last retry the response goes back to PyGithub, which raises its exception.
        kwargs.setdefault("raise_on_status", False)
        kwargs.setdefault("backoff_factor", 1.0)
        super().__init__(**kwargs)
        self.max_wait = max_wait
        self.sleep_function = sleep
        self.clock = clock
        self.pending_wait: float | None = None

    def new(self, **kw: Any) -> Self:
        retry = super().new(**kw)
        retry.max_wait = self.max_wait
        retry.sleep_function = self.sleep_function
        retry.clock = self.clock
        return retry

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: Any = None,
    ) -> Self:
        wait = None
        if response is not None:
            wait = rate_limit_wait(
                {name.lower(): value for name, value in response.headers.items()}, self.clock()
            )
            if response.status == 403 and wait is None:
                # Not a rate limit: a permission GitHub refuses. Retrying will not help.
                raise MaxRetryError(_pool, url or "", None)  # type: ignore[arg-type]
            if wait is not None and wait > self.max_wait:
                raise MaxRetryError(_pool, url or "", None)  # type: ignore[arg-type]
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        retry.pending_wait = wait
        return retry

    def get_backoff_time(self) -> float:
        # base, 2 x base, 4 x base ... from the first retry on (urllib3 waits 0 the first time).
        errors = len(self.history)
        if errors == 0:
            return 0.0
        return float(min(self.max_wait, self.backoff_factor * 2 ** (errors - 1)))

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        wait = self.pending_wait if self.pending_wait is not None else self.get_backoff_time()
        if wait > 0:
            self.sleep_function(wait)
