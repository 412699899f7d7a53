"""Whatever bytes a manifest file holds, and whatever its name, parsing answers located problems
that serialise as JSON and never raises: tags, merge keys, anchors and aliases included."""

from __future__ import annotations

import json
import re

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog_service.domain.catalog import assemble, compile_file
from catalog_service.domain.entities import MANAGED_BY_LOCATION, VIEW_URL
from catalog_service.domain.problems import printable
from catalog_service.domain.review import check_text
from tests.domain.support import application, context, dump

# Characters that make YAML interesting: structure, quoting, anchors, tags, documents.
YAML_ALPHABET = st.sampled_from([*"ab:-[]{},&*!|>'\"#%@`?~\n \t0.1", "---", "<<", "\u00e9"])
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
URL = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")

TAGS = st.sampled_from(
    [
        "",
        "!!bool",
        "!!int",
        "!!float",
        "!!str",
        "!!null",
        "!!timestamp",
        "!!binary",
        "!!set",
        "!!omap",
        "!!pairs",
        "!!map",
        "!!seq",
        "!!merge",
        "!!value",
        "!!python/object/apply:os.system",
        "!foo",
        "!<tag:yaml.org,2002:int>",
        "!e!x",
    ]
)
SCALARS = st.sampled_from(
    ["x", "1", '""', "maybe", "###", "gA==", "2020-13-45", "2020-01-01", ".nan", "~", "0x_", "é"]
)
ANCHORS = st.sampled_from(["", "", "&a ", "&b "])
ALIASES = st.sampled_from(["*a", "*b"])
KEYS = st.sampled_from(
    ["a", "b", "<<", "<<", "apiVersion", "kind", "!!merge <<", "!!str k", "!!int 1", "? [a]"]
)


def _node(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    flow_list = st.lists(children, max_size=3).map(lambda items: "[" + ", ".join(items) + "]")
    flow_map = st.lists(st.tuples(KEYS, children), max_size=3).map(
        lambda pairs: "{" + ", ".join(f"{key}: {value}" for key, value in pairs) + "}"
    )
    return st.builds(lambda anchor, tag, body: f"{anchor}{tag} {body}", ANCHORS, TAGS, children) | (
        flow_list | flow_map
    )


VALUES = st.recursive(
    st.builds(lambda anchor, tag, scalar: f"{anchor}{tag} {scalar}", ANCHORS, TAGS, SCALARS)
    | ALIASES,
    _node,
    max_leaves=12,
)
DOCUMENTS = st.lists(st.tuples(KEYS, VALUES), max_size=5).map(
    lambda pairs: "".join(f"{key}: {value}\n" for key, value in pairs)
)

APPLICATION_TEMPLATE = """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  <<: {merge}
  name: pay
  system: payments
  owner: team-a
  description: {description}
spec:
  type: service
  source: {{repository: acme/pay}}
  image: registry.example.com/acme/pay
  dependsOn: [{depends_on}]
  environments:
    dev: {{version: {version}, replicas: {replicas}}}
"""


def _check(data: bytes, path: str = "apps/fuzz.yaml") -> None:
    ctx = context()
    compiled = compile_file(path, data, ctx)
    checked = check_text(path, data, ctx)
    # Every line break YAML knows (\r, \x85, \u2028...) is one for splitlines; libyaml may point
    # one past the last line.
    lines = len(data.decode("utf-8", "replace").splitlines()) + 2
    for problem in [*compiled.problems, *checked]:
        assert problem.path == printable(path)
        assert 1 <= problem.line <= lines, problem
        assert problem.column >= 1, problem
        assert problem.message
        assert "internal error" not in problem.message, problem  # the guard is a last resort
        assert problem.severity in ("error", "warning")
        json.dumps(problem.to_json(), ensure_ascii=False).encode()
        str(problem).encode()
    catalog = assemble([compiled], ctx)
    entities = [json.loads(document) for document in catalog.documents]
    yaml.safe_dump_all(entities)
    for entity in entities:
        annotations = entity["metadata"]["annotations"]
        for key in (MANAGED_BY_LOCATION, VIEW_URL):
            assert URL.fullmatch(annotations[key]), annotations[key]


@FUZZ
@given(st.lists(YAML_ALPHABET, max_size=200).map("".join))
def test_yaml_like_text_never_raises(text: str) -> None:
    _check(text.encode())


@FUZZ
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    _check(data)


@FUZZ
@given(
    st.integers(min_value=0, max_value=400),
    st.binary(min_size=1, max_size=8),
)
def test_a_valid_manifest_with_bytes_spliced_in_never_raises(offset: int, noise: bytes) -> None:
    text = dump(application())
    _check(text[:offset] + noise + text[offset:])


@FUZZ
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=6), children, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_any_yaml_value_in_the_spec_never_raises(value: object) -> None:
    document = application()
    document["spec"]["components"] = value
    _check(yaml.safe_dump(document).encode())


@FUZZ
@given(st.lists(DOCUMENTS, min_size=1, max_size=3).map("---\n".join))
def test_tags_merge_keys_anchors_and_aliases_never_raise(text: str) -> None:
    _check(text.encode())


@FUZZ
@given(
    merge=VALUES,
    description=VALUES,
    depends_on=VALUES,
    version=VALUES,
    replicas=VALUES,
)
def test_tagged_values_inside_an_application_never_raise(**values: str) -> None:
    _check(APPLICATION_TEMPLATE.format(**values).encode())


@FUZZ
@given(st.binary(min_size=1, max_size=20).filter(lambda name: b"/" not in name), st.booleans())
def test_any_file_name_never_raises(name: bytes, valid: bool) -> None:
    # Git's file names are bytes; the source decodes them with surrogateescape.
    path = "apps/" + name.decode("utf-8", "surrogateescape") + ".yaml"
    data = dump(application()) if valid else b"a: !!bool maybe\n"
    _check(data, path)
    problems = compile_file(path, data, context()).problems
    try:
        name.decode("utf-8")
    except UnicodeDecodeError:
        [problem] = problems
        assert problem.message == "the file name is not valid UTF-8; rename the file"
    else:
        assert bool(problems) is not valid
