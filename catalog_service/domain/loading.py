"""YAML text becomes node trees and plain values, totally and within a bounded amount of work.

YAML is composed by libyaml (PyYAML's ``CSafeLoader``): the C parser keeps a mark (line, column) on
every node, so an error found later by the model can be traced back to the node it is about.
Whatever the text holds (any tag, merge key, alias), each bad document ends as a located problem.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from catalog_service.domain.problems import Problem

# Far above any real manifest, far below what an alias bomb expands to.
MAX_EXPANDED_NODES = 20_000
# Across all the documents of one file (or one validate body): what aliases may add to the nodes
# written out. Real manifests share a few defaults (`<<: *defaults`); many documents each just
# under the limit above would otherwise cost seconds of work per megabyte.
MAX_FILE_ALIAS_EXPANSION = 100_000

_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"


class ProblemList:
    """The problems of one file: the first ``limit`` are kept, the rest only counted."""

    def __init__(self, limit: int) -> None:
        self.kept: list[Problem] = []
        self.count = 0
        self._limit = limit

    def append(self, problem: Problem) -> None:
        self.count += 1
        if len(self.kept) < self._limit:
            self.kept.append(problem)

    def extend(self, problems: list[Problem]) -> None:
        for problem in problems:
            self.append(problem)

    @property
    def omitted(self) -> int:
        return self.count - len(self.kept)


class _DocumentError(yaml.MarkedYAMLError):
    """A document that parsed but cannot be a manifest (duplicate or non-string keys)."""


def documents(path: str, text: str, problems: ProblemList) -> Iterator[tuple[Node, Any]]:
    """Each document's node tree and its plain value. A syntax error ends the file there; a
    document that parsed but cannot be a value is a problem, and the next documents still count."""
    loader = yaml.CSafeLoader(text)
    may_alias = "&" in text  # no anchor, no alias: the expansion check can be skipped
    expansion = 0  # nodes that aliases added, in all documents so far
    try:
        while loader.check_node():
            root = loader.get_node()
            if root is None:
                continue
            if may_alias:
                size, distinct = _expanded_size(root)
                if size > MAX_EXPANDED_NODES:
                    problems.append(
                        at(
                            path,
                            root,
                            f"document expands to more than {MAX_EXPANDED_NODES:,} YAML nodes"
                            " through anchors and aliases",
                        )
                    )
                    continue
                expansion += size - distinct
                if expansion > MAX_FILE_ALIAS_EXPANSION:
                    problems.append(at(path, root, _BUDGET_SPENT))
                    return
            try:
                value = _to_python(root, loader)
            except (_DocumentError, yaml.constructor.ConstructorError) as error:
                problems.append(_yaml_problem(path, error))
                continue
            except RecursionError:  # nested deeper than the interpreter's stack allows
                problems.append(at(path, root, "invalid YAML: nesting is too deep"))
                continue
            yield root, value
    except yaml.MarkedYAMLError as error:
        problems.append(_yaml_problem(path, error))
    except yaml.YAMLError as error:  # a reader error carries no mark
        problems.append(Problem(path, 1, 1, f"invalid YAML: {type(error).__name__}"))
    except RecursionError:
        problems.append(Problem(path, 1, 1, "invalid YAML: nesting is too deep"))
    finally:
        loader.dispose()


_BUDGET_SPENT = (
    f"anchors and aliases in this file expand to more than {MAX_FILE_ALIAS_EXPANSION:,} extra"
    " YAML nodes in all; the file is not read past this document"
)


def _to_python(node: Node, loader: yaml.CSafeLoader) -> Any:
    """The plain value of a node tree, stricter than PyYAML's constructor and faster.

    Duplicate keys are refused (PyYAML keeps the last silently); keys must be strings: `on:`, `1:`
    and `~:` are not, and said here the problem points at the key. Plain strings, most of a
    manifest, skip the constructor's bookkeeping; other scalars go through it.
    """
    if node.__class__ is ScalarNode:
        return node.value if node.tag == _STR_TAG else _construct(node, loader)
    if node.__class__ is SequenceNode and node.tag == _SEQ_TAG:
        return [_to_python(child, loader) for child in node.value]
    if node.__class__ is not MappingNode or node.tag != _MAP_TAG:
        return _construct(node, loader)  # a tagged list or mapping: !!set, !!omap, !Ref...
    mapping: dict[str, Any] = {}
    merged: list[dict[str, Any]] = []
    for key, value in node.value:
        if key.__class__ is not ScalarNode or key.tag not in (_STR_TAG, _MERGE_TAG):
            shown = f" {short(key.value)}" if key.__class__ is ScalarNode else ""
            raise _DocumentError(
                None, None, f"key{shown} is not a string; quote it", key.start_mark
            )
        if key.tag == _MERGE_TAG:  # `<<: *defaults`: explicit keys win over merged ones
            merged.extend(_merge_sources(value, loader))
            continue
        if key.value in mapping:
            raise _DocumentError(None, None, f"duplicate key {short(key.value)}", key.start_mark)
        mapping[key.value] = _to_python(value, loader)
    for source in merged:
        for merged_key, merged_value in source.items():
            mapping.setdefault(merged_key, merged_value)
    return mapping


def _construct(node: Node, loader: yaml.CSafeLoader) -> Any:
    """What PyYAML's safe constructor makes of a tagged node (numbers, booleans, dates, !!set), or
    a problem at the node: an unknown tag, or a value its tag cannot read (``!!int x``)."""
    try:
        return loader.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as error:
        _, unknown, tag = str(error.problem).partition("constructor for the tag ")
        if not unknown:
            raise
        tag = tag.replace("tag:yaml.org,2002:", "!!")
        raise _DocumentError(
            None,
            None,
            f"unknown tag {tag}: manifests hold plain values (strings, numbers, true or false,"
            " lists, mappings)",
            error.problem_mark or node.start_mark,
        ) from error
    except RecursionError:
        raise  # too deep: said by the caller
    except Exception as error:
        # PyYAML's constructors fail in many ways on values their tag cannot read: KeyError
        # (`!!bool maybe`), IndexError (`!!int ""`), ValueError, binascii.Error...
        tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
        raise _DocumentError(
            None, None, f"the value is not a valid {short(tag)}", node.start_mark
        ) from error


def _merge_sources(node: Node, loader: yaml.CSafeLoader) -> list[dict[str, Any]]:
    sources = node.value if node.__class__ is SequenceNode and node.tag == _SEQ_TAG else [node]
    if not all(
        source.__class__ is MappingNode and source.tag == _MAP_TAG for source in sources
    ):  # `<<: !!set {a}` or `<<: [1]`: nothing to merge keys from
        raise _DocumentError(
            None, None, "a merge key (<<) takes a mapping or a list of mappings", node.start_mark
        )
    return [_to_python(source, loader) for source in sources]


def _yaml_problem(path: str, error: yaml.MarkedYAMLError) -> Problem:
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    message = " ".join(str(part) for part in (error.context, error.problem) if part)
    return Problem(path, line, column, f"invalid YAML: {message}")


def _expanded_size(root: Node) -> tuple[int, int]:
    """How many nodes the document has once every alias is expanded, and how many distinct
    nodes it is written with (no recursion, memoised).

    A node that contains itself (``a: &a [*a]``) expands forever: it counts as over the limit.
    """
    too_many = MAX_EXPANDED_NODES + 1
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if children_done or not children:
            open_nodes.discard(id(node))
            total = 1 + sum(sizes.get(id(child), too_many) for child in children)
            sizes[id(node)] = min(total, too_many)
            continue
        if id(node) in open_nodes:
            return too_many, len(sizes)
        open_nodes.add(id(node))
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                return too_many, len(sizes)
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)], len(sizes)


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [child for pair in node.value for child in pair]
    return []


def at(path: str, node: Node, message: str) -> Problem:
    return Problem(path, node.start_mark.line + 1, node.start_mark.column + 1, message)


def short(value: object, limit: int = 40) -> str:
    text = str(value)
    return repr(text if len(text) <= limit else text[:limit] + "...")
