"""A problem is one located complaint about one manifest file."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]
ERROR: Severity = "error"  # the manifest is left out of the catalog
WARNING: Severity = "warning"  # the manifest is in the catalog all the same
MAX_PROBLEMS_PER_FILE = 100


def printable(text: str) -> str:
    """``text`` safe for JSON, YAML and a terminal: a file name git could not decode as UTF-8
    arrives with lone surrogates (``surrogateescape``); they are shown as ``\\xe9``."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text


def is_utf8(text: str) -> bool:
    return printable(text) is text


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """``path:line:column: message``; line and column count from 1."""

    path: str
    line: int
    column: int
    message: str
    severity: Severity = ERROR

    def __post_init__(self) -> None:
        # Whatever a caller hands in, a problem can always be serialised.
        object.__setattr__(self, "path", printable(self.path))
        object.__setattr__(self, "message", printable(self.message))

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "severity": self.severity,
            "text": str(self),
        }


def cap(
    problems: Iterable[Problem],
    omitted: Mapping[str, int] | None = None,
    limit: int = MAX_PROBLEMS_PER_FILE,
) -> list[Problem]:
    """The problems sorted, at most ``limit`` per file and then one that says how many more there
    were (``omitted``: per path, how many were already left out before these)."""
    problems = sorted(problems)
    omitted = omitted or {}
    by_path: dict[str, list[Problem]] = defaultdict(list)
    for problem in problems:
        by_path[problem.path].append(problem)
    if not omitted and all(len(found) <= limit for found in by_path.values()):
        return problems  # the usual case: nothing to cut
    result: list[Problem] = []
    for path, found in by_path.items():
        result += found[:limit]
        left_out = found[limit:]
        more = len(left_out) + omitted.get(path, 0)
        if more:
            # Problems left out before ``cap`` were parsing errors: the manifests are left out.
            errors = omitted.get(path, 0) or any(p.severity == ERROR for p in left_out)
            at = left_out[0] if left_out else found[-1]
            result.append(
                Problem(
                    path,
                    at.line,
                    at.column,
                    f"{more:,} more problem(s) in this file are not listed"
                    f" (at most {limit} per file are)",
                    ERROR if errors else WARNING,
                )
            )
    return result  # still in order: paths in order, each file's summary after its problems
