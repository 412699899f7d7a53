"""Database copies (``spec.environments.<env>.copies``, docs/self-service.md#copy-database): which
are live at a given time, which are about to expire. Pure: the caller hands in the time.

A copy is *live* while ``expiresAt`` is in the future; once it passes, the rendering drops the
copy's Job, the catalog stops showing it at the next compile of its file, and the janitor opens
the pull request that removes it from the manifest.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from catalog_service.domain.manifests import (
    DATABASE_TYPES,
    Application,
    DatabaseCopy,
    copy_resource_name,
)
from catalog_service.domain.problems import WARNING, Problem

__all__ = [
    "DATABASE_TYPES",
    "WARN_BEFORE",
    "DatabaseCopy",
    "LocatedCopy",
    "copy_resource_name",
    "expiry_warnings",
    "live_copies",
    "utc_text",
]

# From when on a copy about to expire is a warning in /api/v1/problems.
WARN_BEFORE = timedelta(hours=1)


def live_copies(manifest: Application, now: datetime) -> list[tuple[str, DatabaseCopy]]:
    """(environment, copy) for each copy of ``manifest`` with ``expires_at > now``, environments
    in the manifest's order, copies in theirs."""
    return [
        (env, copy)
        for env, environment in manifest.spec.environments.items()
        for copy in environment.copies
        if copy.expires_at > now
    ]


def expired_copies(manifest: Application, now: datetime) -> list[tuple[str, DatabaseCopy]]:
    """(environment, copy) for each copy whose ``expires_at`` has passed (``<= now``)."""
    return [
        (env, copy)
        for env, environment in manifest.spec.environments.items()
        for copy in environment.copies
        if copy.expires_at <= now
    ]


@dataclass(frozen=True, slots=True)
class LocatedCopy:
    """One copy in the catalog: its application, the manifest file and where ``expiresAt`` is."""

    application: str
    path: str
    environment: str
    copy: DatabaseCopy
    line: int
    column: int

    @property
    def name(self) -> str:
        return copy_resource_name(self.application, self.copy.component, self.environment)


def utc_text(moment: datetime) -> str:
    """``2026-12-03T09:00:00Z``: how a time is written in a manifest and in annotations."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def expiry_warnings(copies: Iterable[LocatedCopy], now: datetime) -> Iterator[Problem]:
    """A warning at each copy's ``expiresAt`` from one hour before it expires, and until the
    pull request that removes it is merged."""
    for item in copies:
        expires = item.copy.expires_at
        if expires - WARN_BEFORE > now:
            continue
        what = (
            f"the copy {item.name} of {item.copy.component!r} from {item.copy.source_environment!r}"
        )
        if expires > now:
            minutes = max(1, int((expires - now).total_seconds() // 60))
            message = (
                f"{what} expires at {utc_text(expires)} (in {minutes} min): it is then no"
                " longer deployed, and the platform opens the pull request that removes it"
            )
        else:
            message = (
                f"{what} expired at {utc_text(expires)}: it is no longer deployed, and the"
                " platform's pull request removes it from this manifest; merge it"
            )
        yield Problem(item.path, item.line, item.column, message, WARNING)
