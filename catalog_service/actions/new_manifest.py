"""A new application manifest, written as a person would write it (pure, no I/O).

Keys follow docs/manifest-reference.md, nothing is spelled out that the format defaults, short
mappings are in flow style as in the demo repository, and versions are always quoted. ruamel.yaml
emits it, so every odd string (``a: b``, a leading ``*``) is quoted as YAML needs.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from catalog_service.domain.manifests import API_VERSION

DEFAULT_LIFECYCLE = "production"
_STR_TAG = "tag:yaml.org,2002:str"
# The catalog reads YAML 1.1 (PyYAML); ruamel.yaml writes 1.2, where `yes`, `on` and `1:20` are
# strings. This resolver says which plain strings the catalog would read as something else.
_resolve: Callable[[type[yaml.Node], str, tuple[bool, bool]], str] = (
    yaml.resolver.Resolver().resolve
)


@dataclass(frozen=True, slots=True)
class NewApplication:
    """The create-application inputs, in the manifest's own terms (absent: None or empty)."""

    name: str
    system: str
    owner: str
    type: str
    description: str | None = None
    lifecycle: str | None = None
    tags: Sequence[str] = ()
    # Each {url, title?, icon?, type?}
    links: Sequence[Mapping[str, str]] = ()
    source_repository: str | None = None
    image: str | None = None
    # {repository, name}
    chart: Mapping[str, str] | None = None
    schedule: str | None = None
    # Each {name, type}
    components: Sequence[Mapping[str, str]] = ()
    # Each {env, secret, key?}
    secrets: Sequence[Mapping[str, str]] = ()
    depends_on: Sequence[str] = ()
    # environment -> {version, replicas?}
    environments: Mapping[str, Mapping[str, str | int]] = field(default_factory=dict)


_ENVIRONMENT_LINE = re.compile(r"    [A-Za-z0-9_.-]+: \{.*\}")
_FLOW_INDICATORS = frozenset(",[]{}")
_LINK_KEYS = ("url", "title", "icon", "type")
_CHART_KEYS = ("repository", "name")
_COMPONENT_KEYS = ("name", "type")
_SECRET_KEYS = ("env", "secret", "key")


def render_new_manifest(fields: NewApplication, environment_order: Sequence[str] = ()) -> str:
    """The manifest text of a new application. Environments follow ``environment_order`` (the
    configured promotion order); any others keep their given order after them."""
    document = CommentedMap()
    document["apiVersion"] = API_VERSION
    document["kind"] = "Application"
    document["metadata"] = _metadata(fields)
    document["spec"] = _spec(fields, environment_order)
    stream = io.StringIO()
    _emitter().dump(document, stream)
    return _align_environments(stream.getvalue())


def _emitter() -> YAML:
    emitter = YAML(typ="rt")
    emitter.indent(mapping=2, sequence=4, offset=2)  # `  components:` then `    - {...}`
    emitter.width = 1 << 16  # a long description stays on its line rather than being folded
    return emitter


def _metadata(fields: NewApplication) -> CommentedMap:
    metadata = CommentedMap()
    metadata["name"] = _text(fields.name)
    metadata["system"] = _text(fields.system)
    metadata["owner"] = _text(fields.owner)
    _put(metadata, "description", fields.description)
    if fields.lifecycle and fields.lifecycle != DEFAULT_LIFECYCLE:
        metadata["lifecycle"] = _text(fields.lifecycle)
    if fields.tags:
        metadata["tags"] = _flow_list(fields.tags)
    if fields.links:
        metadata["links"] = _block_list([_flow_map(link, _LINK_KEYS) for link in fields.links])
    return metadata


def _spec(fields: NewApplication, environment_order: Sequence[str]) -> CommentedMap:
    spec = CommentedMap()
    spec["type"] = _text(fields.type)
    if fields.source_repository:
        spec["source"] = _flow_map({"repository": fields.source_repository}, ("repository",))
    _put(spec, "image", fields.image)
    if fields.chart:
        spec["chart"] = _flow_map(fields.chart, _CHART_KEYS)
    if fields.schedule:
        spec["schedule"] = DoubleQuotedScalarString(fields.schedule)  # `*` and `@` are syntax
    if fields.components:
        spec["components"] = _block_list(
            [_flow_map(component, _COMPONENT_KEYS) for component in fields.components]
        )
    if fields.secrets:
        spec["secrets"] = _block_list([_flow_map(s, _SECRET_KEYS) for s in fields.secrets])
    if fields.depends_on:
        spec["dependsOn"] = _flow_list(fields.depends_on)
    if fields.environments:
        spec["environments"] = _environments(fields.environments, environment_order)
    return spec


def _environments(
    environments: Mapping[str, Mapping[str, str | int]], order: Sequence[str]
) -> CommentedMap:
    rank = {name: index for index, name in enumerate(order)}
    names = sorted(environments, key=lambda name: rank.get(name, len(rank)))  # stable
    mapping = CommentedMap()
    for name in names:
        settings = environments[name]
        entry = CommentedMap()
        entry["version"] = DoubleQuotedScalarString(str(settings["version"]))
        replicas = settings.get("replicas")
        if replicas is not None:
            entry["replicas"] = replicas
        entry.fa.set_flow_style()
        mapping[_text(name)] = entry
    return mapping


def _align_environments(text: str) -> str:
    """``dev:     {version: "1.4.2"}``: environment values start in one column, as the demo
    repository writes them. The environments are the last lines of the document."""
    head, marker, tail = text.rpartition("\n  environments:\n")
    entries = tail.splitlines()
    if not marker or not all(_ENVIRONMENT_LINE.match(line) for line in entries):
        return text
    width = max(line.index(":") for line in entries) + 2
    aligned = [line.replace(": {", ":".ljust(width - line.index(":")) + "{", 1) for line in entries]
    return head + marker + "".join(line + "\n" for line in aligned)


def _put(mapping: CommentedMap, key: str, value: str | None) -> None:
    if value:
        mapping[key] = _text(value)


def _flow_map(values: Mapping[str, str], keys: Sequence[str]) -> CommentedMap:
    """Known keys first, in the reference's order; absent and empty values left out."""
    mapping = CommentedMap()
    for key in (*keys, *(key for key in values if key not in keys)):
        value = values.get(key)
        if value is not None and value != "":
            mapping[key] = _text(value) if isinstance(value, str) else value
    mapping.fa.set_flow_style()
    return mapping


def _flow_list(values: Sequence[str]) -> CommentedSeq:
    sequence = CommentedSeq([_text(value) for value in values])
    sequence.fa.set_flow_style()
    return sequence


def _block_list(items: Sequence[CommentedMap]) -> CommentedSeq:
    sequence = CommentedSeq(items)
    sequence.fa.set_block_style()
    return sequence


def _text(value: str) -> str:
    """``value`` as a string the catalog reads back as that same string: plain only where the
    catalog's reader (YAML 1.1) allows it plain in both block and flow context (``[:0]`` is
    fine YAML 1.2, which ruamel.yaml writes, and an error for libyaml)."""
    analysis = yaml.emitter.Emitter(io.StringIO()).analyze_scalar(value)
    flow_safe = not value.startswith(":") and not _FLOW_INDICATORS.intersection(value)
    if analysis.allow_block_plain and flow_safe and plain_reads_as_string(value):
        return value
    quoted: str = DoubleQuotedScalarString(value)
    return quoted


def plain_reads_as_string(value: str) -> bool:
    """Whether ``value`` written plain is a string for the catalog's YAML 1.1 reader."""
    return _resolve(yaml.ScalarNode, value, (True, False)) == _STR_TAG
