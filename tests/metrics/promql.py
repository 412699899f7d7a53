"""The metric and label names a PromQL expression reads: a small lexer and walker, enough for
the expressions of our dashboard and rules (the real Prometheus checks their syntax)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<variable>\$\{[^}]*\}|\$\w+)
  | (?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?:ms|[smhdwy])?(?:\d+(?:ms|[smhdwy]))*)
  | (?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)
  | (?P<operator>=~|!~|!=|==|<=|>=|[-+*/%^<>=,(){}\[\]:@])
    """,
    re.VERBOSE,
)
# Words that are PromQL, not metric names (also when used without parentheses).
KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan", "start", "end"}
# Aggregations may have their modifier before the parentheses: ``sum by (le) (...)``.
AGGREGATIONS = {
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
}
# Modifiers followed by a list of label names.
LABEL_LISTS = {"by", "without", "on", "ignoring", "group_left", "group_right"}


@dataclass
class Names:
    metrics: set[str] = field(default_factory=set)
    labels: set[str] = field(default_factory=set)


def tokens(expression: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    position = 0
    while position < len(expression):
        match = TOKEN.match(expression, position)
        if match is None:
            raise ValueError(f"cannot read {expression[position:]!r} in {expression!r}")
        kind = match.lastgroup
        assert kind is not None
        if kind != "space":
            found.append((kind, match.group()))
        position = match.end()
    return found


def names(expression: str) -> Names:
    """The metric names and label names ``expression`` reads (``{__name__=...}`` included)."""
    found = Names()
    items = tokens(expression)
    index = 0
    while index < len(items):
        kind, text = items[index]
        following = items[index + 1][1] if index + 1 < len(items) else ""
        if text == "{":
            index = _matchers(items, index + 1, found)
        elif kind == "name" and text in LABEL_LISTS:
            if following == "(":
                index = _label_list(items, index + 2, found)
        elif kind == "name" and following != "(" and text not in KEYWORDS | AGGREGATIONS:
            found.metrics.add(text)
        index += 1
    return found


def _matchers(items: list[tuple[str, str]], index: int, found: Names) -> int:
    """Read ``label op "value", ...}``; answers the index of the closing brace."""
    while items[index][1] != "}":
        kind, text = items[index]
        if kind == "name":
            if text == "__name__":
                found.metrics.add(items[index + 2][1].strip("\"'`"))
            else:
                found.labels.add(text)
            index += 3  # name, operator, value
        else:
            index += 1  # a comma
    return index


def _label_list(items: list[tuple[str, str]], index: int, found: Names) -> int:
    while items[index][1] != ")":
        if items[index][0] == "name":
            found.labels.add(items[index][1])
        index += 1
    return index
