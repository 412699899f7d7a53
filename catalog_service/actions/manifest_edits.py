"""Edits of manifest text that touch only what they must (pure, no I/O).

A promotion rewrites one scalar in place, located by the catalog's own YAML reader (libyaml's node
marks), so comments, quoting, key order, alignment and flow style such as ``{version: "1.4.2"}``
stay byte for byte. A re-dump through a round-trip emitter would not keep all of them (it drops
the spaces that align ``dev:     {...}``). Every edit is read back and checked: the file must
hold exactly the intended values and nothing else changed, or the edit is refused.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode

from catalog_service.actions.new_manifest import (
    NewApplication,
    plain_reads_as_string,
    render_new_manifest,
)
from catalog_service.domain.loading import ProblemList, documents
from catalog_service.errors import InvalidRequestError, ManifestEditError, NotFoundError

__all__ = [
    "Edit",
    "NewApplication",
    "promote_version",
    "render_new_manifest",
    "set_version",
    "unified_diff",
]

_DOCUMENT_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|\Z)", re.MULTILINE)
_HUNK = re.compile(r"@@ -(\d+)((?:,\d+)?) \+(\d+)((?:,\d+)?) @@\n\Z")
_SAFE_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-")


@dataclass(frozen=True, slots=True)
class Edit:
    """The file after an edit; ``diff`` is empty when nothing changed."""

    new_text: str
    changed: bool
    diff: str
    version: str  # the version promoted (the source environment's, as the manifest says)


@dataclass(frozen=True, slots=True)
class _Document:
    root: Node
    value: dict[str, Any]
    index: int  # among the file's documents


def promote_version(
    text: str,
    application: str,
    source_env: str,
    target_env: str,
    environment_order: Sequence[str],
    *,
    path: str,
) -> Edit:
    """Copy ``spec.environments.<source_env>.version`` of ``application`` to ``target_env``.

    The target environment is added (at its place in ``environment_order``) when the manifest
    does not have it. Raises NotFoundError (no such application or source environment),
    ManifestEditError (a broken manifest, or one that cannot be edited in place) and
    InvalidRequestError (a target environment that is not configured).
    """
    if target_env not in environment_order:
        raise InvalidRequestError(
            f"unknown environment {target_env!r}; configured: {', '.join(environment_order)}"
        )
    start, end = _document_span(path, text, application)
    # Only that document is read and edited: a 1 MiB file of many documents stays cheap. Blank
    # lines in front keep the reader's line numbers those of the file.
    padding = "\n" * text.count("\n", 0, start)
    version, edited = _promote(
        path, padding + text[start:end], application, source_env, target_env, environment_order
    )
    if edited is None:
        return Edit(text, False, "", version)
    new_text = text[:start] + edited[len(padding) :] + text[end:]
    return Edit(new_text, True, unified_diff(path, text, new_text), version)


def set_version(text: str, application: str, environment: str, version: str, *, path: str) -> Edit:
    """Set ``spec.environments.<environment>.version`` of ``application`` to ``version``: one
    scalar replaced, everything else as it was. Raises NotFoundError (no such application, or it
    does not list the environment) and ManifestEditError (as :func:`promote_version`)."""
    start, end = _document_span(path, text, application)
    padding = "\n" * text.count("\n", 0, start)
    document_text = padding + text[start:end]
    values, document = _find_application(path, document_text, application)
    node, environments = _environments(path, document, application)
    if environment not in environments:
        have = ", ".join(environments) or "none"
        raise NotFoundError(
            f"{_where(path, node)}: {application!r} has no environment {environment!r}"
            f" (it has: {have}); add it to the manifest first"
        )
    entry = environments[environment]
    current = entry.get("version") if isinstance(entry, dict) else None
    if current == version:
        return Edit(text, False, "", version)
    edited = _replace_version(path, document_text, node, environment, version)
    expected = copy.deepcopy(values)
    expected[document.index]["spec"]["environments"][environment]["version"] = version
    _check(path, edited, expected)
    new_text = text[:start] + edited[len(padding) :] + text[end:]
    return Edit(new_text, True, unified_diff(path, text, new_text), version)


def _promote(
    path: str,
    text: str,
    application: str,
    source_env: str,
    target_env: str,
    environment_order: Sequence[str],
) -> tuple[str, str | None]:
    """The version and the edited text (None when the target already runs that version)."""
    values, document = _find_application(path, text, application)
    environments_node, environments = _environments(path, document, application)
    version = _source_version(path, environments_node, environments, application, source_env)
    target = environments.get(target_env)
    if isinstance(target, dict) and target.get("version") == version:
        return version, None
    if target is None:
        new_text = _insert_environment(
            text, environments_node, source_env, target_env, version, environment_order
        )
    else:
        new_text = _replace_version(path, text, environments_node, target_env, version)
    expected = copy.deepcopy(values)
    expected_envs = expected[document.index]["spec"]["environments"]
    expected_envs.setdefault(target_env, {})["version"] = version
    _check(path, new_text, expected)
    return version, new_text


def _document_span(path: str, text: str, application: str) -> tuple[int, int]:
    """The characters of the one document that declares ``application``.

    libyaml ends a document at any line starting with ``---`` or ``...``, even inside a scalar,
    so splitting there finds the same documents. A name written with escapes is not found as
    text: then the whole file is the span, and read as a whole."""
    cuts = [match.start() for match in _DOCUMENT_MARKER.finditer(text) if match.start()]
    spans = list(zip([0, *cuts], [*cuts, len(text)], strict=True))
    found = []
    for start, end in spans:
        if application in text[start:end]:
            padding = "\n" * text.count("\n", 0, start)
            try:
                _find_application(path, padding + text[start:end], application)
            except NotFoundError:
                continue
            found.append((start, end))
    if len(found) > 1:
        line = text.count("\n", 0, found[1][0]) + 1
        raise ManifestEditError(f"{path}:{line}:1: {application!r} is declared more than once")
    if not found:
        _find_application(path, text, application)  # raises NotFoundError unless escaped
        return 0, len(text)
    return found[0]


def unified_diff(path: str, old: str, new: str, context: int = 3) -> str:
    """A unified diff with ``a/path`` and ``b/path`` headers, as git shows it.

    Lines common to the start and the end are left out of difflib's work (they are most of a
    large file) and the hunks' line numbers shifted back."""
    old_lines, new_lines = _lines(old), _lines(new)
    head = 0
    while head < min(len(old_lines), len(new_lines)) and old_lines[head] == new_lines[head]:
        head += 1
    tail = 0
    while (
        tail < min(len(old_lines), len(new_lines)) - head
        and old_lines[-1 - tail] == new_lines[-1 - tail]
    ):
        tail += 1
    skip = max(0, head - context)
    keep_tail = max(0, tail - context)
    lines = difflib.unified_diff(
        old_lines[skip : len(old_lines) - keep_tail],
        new_lines[skip : len(new_lines) - keep_tail],
        fromfile=f"a/{path}",
        tofile=f"b/{path}",
        n=context,
    )
    return "".join(
        _shift(line, skip) if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
        for line in lines
    )


def _shift(line: str, lines: int) -> str:
    """A hunk header with its line numbers moved down by ``lines``."""
    match = _HUNK.match(line)
    if not match or not lines:
        return line
    old_start, old_rest, new_start, new_rest = match.groups()
    return f"@@ -{int(old_start) + lines}{old_rest} +{int(new_start) + lines}{new_rest} @@\n"


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    last = lines.pop()
    return [line + "\n" for line in lines] + ([last] if last else [])


# -- reading ------------------------------------------------------------------------------------


def _read(path: str, text: str) -> tuple[list[Any], list[Node]]:
    problems = ProblemList(5)
    roots, values = [], []
    for root, value in documents(path, text, problems):
        roots.append(root)
        values.append(value)
    if problems.count:
        raise ManifestEditError(
            "the manifest file cannot be read, fix it first: "
            + "; ".join(str(problem) for problem in problems.kept)
        )
    return values, roots


def _find_application(path: str, text: str, application: str) -> tuple[list[Any], _Document]:
    values, roots = _read(path, text)
    found = [
        _Document(root, value, index)
        for index, (root, value) in enumerate(zip(roots, values, strict=True))
        if isinstance(value, dict)
        and value.get("kind") == "Application"
        and isinstance(value.get("metadata"), dict)
        and value["metadata"].get("name") == application
    ]
    if not found:
        raise NotFoundError(f"{path}: no Application named {application!r} in this file")
    if len(found) > 1:
        raise ManifestEditError(
            f"{_where(path, found[1].root)}: {application!r} is declared more than once"
        )
    return values, found[0]


def _environments(
    path: str, document: _Document, application: str
) -> tuple[MappingNode, dict[str, Any]]:
    spec_node = _child(document.root, "spec")
    spec = document.value.get("spec")
    if not isinstance(spec, dict) or not isinstance(spec_node, MappingNode):
        raise ManifestEditError(f"{_where(path, document.root)}: {application!r} has no spec")
    node = _child(spec_node, "environments")
    environments = spec.get("environments")
    if node is None or not isinstance(environments, dict):
        raise NotFoundError(
            f"{_where(path, spec_node)}: {application!r} has no spec.environments to promote from"
        )
    if not isinstance(node, MappingNode):
        raise ManifestEditError(f"{_where(path, node)}: spec.environments is not a mapping")
    return node, environments


def _source_version(
    path: str,
    node: MappingNode,
    environments: dict[str, Any],
    application: str,
    source_env: str,
) -> str:
    source = environments.get(source_env)
    if source_env not in environments:
        have = ", ".join(environments) or "none"
        raise NotFoundError(
            f"{_where(path, node)}: {application!r} has no environment {source_env!r}"
            f" (it has: {have})"
        )
    version = source.get("version") if isinstance(source, dict) else None
    if not isinstance(version, str):
        at = _child(node, source_env) or node
        raise ManifestEditError(
            f"{_where(path, at)}: {application!r} has no version (a quoted string) in"
            f" {source_env!r} to promote"
        )
    return version


def _child(node: Node | None, key: str) -> Node | None:
    """The value node of ``key`` written in this mapping (not one merged in with ``<<``)."""
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == key:
                found: Node = value_node
                return found
    return None


def _key(node: MappingNode, key: str) -> Node | None:
    for key_node, _ in node.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return key_node
    return None


def _where(path: str, node: Node) -> str:
    return f"{path}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"


def _check(path: str, new_text: str, expected: list[Any]) -> None:
    """The edited file must read as exactly the intended values: nothing else may change."""
    try:
        values, _ = _read(path, new_text)
    except ManifestEditError:
        values = []
    if values != expected:
        raise ManifestEditError(
            f"{path}: the version cannot be changed in place without changing something else"
            " (an anchor, an alias or an unusual layout); edit this file by hand"
        )


# -- writing ------------------------------------------------------------------------------------


def _offset(text: str) -> int:
    # libyaml's marks count characters after a byte order mark.
    return 1 if text.startswith("\ufeff") else 0


def _scalar(value: str, style: str | None) -> str:
    """``value`` written in the style of the scalar it replaces, if that reads back the same."""
    safe_plain = set(value) <= _SAFE_PLAIN and plain_reads_as_string(value)
    if style == "'" and "'" not in value:
        return f"'{value}'"
    if not style and safe_plain:
        return value
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted one


def _replace_version(path: str, text: str, node: MappingNode, target_env: str, version: str) -> str:
    target = _child(node, target_env)
    scalar = _child(target, "version")
    if not isinstance(scalar, ScalarNode):
        at = target or node
        raise ManifestEditError(
            f"{_where(path, at)}: environment {target_env!r} has no version of its own to"
            " change; edit this file by hand"
        )
    start = scalar.start_mark.index + _offset(text)
    end = scalar.end_mark.index + _offset(text)
    return text[:start] + _scalar(version, scalar.style) + text[end:]


def _insert_environment(
    text: str,
    node: MappingNode,
    source_env: str,
    target_env: str,
    version: str,
    order: Sequence[str],
) -> str:
    """Add ``target_env: {version: ...}`` after the environment before it in ``order``, in the
    style of the source environment's entry."""
    rank = {name: index for index, name in enumerate(order)}
    goal = rank[target_env]
    entries = [
        (key, value)
        for key, value in node.value
        if isinstance(key, ScalarNode) and key.value in rank
    ]
    before = [entry for entry in entries if rank[entry[0].value] < goal]
    after = [entry for entry in entries if rank[entry[0].value] > goal]
    template_key = _key(node, source_env)
    template = _child(node, source_env)
    assert isinstance(template_key, ScalarNode) and template is not None  # checked by the caller
    newline = "\r\n" if "\r\n" in text else "\n"
    shift = _offset(text)
    source_style = getattr(_child(template, "version"), "style", None)
    value_text = _scalar(version, source_style)
    if node.flow_style:
        entry = f"{target_env}: {{version: {value_text}}}"
        if before:
            at = before[-1][1].end_mark.index + shift
            return text[:at] + ", " + entry + text[at:]
        at = after[0][0].start_mark.index + shift
        return text[:at] + entry + ", " + text[at:]
    lines = _block_entry(node, template_key, template, target_env, value_text, newline)
    if before:
        at = _line_end(text, _last_mark(before[-1][1]) + shift, newline)
        if at == len(text) and not text.endswith("\n"):
            return text + newline + lines.removesuffix(newline)
        return text[:at] + lines + text[at:]
    first_key = after[0][0]
    at = first_key.start_mark.index + shift - first_key.start_mark.column
    return text[:at] + lines + text[at:]


def _block_entry(
    node: MappingNode, key: ScalarNode, value: Node, target_env: str, value_text: str, nl: str
) -> str:
    indent = " " * key.start_mark.column
    if value.start_mark.line > key.start_mark.line:  # `dev:` then `  version: "1"` below
        version_key = _key(value, "version") if isinstance(value, MappingNode) else None
        column = version_key.start_mark.column if version_key else key.start_mark.column + 2
        return f"{indent}{target_env}:{nl}{' ' * column}version: {value_text}{nl}"
    # `dev:     {version: "1"}`: keep the values aligned when the others are.
    gap = 1
    column = _aligned_column(node)
    if column is not None:
        gap = max(1, column - key.start_mark.column - len(target_env) - 1)
    return f"{indent}{target_env}:{' ' * gap}{{version: {value_text}}}{nl}"


def _aligned_column(node: MappingNode) -> int | None:
    """The column the entries' values are aligned at (more than one space after some key)."""
    same_line = [
        (key, value) for key, value in node.value if value.start_mark.line == key.end_mark.line
    ]
    columns = {value.start_mark.column for _, value in same_line}
    padded = any(value.start_mark.column - key.end_mark.column > 2 for key, value in same_line)
    return columns.pop() if len(columns) == 1 and padded else None


def _last_mark(node: Node) -> int:
    """Where the last scalar or flow collection of a node ends (a block collection's own end mark
    lies past the comments and blank lines that follow it)."""
    while isinstance(node.value, list) and node.value and not getattr(node, "flow_style", False):
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    return int(node.end_mark.index)


def _line_end(text: str, index: int, newline: str) -> int:
    """The start of the line after ``index``."""
    found = text.find("\n", index)
    return len(text) if found < 0 else found + 1
