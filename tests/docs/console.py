"""The runnable examples of the docs: ```console blocks, and the directives saying how to run them.

A console block is a sequence of commands (``$ ...``, continued by a trailing ``\\``), each
followed by the output it prints. Lines ``$ # ...`` are comments. An HTML comment on the line before
a block's fence tells the test how to run it::

    <!-- example: setup=refund-worker-typos -->     a named setup (tests/docs/demo.py) runs first
    <!-- example: skip: needs a GitHub remote -->   not run, with the reason
    <!-- example: file=bad.yaml -->                 (on a non-console block) its text is that file

Outputs are compared after :func:`normalise`, which replaces only what changes from run to run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<info>[\w-]*)\s*$")
DIRECTIVE = re.compile(r"^\s*<!--\s*example:\s*(?P<body>.*?)\s*-->\s*$")
PROMPT = "$ "


@dataclass
class Command:
    text: str  # the command as a shell reads it (continuation lines joined by newlines)
    output: list[str]  # the lines the doc shows after it
    separator: list[str]  # blank lines after the output, kept when the output is rewritten

    @property
    def is_comment(self) -> bool:
        return self.text.lstrip().startswith("#")


@dataclass
class Block:
    path: Path
    info: str  # the fence's language: console, yaml, ...
    indent: str
    first_line: int  # 1-based number of the first line inside the fence
    lines: list[str]  # the lines inside the fence, without the indentation
    directives: dict[str, str] = field(default_factory=dict)

    @property
    def location(self) -> str:
        return f"{self.path.name}:{self.first_line - 1}"

    def commands(self) -> list[Command]:
        return parse_commands(self.lines)


def parse_directives(body: str) -> dict[str, str]:
    """``setup=a,b file=x`` → {"setup": "a,b", "file": "x"}; ``skip: why`` → {"skip": "why"}."""
    if body.startswith("skip"):
        return {"skip": body.removeprefix("skip").lstrip(":").strip()}
    directives: dict[str, str] = {}
    for word in body.split():
        key, sep, value = word.partition("=")
        if not sep:
            raise ValueError(f"example directive {word!r} is not key=value (in {body!r})")
        directives[key] = value
    return directives


def blocks(path: Path) -> Iterator[Block]:
    """Every fenced block of a markdown file, with the directive written just before it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None or not opening["info"]:
            index += 1
            continue
        indent = opening["indent"]
        end = index + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        previous = next((line for line in reversed(lines[:index]) if line.strip()), "")
        directive = DIRECTIVE.match(previous)
        yield Block(
            path=path,
            info=opening["info"],
            indent=indent,
            first_line=index + 2,
            lines=[line.removeprefix(indent) for line in lines[index + 1 : end]],
            directives=parse_directives(directive["body"]) if directive else {},
        )
        index = end + 1


def parse_commands(lines: list[str]) -> list[Command]:
    commands: list[Command] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.startswith(PROMPT):
            raise ValueError(f"line {index + 1} is output before any `$ ` command: {line!r}")
        text = [line.removeprefix(PROMPT)]
        while text[-1].endswith("\\") and index + 1 < len(lines):
            index += 1
            text.append(lines[index])
        index += 1
        output: list[str] = []
        while index < len(lines) and not lines[index].startswith(PROMPT):
            output.append(lines[index])
            index += 1
        separator: list[str] = []
        while output and not output[-1].strip():
            separator.insert(0, output.pop())
        commands.append(Command("\n".join(text), output, separator))
    return commands


def render_commands(commands: list[Command]) -> list[str]:
    lines: list[str] = []
    for command in commands:
        lines += (PROMPT + command.text).split("\n")
        lines += command.output + command.separator
    return lines


def replace_block(text: str, block: Block, new_lines: list[str]) -> str:
    """The markdown ``text`` with the inside of ``block`` replaced (the line count may change)."""
    lines = text.split("\n")
    start = block.first_line - 1
    end = start + len(block.lines)
    indented = [block.indent + line if line else line for line in new_lines]
    return "\n".join([*lines[:start], *indented, *lines[end:]])


# -- what varies from run to run -------------------------------------------------------------------
# Each rule names one thing that differs between two runs of the same example, and matches only it.
# The doc shows a real value; both sides get the placeholder before they are compared.

_HEX40 = "[0-9a-f]{40}"
_NUMBER = r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?"
RULES: list[tuple[str, re.Pattern[str]]] = [
    # JSON of the API: the commit served, and times.
    ("revision", re.compile(rf'"revision":\s*"(?P<v>{_HEX40})"')),
    (
        "time",
        re.compile(rf'"(?:appliedAt|lastSuccessAt|secondsSinceLastSuccess)":\s*(?P<v>{_NUMBER})'),
    ),
    ("duration", re.compile(rf'"durationSeconds":\s*(?P<v>{_NUMBER})')),
    ("timestamp", re.compile(r'"time":\s*"(?P<v>[0-9T:.+-]+Z?)"')),  # the audit log's
    # HTTP headers (curl -i): the ETag is a hash of a body that holds the demo's path; so is the
    # length; the date is the clock's.
    ("etag", re.compile(r'^etag: (?P<v>"[^"]*")$', re.IGNORECASE)),
    ("length", re.compile(r"^content-length: (?P<v>[0-9]+)$", re.IGNORECASE)),
    ("date", re.compile(r"^date: (?P<v>.+)$", re.IGNORECASE)),
    # ... and the id the service gives each request it was not handed one for.
    ("request-id", re.compile(r"^x-request-id: (?P<v>\S+)$", re.IGNORECASE)),
    ("request-id", re.compile(r'"requestId":\s*"(?P<v>[0-9a-f]{32})"')),  # in audit rows
    # Log lines: their time, and the abbreviated commit they name.
    ("log-time", re.compile(r"^(?P<v>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) [A-Z]+ ")),
    ("log-revision", re.compile(r"(?:catalog at|ingest of) (?P<v>[0-9a-f]{12})\b")),
]


def varying_values(line: str) -> list[tuple[str, str]]:
    """(rule, value) of each varying value in ``line``, in order."""
    found: list[tuple[int, str, str]] = []
    for name, pattern in RULES:
        found += [(match.start("v"), name, match["v"]) for match in pattern.finditer(line)]
    return [(name, value) for _, name, value in sorted(found)]


def normalise(line: str) -> str:
    for name, pattern in RULES:
        line = pattern.sub(_placeholder(name), line)
    return line


def _placeholder(name: str) -> Callable[[re.Match[str]], str]:
    """The match with its value (group ``v``) replaced by ``<name>``."""

    def replace(match: re.Match[str]) -> str:
        start, end = match.start("v") - match.start(), match.end("v") - match.start()
        return f"{match.group(0)[:start]}<{name}>{match.group(0)[end:]}"

    return replace


def correspondences(expected: list[str], actual: list[str]) -> dict[str, str]:
    """Doc value → real value of the varying values of two outputs, the k-th of each rule with the
    k-th (a later command that quotes the doc's ETag is run with the real one)."""
    shown = _by_rule(expected)
    real = _by_rule(actual)
    pairs: dict[str, str] = {}
    for name, values in shown.items():
        if len(values) == len(real.get(name, [])):
            pairs |= {
                s: r
                for s, r in zip(values, real[name], strict=True)
                if s != r and len(s) >= 12  # shorter ones may appear elsewhere in the text
            }
    return pairs


def _by_rule(lines: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in lines:
        for name, value in varying_values(line):
            found.setdefault(name, []).append(value)
    return found
