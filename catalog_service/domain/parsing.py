"""Manifest files (bytes) become validated manifests, or problems that say where.

YAML is composed by libyaml (PyYAML's ``CSafeLoader``): the C parser keeps a mark (line, column) on
every node, so an error found later by the model can be traced back to the node it is about.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from catalog_service.domain import manifests as m
from catalog_service.domain.problems import Problem
from catalog_service.domain.suggestions import unknown_key_hint

MAX_FILE_BYTES = 1024 * 1024
# Far above any real manifest, far below what an alias bomb expands to.
MAX_EXPANDED_NODES = 20_000
MANIFEST_SUFFIXES = (".yaml", ".yml")

Position = tuple[int, int]  # line, column; from 1


@dataclass(frozen=True, slots=True)
class ParsedApplication:
    """A valid application and the positions that rules spanning several files point at."""

    manifest: m.Application
    path: str
    name_at: Position
    depends_on_at: tuple[Position, ...]
    components_at: tuple[Position, ...]


@dataclass(frozen=True, slots=True)
class ParsedSystem:
    manifest: m.System
    path: str
    name_at: Position


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """Everything one file holds: its valid manifests and the problems of the rest."""

    path: str
    applications: tuple[ParsedApplication, ...]
    systems: tuple[ParsedSystem, ...]
    problems: tuple[Problem, ...]
    # Applications this file declares but that were rejected: others may still depend on them.
    rejected_names: tuple[str, ...] = ()


def is_manifest_path(path: str, roots: Sequence[str]) -> bool:
    """Whether ``path`` (relative, with ``/``) is a manifest under one of the roots."""
    if not path.endswith(MANIFEST_SUFFIXES):
        return False
    return any(root in ("", ".") or path.startswith(root.rstrip("/") + "/") for root in roots)


def rejected_file(path: str, message: str) -> ParsedFile:
    """A file refused as a whole (too large, a symbolic link, unreadable)."""
    return ParsedFile(path, (), (), (Problem(path, 1, 1, message),))


def parse_file(path: str, data: bytes, environments: Sequence[str]) -> ParsedFile:
    """Parse and validate every YAML document of one manifest file."""
    if len(data) > MAX_FILE_BYTES:
        return rejected_file(
            path, f"file is {len(data):,} bytes; manifests may be at most {MAX_FILE_BYTES:,} bytes"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = _byte_position(data, error.start)
        return ParsedFile(
            path, (), (), (Problem(path, line, column, "file is not valid UTF-8 text"),)
        )
    applications: list[ParsedApplication] = []
    systems: list[ParsedSystem] = []
    problems: list[Problem] = []
    rejected_names: list[str] = []
    documents = 0
    for root, value in _documents(path, text, problems):
        documents += 1
        accepted = len(applications)
        _validate_document(path, root, value, environments, applications, systems, problems)
        if len(applications) == accepted and _application_name(value):
            rejected_names.append(_application_name(value))
    if documents == 0 and not problems:
        problems.append(Problem(path, 1, 1, "file holds no manifest (it is empty)"))
    return ParsedFile(
        path, tuple(applications), tuple(systems), tuple(problems), tuple(rejected_names)
    )


def _application_name(value: Any) -> str:
    """The name a rejected Application document declares, if it says one."""
    if isinstance(value, dict) and value.get("kind") == "Application":
        metadata = value.get("metadata")
        if isinstance(metadata, dict) and isinstance(metadata.get("name"), str):
            return str(metadata["name"])
    return ""


_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"


class _DocumentError(yaml.MarkedYAMLError):
    """A document that parsed but cannot be a manifest (duplicate or non-string keys)."""


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
            shown = f" {_short(key.value)}" if key.__class__ is ScalarNode else ""
            raise _DocumentError(
                None, None, f"key{shown} is not a string; quote it", key.start_mark
            )
        if key.tag == _MERGE_TAG:  # `<<: *defaults`: explicit keys win over merged ones
            merged.extend(_merge_sources(value, loader))
            continue
        if key.value in mapping:
            raise _DocumentError(None, None, f"duplicate key {_short(key.value)}", key.start_mark)
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
    except (ValueError, TypeError, AttributeError, OverflowError) as error:
        tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
        raise _DocumentError(
            None, None, f"the value is not a valid {_short(tag)}", node.start_mark
        ) from error


def _merge_sources(node: Node, loader: yaml.CSafeLoader) -> list[dict[str, Any]]:
    sources = node.value if isinstance(node, SequenceNode) else [node]
    if not all(isinstance(source, MappingNode) for source in sources):
        raise _DocumentError(
            None, None, "a merge key (<<) takes a mapping or a list of mappings", node.start_mark
        )
    return [_to_python(source, loader) for source in sources]


def _documents(path: str, text: str, problems: list[Problem]) -> Iterator[tuple[Node, Any]]:
    """Each document's node tree and its plain value. A syntax error ends the file there; a
    document that parsed but cannot be a value is a problem, and the next documents still count."""
    loader = yaml.CSafeLoader(text)
    may_alias = "&" in text  # no anchor, no alias: the expansion check can be skipped
    try:
        while loader.check_node():
            root = loader.get_node()
            if root is None:
                continue
            if may_alias and _expanded_size(root) > MAX_EXPANDED_NODES:
                problems.append(
                    _at(
                        path,
                        root,
                        f"document expands to more than {MAX_EXPANDED_NODES:,} YAML nodes"
                        " through anchors and aliases",
                    )
                )
                continue
            try:
                value = _to_python(root, loader)
            except (_DocumentError, yaml.constructor.ConstructorError) as error:
                problems.append(_yaml_problem(path, error))
                continue
            except RecursionError:  # nested deeper than the interpreter's stack allows
                problems.append(_at(path, root, "invalid YAML: nesting is too deep"))
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


def _yaml_problem(path: str, error: yaml.MarkedYAMLError) -> Problem:
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    message = " ".join(str(part) for part in (error.context, error.problem) if part)
    return Problem(path, line, column, f"invalid YAML: {message}")


def _expanded_size(root: Node) -> int:
    """How many nodes the document has once every alias is expanded (no recursion, memoised).

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
            return too_many
        open_nodes.add(id(node))
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                return too_many
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)]


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [child for pair in node.value for child in pair]
    return []


def _validate_document(
    path: str,
    root: Node,
    value: Any,
    environments: Sequence[str],
    applications: list[ParsedApplication],
    systems: list[ParsedSystem],
    problems: list[Problem],
) -> None:
    if not isinstance(value, dict):
        what = "empty" if value is None else f"a {_yaml_kind(root)}"
        problems.append(
            _at(path, root, f"document is {what}; a manifest is a mapping with apiVersion and kind")
        )
        return
    kind_problem = _kind_problem(value)
    if kind_problem:
        field, message = kind_problem
        problems.append(_at(path, locate(root, (field,)), message))
        return
    model: type[m.Application | m.System] = (
        m.Application if value["kind"] == "Application" else m.System
    )
    try:
        manifest = model.model_validate(value)
    except ValidationError as error:
        for detail in error.errors(include_url=False, include_input=False):
            problems.append(_validation_problem(path, root, detail, model))
        return
    if isinstance(manifest, m.System):
        systems.append(ParsedSystem(manifest, path, _position(locate(root, ("metadata", "name")))))
        return
    application = manifest
    rule_problems = [
        _at(path, locate(root, field_path), message)
        for field_path, message in m.check_application(application, environments)
    ]
    if rule_problems:
        problems.extend(rule_problems)
        return
    applications.append(
        ParsedApplication(
            manifest=application,
            path=path,
            name_at=_position(locate(root, ("metadata", "name"))),
            depends_on_at=tuple(
                _position(locate(root, ("spec", "dependsOn", index)))
                for index in range(len(application.spec.depends_on))
            ),
            components_at=tuple(
                _position(locate(root, ("spec", "components", index, "name")))
                for index in range(len(application.spec.components))
            ),
        )
    )


def _kind_problem(value: dict[Any, Any]) -> tuple[str, str] | None:
    api_version, kind = value.get("apiVersion"), value.get("kind")
    if api_version is None:
        return "apiVersion", f"apiVersion is required; this format is {m.API_VERSION}"
    if api_version != m.API_VERSION:
        looks_like = f" ({_short(api_version)} {_short(kind)})" if isinstance(kind, str) else ""
        return "apiVersion", (
            f"apiVersion must be {m.API_VERSION}; this looks like another kind of object"
            f"{looks_like}, which does not belong under the manifest roots"
        )
    if kind is None:
        return "kind", "kind is required: Application or System"
    if kind not in m.KINDS:
        return "kind", f"unknown kind {_short(kind)}; expected Application or System"
    return None


def _validation_problem(
    path: str, root: Node, detail: ErrorDetails, model: type[BaseModel]
) -> Problem:
    loc = tuple(detail["loc"])
    field = dotted(loc)
    kind = detail["type"]
    if kind == "extra_forbidden":
        node = locate(root, loc, key=True)
        if loc[-1] in ("value", "valueFrom", "secretValue", "plaintext") and "secrets" in loc:
            hint = (
                "; a secret is a reference (secret, key) to AWS Secrets Manager,"
                " its value never belongs in a manifest"
            )
        else:
            hint = unknown_key_hint(model, loc).replace("known keys", "known fields")
        return _at(path, node, f"{field}: unknown field{hint}")
    node = locate(root, loc)
    if kind == "missing":
        return _at(path, node, f"{field} is required")
    if kind in ("string_type", "int_type", "bool_type", "list_type", "dict_type", "model_type"):
        expected = {
            "string_type": "a string",
            "int_type": "a whole number",
            "bool_type": "true or false",
            "list_type": "a list",
            "dict_type": "a mapping",
            "model_type": "a mapping",
        }[kind]
        hint = ""
        if kind == "string_type" and isinstance(node, ScalarNode) and not node.style:
            hint = ' (quote it, for example "1.4" or "on")'
        return _at(path, node, f"{field}: expected {expected}{hint}")
    if kind == "string_pattern_mismatch":
        pattern = str((detail.get("ctx") or {}).get("pattern", ""))
        return _at(path, node, f"{field}: {_FORMATS.get(pattern, 'has the wrong format')}")
    if kind == "literal_error":
        expected_values = (detail.get("ctx") or {}).get("expected", "")
        return _at(path, node, f"{field}: must be {expected_values}")
    return _at(path, node, f"{field}: {detail['msg']}")


_FORMATS = {
    m.DNS_LABEL: "must be a DNS label: lowercase letters, digits and '-', at most 63 characters",
    m.TAG: "must be lowercase letters, digits and '-' (a Backstage tag)",
    m.ENTITY_REF: "must be a group name (team-payments) or an entity ref (group:default/team-a)",
    m.GITHUB_REPOSITORY: "must be a GitHub repository as owner/name",
    m.URL: "must be an absolute URL such as https://example.com/path",
    m.IMAGE: "must be an image repository without tag (the tag is each environment's version)",
    m.ENV_VAR: "must be an environment variable name (letters, digits, '_')",
    m.AWS_SECRET_NAME: "must be an AWS Secrets Manager secret name",
    m.VERSION: "must be a version or image tag such as 1.4.2 (no spaces)",
    m.CRON: "must be a cron expression with five fields, such as '0 2 * * *'",
}


def dotted(loc: Sequence[str | int]) -> str:
    """``("spec", "components", 0, "name")`` as ``spec.components[0].name``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "document"


def locate(root: Node, loc: Sequence[str | int], key: bool = False) -> Node:
    """The node at ``loc``, or the nearest existing ancestor (for a missing field: its parent).

    With ``key``, the node of the last mapping key instead of its value (an unknown field). A block
    mapping or list starts on the line after its key, so a problem about one points at its key.
    """
    node, key_node = root, None
    for part in loc:
        if isinstance(node, MappingNode):
            for key_candidate, value in node.value:
                if isinstance(key_candidate, ScalarNode) and key_candidate.value == str(part):
                    node, key_node = value, key_candidate
                    break
            else:
                return key_node or node
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            node, key_node = node.value[part], None
        else:
            return key_node or node
    if key_node is not None and (
        key or (isinstance(node, MappingNode | SequenceNode) and not node.flow_style)
    ):
        return key_node
    return node


def _position(node: Node) -> Position:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _at(path: str, node: Node, message: str) -> Problem:
    line, column = _position(node)
    return Problem(path, line, column, message)


def _yaml_kind(node: Node) -> str:
    if isinstance(node, SequenceNode):
        return "list"
    return "scalar" if isinstance(node, ScalarNode) else "mapping"


def _short(value: object, limit: int = 40) -> str:
    text = str(value)
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _byte_position(data: bytes, offset: int) -> Position:
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, len(
        data[line_start:offset].decode("utf-8", "replace")
    ) + 1
