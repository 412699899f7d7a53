"""Manifest files (bytes) become validated manifests, or problems that say where.

The YAML itself is read by :mod:`catalog_service.domain.loading`; this module checks what each
document says against the manifest models and points every problem at its node.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from catalog_service.domain import manifests as m
from catalog_service.domain.copies import LocatedCopy
from catalog_service.domain.loading import (
    ProblemList,
    at,
    documents,
    short,
)
from catalog_service.domain.problems import MAX_PROBLEMS_PER_FILE, Problem
from catalog_service.domain.suggestions import unknown_key_hint

MAX_FILE_BYTES = 1024 * 1024
MANIFEST_SUFFIXES = (".yaml", ".yml")
LFS_POINTER = b"version https://git-lfs.github.com/spec/"

Position = tuple[int, int]  # line, column; from 1


@dataclass(frozen=True, slots=True)
class ParsedApplication:
    """A valid application and the positions that rules spanning several files point at."""

    manifest: m.Application
    path: str
    name_at: Position
    depends_on_at: tuple[Position, ...]
    components_at: tuple[Position, ...]
    copies: tuple[LocatedCopy, ...] = ()  # located at their expiresAt


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
    # Problems past MAX_PROBLEMS_PER_FILE: counted, not kept.
    omitted: int = 0


def is_manifest_path(path: str, roots: Sequence[str]) -> bool:
    """Whether ``path`` (relative, with ``/``) is a manifest under one of the roots.

    The one rule for the ingest and ``catalog-service validate``: a YAML file under a root, with
    no hidden folder or file (a name starting with '.') below the root: `.github/workflows` holds
    YAML that is not manifests, also when the root is the whole repository.
    """
    if not path.endswith(MANIFEST_SUFFIXES):
        return False
    for root in roots:
        prefix = root.strip("/")
        if prefix in ("", "."):
            below = path
        elif path.startswith(prefix + "/"):
            below = path[len(prefix) + 1 :]
        else:
            continue
        if not any(part.startswith(".") for part in below.split("/")):
            return True
    return False


def rejected_file(path: str, message: str) -> ParsedFile:
    """A file refused as a whole (too large, a symbolic link, unreadable)."""
    return ParsedFile(path, (), (), (Problem(path, 1, 1, message),))


def parse_file(path: str, data: bytes, environments: Sequence[str]) -> ParsedFile:
    """Parse and validate every YAML document of one manifest file."""
    if len(data) > MAX_FILE_BYTES:
        return rejected_file(
            path, f"file is {len(data):,} bytes; manifests may be at most {MAX_FILE_BYTES:,} bytes"
        )
    if data.startswith(LFS_POINTER):
        return rejected_file(
            path,
            "is a Git LFS pointer, not a manifest: the catalog reads what git holds; commit"
            " manifests as plain files, not tracked by Git LFS",
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
    problems = ProblemList(MAX_PROBLEMS_PER_FILE)
    rejected_names: list[str] = []
    count = 0
    for root, value in documents(path, text, problems):
        count += 1
        accepted = len(applications)
        _validate_document(path, root, value, environments, applications, systems, problems)
        if len(applications) == accepted and _application_name(value):
            rejected_names.append(_application_name(value))
    if count == 0 and not problems.count:
        problems.append(Problem(path, 1, 1, "file holds no manifest (it is empty)"))
    return ParsedFile(
        path,
        tuple(applications),
        tuple(systems),
        tuple(problems.kept),
        tuple(rejected_names),
        problems.omitted,
    )


def _application_name(value: Any) -> str:
    """The name a rejected Application document declares, if it says one."""
    if isinstance(value, dict) and value.get("kind") == "Application":
        metadata = value.get("metadata")
        if isinstance(metadata, dict) and isinstance(metadata.get("name"), str):
            return str(metadata["name"])
    return ""


def _validate_document(
    path: str,
    root: Node,
    value: Any,
    environments: Sequence[str],
    applications: list[ParsedApplication],
    systems: list[ParsedSystem],
    problems: ProblemList,
) -> None:
    if not isinstance(value, dict):
        what = "empty" if value is None else f"a {_yaml_kind(root)}"
        problems.append(
            at(path, root, f"document is {what}; a manifest is a mapping with apiVersion and kind")
        )
        return
    kind_problem = _kind_problem(value)
    if kind_problem:
        field, message = kind_problem
        problems.append(at(path, locate(root, (field,)), message))
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
        at(path, locate(root, field_path), message)
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
            copies=_located_copies(path, root, application),
        )
    )


def _located_copies(path: str, root: Node, app: m.Application) -> tuple[LocatedCopy, ...]:
    name = app.metadata.name
    return tuple(
        LocatedCopy(
            name,
            path,
            env,
            copy,
            *_position(locate(root, ("spec", "environments", env, "copies", index, "expiresAt"))),
        )
        for env, environment in app.spec.environments.items()
        for index, copy in enumerate(environment.copies)
    )


def _kind_problem(value: dict[Any, Any]) -> tuple[str, str] | None:
    api_version, kind = value.get("apiVersion"), value.get("kind")
    if api_version is None:
        return "apiVersion", f"apiVersion is required; this format is {m.API_VERSION}"
    if api_version != m.API_VERSION:
        looks_like = f" ({short(api_version)} {short(kind)})" if isinstance(kind, str) else ""
        return "apiVersion", (
            f"apiVersion must be {m.API_VERSION}; this looks like another kind of object"
            f"{looks_like}, which does not belong under the manifest roots"
        )
    if kind is None:
        return "kind", "kind is required: Application or System"
    if kind not in m.KINDS:
        return "kind", f"unknown kind {short(kind)}; expected Application or System"
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
        return at(path, node, f"{field}: unknown field{hint}")
    node = locate(root, loc)
    if kind == "missing":
        return at(path, node, f"{field} is required")
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
        return at(path, node, f"{field}: expected {expected}{hint}")
    if kind == "string_pattern_mismatch":
        pattern = str((detail.get("ctx") or {}).get("pattern", ""))
        if pattern == m.IMAGE and _lacks_registry(node):
            return at(path, node, f"{field}: {_NO_REGISTRY}")
        return at(path, node, f"{field}: {_FORMATS.get(pattern, 'has the wrong format')}")
    if kind == "literal_error":
        expected_values = (detail.get("ctx") or {}).get("expected", "")
        return at(path, node, f"{field}: must be {expected_values}")
    return at(path, node, f"{field}: {detail['msg']}")


_NO_REGISTRY = (
    "names no registry host; write the image's full repository, such as"
    " 123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments-api (without one a cluster pulls"
    " from Docker Hub)"
)


def _lacks_registry(node: Node) -> bool:
    return isinstance(node, ScalarNode) and re.fullmatch(m.IMAGE_PATH, node.value) is not None


_FORMATS = {
    m.DNS_LABEL: "must be a DNS label: lowercase letters, digits and '-', at most 63 characters",
    m.TAG: "must be lowercase letters, digits and '-' (a Backstage tag)",
    m.ENTITY_REF: "must be a group name (team-payments) or an entity ref (group:default/team-a)",
    m.GITHUB_REPOSITORY: "must be a GitHub repository as owner/name",
    m.URL: "must be an absolute URL such as https://example.com/path",
    m.WEB_URL: "must be an http:// or https:// URL such as https://example.com/path",
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


def _yaml_kind(node: Node) -> str:
    if isinstance(node, SequenceNode):
        return "list"
    return "scalar" if isinstance(node, ScalarNode) else "mapping"


def _byte_position(data: bytes, offset: int) -> Position:
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, len(
        data[line_start:offset].decode("utf-8", "replace")
    ) + 1
