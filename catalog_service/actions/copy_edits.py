"""Adding and removing a database copy (``spec.environments.<env>.copies``) in manifest text,
touching only the lines of that copy (pure, no I/O).

As promotions do (``manifest_edits``), the edit is made in place at the nodes' marks, so comments,
quoting, alignment and flow style elsewhere stay byte for byte, and every edit is read back: the
file must hold exactly the intended values, or the edit is refused (edit it by hand).
"""

from __future__ import annotations

import copy as deep
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from catalog_service.actions.manifest_edits import (
    _child,
    _document_span,
    _environments,
    _find_application,
    _key,
    _last_mark,
    _line_end,
    _offset,
    _read,
    _scalar,
    _where,
    unified_diff,
)
from catalog_service.errors import ConflictError, ManifestEditError, NotFoundError


@dataclass(frozen=True, slots=True)
class CopyEntry:
    """One item of ``copies``, as written: ``expires_at`` is the ISO 8601 UTC text."""

    component: str
    source: str
    expires_at: str

    def flow(self) -> str:
        return (
            f"{{component: {_scalar(self.component, None)}, from: {_scalar(self.source, None)},"
            f" expiresAt: {json.dumps(self.expires_at)}}}"
        )

    def value(self) -> dict[str, str]:
        return {"component": self.component, "from": self.source, "expiresAt": self.expires_at}


@dataclass(frozen=True, slots=True)
class CopyEdit:
    new_text: str
    changed: bool
    diff: str


def add_copy(
    text: str, application: str, environment: str, entry: CopyEntry, *, path: str
) -> CopyEdit:
    """``entry`` appended to ``spec.environments.<environment>.copies`` (the list is created
    when missing). A copy of the same component there already is a 409."""
    start, end, document_text, values, index, env_node = _target(
        text, application, environment, path
    )
    current = values[index]["spec"]["environments"][environment]
    for existing in current.get("copies") or []:
        if isinstance(existing, dict) and existing.get("component") == entry.component:
            raise ConflictError(
                f"{_where(path, env_node)}: {application!r} has a copy of"
                f" {entry.component!r} in {environment!r} already (from"
                f" {existing.get('from')!r}, until {existing.get('expiresAt')}); one copy per"
                " component and environment"
            )
    edited = _insert(document_text, env_node, entry)
    expected = deep.deepcopy(values)
    target = expected[index]["spec"]["environments"][environment]
    target.setdefault("copies", []).append(entry.value())
    return _finish(path, text, start, end, document_text, edited, expected)


def remove_copy(
    text: str, application: str, environment: str, entry: CopyEntry, *, path: str
) -> CopyEdit:
    """The item of ``copies`` that is ``entry`` removed (and ``copies`` itself when it was the
    only one). Nothing to change when it is not there (removed already)."""
    start, end, document_text, values, index, env_node = _target(
        text, application, environment, path
    )
    items = values[index]["spec"]["environments"][environment].get("copies") or []
    position = next((i for i, item in enumerate(items) if _is(item, entry)), None)
    if position is None:
        return CopyEdit(text, False, "")
    seq = _child(env_node, "copies")
    assert isinstance(seq, SequenceNode)
    expected = deep.deepcopy(values)
    target = expected[index]["spec"]["environments"][environment]
    if len(items) == 1 and position == 0:
        edited = _drop_key(document_text, env_node, seq)
        del target["copies"]
    else:
        edited = _drop_item(document_text, seq, position)
        del target["copies"][position]
    return _finish(path, text, start, end, document_text, edited, expected)


def _is(item: object, entry: CopyEntry) -> bool:
    """Whether a ``copies`` item is ``entry`` (its ``expiresAt`` quoted or not)."""
    if not isinstance(item, dict):
        return False
    expires = item.get("expiresAt")
    if isinstance(expires, datetime):
        expires = expires.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    elif isinstance(expires, str) and expires.endswith("+00:00"):
        expires = expires.removesuffix("+00:00") + "Z"
    return (item.get("component"), item.get("from"), expires) == (
        entry.component,
        entry.source,
        entry.expires_at,
    )


def _target(
    text: str, application: str, environment: str, path: str
) -> tuple[int, int, str, list[Any], int, MappingNode]:
    start, end = _document_span(path, text, application)
    padding = "\n" * text.count("\n", 0, start)
    document_text = padding + text[start:end]
    values, document = _find_application(path, document_text, application)
    node, environments = _environments(path, document, application)
    env_node = _child(node, environment)
    if environment not in environments or not isinstance(env_node, MappingNode):
        have = ", ".join(environments) or "none"
        raise NotFoundError(
            f"{_where(path, node)}: {application!r} has no environment {environment!r}"
            f" (it has: {have})"
        )
    return start, end, document_text, values, document.index, env_node


def _finish(
    path: str,
    text: str,
    start: int,
    end: int,
    document_text: str,
    edited: str,
    expected: list[Any],
) -> CopyEdit:
    try:
        values, _ = _read(path, edited)
    except ManifestEditError:
        values = []
    if values != expected:
        raise ManifestEditError(
            f"{path}: the copies cannot be changed in place without changing something else"
            " (an anchor, an alias or an unusual layout); edit this file by hand"
        )
    padding = len(document_text) - (end - start)
    new_text = text[:start] + edited[padding:] + text[end:]
    return CopyEdit(new_text, True, unified_diff(path, text, new_text))


def _insert(text: str, env_node: MappingNode, entry: CopyEntry) -> str:
    shift = _offset(text)
    newline = "\r\n" if "\r\n" in text else "\n"
    seq = _child(env_node, "copies")
    if isinstance(seq, SequenceNode):
        if seq.flow_style:
            if seq.value:
                at = seq.value[-1].end_mark.index + shift
                return text[:at] + ", " + entry.flow() + text[at:]
            at = seq.start_mark.index + shift + 1
            return text[:at] + entry.flow() + text[at:]
        indent = " " * seq.start_mark.column
        at = _line_end(text, _last_mark(seq) + shift, newline)
        return _at_line(text, at, f"{indent}- {entry.flow()}{newline}", newline)
    if seq is not None:
        raise ManifestEditError("spec.environments.*.copies is not a list; edit this file by hand")
    last_key, last_value = env_node.value[-1]
    if env_node.flow_style:
        at = last_value.end_mark.index + shift
        return text[:at] + f", copies: [{entry.flow()}]" + text[at:]
    indent = " " * last_key.start_mark.column
    at = _line_end(text, _last_mark(last_value) + shift, newline)
    lines = f"{indent}copies:{newline}{indent}  - {entry.flow()}{newline}"
    return _at_line(text, at, lines, newline)


def _at_line(text: str, at: int, lines: str, newline: str) -> str:
    if at == len(text) and not text.endswith("\n"):
        return text + newline + lines.removesuffix(newline)
    return text[:at] + lines + text[at:]


def _drop_key(text: str, env_node: MappingNode, seq: SequenceNode) -> str:
    """``copies`` and its list out of the environment's mapping."""
    shift = _offset(text)
    key = _key(env_node, "copies")
    assert isinstance(key, ScalarNode)
    pairs = env_node.value
    position = next(i for i, (k, _) in enumerate(pairs) if k is key)
    if env_node.flow_style:
        if position > 0:  # `, copies: [...]` after the value before it
            begin = pairs[position - 1][1].end_mark.index + shift
            return text[:begin] + text[seq.end_mark.index + shift :]
        if len(pairs) > 1:
            following = pairs[1][0].start_mark.index + shift
            return text[: key.start_mark.index + shift] + text[following:]
        raise ManifestEditError("an environment holding only copies; edit this file by hand")
    return _drop_lines(text, key, _last_mark(seq) + shift)


def _drop_item(text: str, seq: SequenceNode, position: int) -> str:
    shift = _offset(text)
    items = seq.value
    item = items[position]
    if seq.flow_style:
        if position > 0:
            begin = items[position - 1].end_mark.index + shift
            return text[:begin] + text[item.end_mark.index + shift :]
        following = items[1].start_mark.index + shift
        return text[: item.start_mark.index + shift] + text[following:]
    return _drop_lines(text, item, _last_mark(item) + shift, dash=True)


def _drop_lines(text: str, first: Node, last: int, *, dash: bool = False) -> str:
    """The lines from ``first``'s (its ``- `` too with ``dash``) to the one ``last`` is on."""
    start = first.start_mark.index + _offset(text)
    begin = text.rfind("\n", 0, start) + 1
    if text[begin:start].strip(" -" if dash else " "):
        raise ManifestEditError("a copy that does not start its line; edit this file by hand")
    newline = "\r\n" if "\r\n" in text else "\n"
    return text[:begin] + text[_line_end(text, last, newline) :]
