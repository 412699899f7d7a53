"""Bytes become manifests or located problems: the issue's "Bad input" list, each one a test.

Nothing here may raise: every case ends as a ``ParsedFile`` whose problems say
``path:line:column: message``, and no problem ever repeats a secret-looking value.
"""

from __future__ import annotations

import pytest
import yaml
from yaml.nodes import MappingNode, ScalarNode

from catalog_service.domain import parsing
from catalog_service.domain.loading import MAX_EXPANDED_NODES
from catalog_service.domain.parsing import (
    MAX_FILE_BYTES,
    dotted,
    is_manifest_path,
    locate,
    rejected_file,
)
from catalog_service.domain.problems import Problem
from tests.domain.support import application, assert_valid, dump, only_problem, parse, problems

VALID_SYSTEM = """\
apiVersion: idp/v1alpha1
kind: System
metadata: {name: payments, owner: team-payments}
"""

BILLION_LAUGHS = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""

ALIAS_LIMIT = (
    f"document expands to more than {MAX_EXPANDED_NODES:,} YAML nodes through anchors and aliases"
)


# -- invalid YAML -------------------------------------------------------------------------------

INVALID_YAML_CASES = [
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments
spec: {type: vendor}
""",
        "apps/app.yaml:4:5: invalid YAML: while parsing a flow mapping did not find expected ','"
        " or '}'",
        id="unclosed-flow-mapping",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: pay
 system: payments
""",
        "apps/app.yaml:5:2: invalid YAML: while parsing a block mapping did not find expected key",
        id="bad-indentation",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
\tname: pay
""",
        "apps/app.yaml:4:1: invalid YAML: while scanning for the next token found character that"
        " cannot start any token",
        id="tab-indentation",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application: Service
""",
        "apps/app.yaml:2:18: invalid YAML: mapping values are not allowed in this context",
        id="colon-in-plain-value",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  description: 'it's broken
""",
        "apps/app.yaml:4:20: invalid YAML: while parsing a block mapping did not find expected key",
        id="unbalanced-quote",
    ),
    pytest.param(
        """\
apiVersion: idp/v1alpha1
kind: Application
metadata: *defaults
""",
        "apps/app.yaml:3:11: invalid YAML: found undefined alias",
        id="undefined-alias",
    ),
]


@pytest.mark.parametrize(("text", "expected"), INVALID_YAML_CASES)
def test_invalid_yaml(text: str, expected: str) -> None:
    assert only_problem(text) == expected


# -- a typo'd field, wrong types ----------------------------------------------------------------


def test_a_typo_d_field() -> None:
    text = """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: vendor
  chart: {repository: "https://charts.example.com", name: pay}
  dependOn: [ledger]
"""
    assert (
        only_problem(text)
        == "apps/app.yaml:7:3: spec.dependOn: unknown field; did you mean dependsOn?"
    )


def test_wrong_types() -> None:
    text = """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: vendor
  chart: {repository: "https://charts.example.com", name: pay}
  components: {name: db, type: postgresql}
  environments:
    dev: {version: 1.4, replicas: three}
"""
    assert problems(text) == [
        "apps/app.yaml:7:15: spec.components: expected a list",
        "apps/app.yaml:9:20: spec.environments.dev.version: expected a string"
        ' (quote it, for example "1.4" or "on")',
        "apps/app.yaml:9:35: spec.environments.dev.replicas: expected a whole number",
    ]


def test_a_quoted_number_is_a_string_and_gets_no_quoting_hint() -> None:
    text = """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: vendor
  chart: {repository: "https://charts.example.com", name: pay}
  environments:
    dev: {version: "1.4"}
    prod: {version: "1.4", replicas: "2"}
"""
    assert problems(text) == [
        "apps/app.yaml:9:38: spec.environments.prod.replicas: expected a whole number"
    ]


@pytest.mark.parametrize(
    ("value", "hint"),
    [("yes", True), ("on", True), ("1.0", True), ("2024-01-01", True), ("[a, b]", False)],
)
def test_yaml_1_1_surprises_in_string_fields(value: str, hint: bool) -> None:
    text = f"""\
apiVersion: idp/v1alpha1
kind: System
metadata:
  name: payments
  owner: team-a
  description: {value}
"""
    problem = only_problem(text)
    assert problem.startswith("apps/app.yaml:6:16: metadata.description:")
    assert ("quote it" in problem) is hint


# -- a YAML alias bomb --------------------------------------------------------------------------


def test_a_billion_laughs_is_refused_before_it_is_expanded() -> None:
    assert only_problem(BILLION_LAUGHS) == f"apps/app.yaml:1:1: {ALIAS_LIMIT}"


def test_an_alias_bomb_after_a_good_document_keeps_the_good_one() -> None:
    parsed = parse(VALID_SYSTEM + "---\n" + BILLION_LAUGHS)
    assert [str(problem) for problem in parsed.problems] == [f"apps/app.yaml:5:1: {ALIAS_LIMIT}"]
    assert [s.manifest.metadata.name for s in parsed.systems] == ["payments"]


def test_an_alias_bomb_before_a_good_document_keeps_the_good_one() -> None:
    parsed = parse(BILLION_LAUGHS + "---\n" + VALID_SYSTEM)
    assert [str(problem) for problem in parsed.problems] == [f"apps/app.yaml:1:1: {ALIAS_LIMIT}"]
    assert [s.manifest.metadata.name for s in parsed.systems] == ["payments"]


@pytest.mark.parametrize(
    "text",
    [
        "a: &a [*a]\n",
        "&a [*a]\n",
        "a: &a {b: *a}\n",
        "a: &a {<<: *a}\n",
        "a: &a [[[[*a]]]]\n",
    ],
)
def test_a_recursive_alias_is_refused(text: str) -> None:
    found = only_problem(text)
    assert found.endswith(ALIAS_LIMIT)


def test_a_few_aliases_are_fine() -> None:
    text = """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: vendor
  chart: {repository: "https://charts.example.com", name: pay}
  environments:
    dev: &same {version: "1.4.2"}
    staging: *same
    prod: {<<: *same, replicas: 3}
"""
    [app] = assert_valid(text).applications
    environments = app.manifest.spec.environments
    assert [environments[e].version for e in ("dev", "staging", "prod")] == ["1.4.2"] * 3
    assert environments["prod"].replicas == 3


def test_explicit_keys_win_over_merged_ones() -> None:
    text = """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: vendor
  chart: {repository: "https://charts.example.com", name: pay}
  environments:
    dev: &base {version: "1.0", replicas: 1}
    prod:
      <<: *base
      version: "2.0"
"""
    [app] = assert_valid(text).applications
    assert app.manifest.spec.environments["prod"].version == "2.0"
    assert app.manifest.spec.environments["prod"].replicas == 1


def test_an_expansion_just_under_the_limit_is_not_refused() -> None:
    # 150 aliases of a 101-node list: about 15,000 nodes once expanded.
    text = "a: &a [" + ", ".join(["x"] * 100) + "]\nb: [" + ", ".join(["*a"] * 150) + "]\n"
    problem = only_problem(text)
    assert "anchors and aliases" not in problem
    assert problem == "apps/app.yaml:1:1: apiVersion is required; this format is idp/v1alpha1"


# -- 5,000-deep nesting -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "a: " + "[" * 5000 + "]" * 5000 + "\n",
            "apps/app.yaml:1:1003: invalid YAML: while increasing flow level exceeded maximum"
            " nesting depth",
            id="flow-lists",
        ),
        pytest.param(
            "a: " + "{b: " * 5000 + "c" + "}" * 5000 + "\n",
            "apps/app.yaml:1:4000: invalid YAML: while increasing flow level exceeded maximum"
            " nesting depth",
            id="flow-mappings",
        ),
        pytest.param(
            "- " * 5000 + "x\n",
            "apps/app.yaml:1:1999: invalid YAML: while increasing block level exceeded maximum"
            " nesting depth",
            id="block-lists",
        ),
    ],
)
def test_5000_deep_nesting(text: str, expected: str) -> None:
    assert only_problem(text) == expected


def test_deep_nesting_under_the_parser_limit_is_a_problem_not_a_crash() -> None:
    # 900 levels: libyaml accepts it, building the value runs out of Python stack.
    text = VALID_SYSTEM.replace("team-payments}", "team-payments, description: ") + (
        "[" * 900 + "]" * 900 + "}\n"
    )
    assert only_problem(text) == "apps/app.yaml:1:1: invalid YAML: nesting is too deep"


def test_too_deep_nesting_keeps_the_next_documents() -> None:
    parsed = parse("a: " + "[" * 900 + "]" * 900 + "\n---\n" + VALID_SYSTEM)
    assert [str(p) for p in parsed.problems] == [
        "apps/app.yaml:1:1: invalid YAML: nesting is too deep"
    ]
    assert [s.manifest.metadata.name for s in parsed.systems] == ["payments"]


def test_moderate_nesting_is_a_plain_problem() -> None:
    text = VALID_SYSTEM.replace("team-payments}", "team-payments, description: ") + (
        "[" * 50 + "]" * 50 + "}\n"
    )
    assert only_problem(text) == "apps/app.yaml:4:1: metadata.description: expected a string"


def test_deep_block_mappings() -> None:
    lines = [f"{'  ' * depth}k{depth}:" for depth in range(300)]
    text = "\n".join(lines) + " x\n"
    assert only_problem(text) == (
        "apps/app.yaml:1:1: apiVersion is required; this format is idp/v1alpha1"
    )


# -- size -----------------------------------------------------------------------------------------


def test_a_file_over_1_mib_is_refused_without_parsing() -> None:
    data = dump(application()) + b"#" * MAX_FILE_BYTES
    assert only_problem(data) == (
        f"apps/app.yaml:1:1: file is {len(data):,} bytes; manifests may be at most 1,048,576 bytes"
    )


def test_a_file_of_exactly_1_mib_is_read() -> None:
    head = dump(application()) + b"# "
    data = head + b"x" * (MAX_FILE_BYTES - len(head) - 1) + b"\n"
    assert len(data) == MAX_FILE_BYTES
    assert_valid(data)
    over = data + b"\n"
    assert "manifests may be at most" in only_problem(over)


# -- not UTF-8 ----------------------------------------------------------------------------------


def test_a_file_that_is_not_utf8_points_at_the_bad_byte() -> None:
    data = (
        b"apiVersion: idp/v1alpha1\n"
        b"kind: System\n"
        b"metadata: {name: payments, owner: team-a, description: caf\xe9}\n"
    )
    assert only_problem(data) == "apps/app.yaml:3:59: file is not valid UTF-8 text"


def test_the_column_of_a_bad_byte_counts_characters_not_bytes() -> None:
    data = "kind: System\ndescription: \u00fc\u00fc\u20ac ".encode() + b"\xff\n"
    assert only_problem(data) == "apps/app.yaml:2:18: file is not valid UTF-8 text"


@pytest.mark.parametrize(
    "data",
    [
        VALID_SYSTEM.encode("utf-16"),
        VALID_SYSTEM.encode("latin-1").replace(b"payments}", b"caf\xe9}"),
        b"\xff\xfe\x00\x00",
        b"\x80",
    ],
)
def test_other_encodings_are_refused(data: bytes) -> None:
    assert only_problem(data).endswith(": file is not valid UTF-8 text")


def test_a_utf8_byte_order_mark_and_crlf_line_ends_are_fine() -> None:
    data = ("\ufeff" + VALID_SYSTEM).replace("\n", "\r\n").encode()
    assert_valid(data)
    bad = ("\ufeff" + VALID_SYSTEM + "spec: {}\n").replace("\n", "\r\n").encode()
    assert only_problem(bad) == (
        "apps/app.yaml:4:1: spec: unknown field; known fields here: apiVersion, kind, metadata"
    )


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b"])
def test_control_characters_are_a_problem_not_a_crash(control: str) -> None:
    found = only_problem(VALID_SYSTEM.replace("payments,", f"pay{control}ments,"))
    assert found.startswith("apps/app.yaml:1:1: invalid YAML")


# -- the document is not a manifest ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "just some text\n",
            "apps/app.yaml:1:1: document is a scalar; a manifest is a mapping with apiVersion"
            " and kind",
            id="bare-scalar",
        ),
        pytest.param(
            "# comment\n42\n",
            "apps/app.yaml:2:1: document is a scalar; a manifest is a mapping with apiVersion"
            " and kind",
            id="bare-number",
        ),
        pytest.param(
            "- apiVersion: idp/v1alpha1\n  kind: System\n",
            "apps/app.yaml:1:1: document is a list; a manifest is a mapping with apiVersion"
            " and kind",
            id="list",
        ),
        pytest.param(
            "---\n",
            "apps/app.yaml:2:1: document is empty; a manifest is a mapping with apiVersion"
            " and kind",
            id="empty-document",
        ),
        pytest.param(
            "--- null\n",
            "apps/app.yaml:1:5: document is empty; a manifest is a mapping with apiVersion"
            " and kind",
            id="null-document",
        ),
    ],
)
def test_documents_that_are_not_mappings(text: str, expected: str) -> None:
    assert only_problem(text) == expected


def test_a_kubernetes_object_of_another_kind() -> None:
    text = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: payments-api
spec:
  replicas: 3
"""
    assert only_problem(text) == (
        "apps/app.yaml:1:13: apiVersion must be idp/v1alpha1; this looks like another kind of"
        " object ('apps/v1' 'Deployment'), which does not belong under the manifest roots"
    )


def test_a_kubernetes_kind_with_our_api_version() -> None:
    text = """\
apiVersion: idp/v1alpha1
kind: Deployment
"""
    assert only_problem(text) == (
        "apps/app.yaml:2:7: unknown kind 'Deployment'; expected Application or System"
    )


@pytest.mark.parametrize("kind", ["[System]", "{a: b}", "42"])
def test_a_kind_that_is_not_a_string(kind: str) -> None:
    found = only_problem(f"apiVersion: idp/v1alpha1\nkind: {kind}\n")
    assert found.startswith("apps/app.yaml:2:7: unknown kind")


@pytest.mark.parametrize(
    "data", [b"", b"\n\n", b"   ", b"# nothing here\n# at all\n", "\ufeff".encode()]
)
def test_an_empty_file(data: bytes) -> None:
    assert only_problem(data) == "apps/app.yaml:1:1: file holds no manifest (it is empty)"


# -- keys ---------------------------------------------------------------------------------------


def test_duplicate_keys() -> None:
    text = """\
apiVersion: idp/v1alpha1
kind: System
metadata:
  name: payments
  owner: team-a
  name: billing
"""
    assert only_problem(text) == "apps/app.yaml:6:3: invalid YAML: duplicate key 'name'"


def test_duplicate_keys_in_flow_style() -> None:
    text = "apiVersion: idp/v1alpha1\nkind: System\nmetadata: {name: a, owner: b, owner: c}\n"
    assert only_problem(text) == "apps/app.yaml:3:31: invalid YAML: duplicate key 'owner'"


def test_duplicate_top_level_keys() -> None:
    text = "apiVersion: idp/v1alpha1\nkind: System\nkind: Application\n"
    assert only_problem(text) == "apps/app.yaml:3:1: invalid YAML: duplicate key 'kind'"


@pytest.mark.parametrize(
    ("key", "column"), [("on", 3), ("yes", 3), ("1", 3), ("~", 3), ("null", 3), ("1.5", 3)]
)
def test_keys_that_are_not_strings(key: str, column: int) -> None:
    text = f"""\
apiVersion: idp/v1alpha1
kind: System
metadata:
  name: payments
  {key}: team-a
"""
    assert only_problem(text) == (
        f"apps/app.yaml:5:{column}: invalid YAML: key '{key}' is not a string; quote it"
    )


def test_a_quoted_key_is_a_string() -> None:
    text = VALID_SYSTEM.replace("owner:", '"owner":')
    assert_valid(text)


@pytest.mark.parametrize(
    "tagged",
    [
        '!!python/object/apply:os.system ["echo pwned"]',
        "!!python/name:os.system ''",
        "!Ref payments",
        "!Sub [payments]",
        "!custom {a: b}",
    ],
)
def test_unknown_and_python_tags_are_refused(tagged: str) -> None:
    text = f"""\
apiVersion: idp/v1alpha1
kind: System
metadata:
  name: {tagged}
  owner: team-a
"""
    found = only_problem(text)
    tag = tagged.split(" ")[0].replace("tag:yaml.org,2002:", "!!")
    assert found.startswith(f"apps/app.yaml:4:9: invalid YAML: unknown tag '{tag}': manifests hold")


@pytest.mark.parametrize(
    ("tagged", "tag"),
    [
        ("!!int not-a-number", "'!!int'"),
        ("!!float x", "'!!float'"),
        ("!!timestamp yesterday", "'!!timestamp'"),
        ("!!timestamp 2024-13-45", "'!!timestamp'"),
    ],
)
def test_a_value_its_tag_cannot_read(tagged: str, tag: str) -> None:
    text = f"""\
apiVersion: idp/v1alpha1
kind: System
metadata:
  owner: team-a
  name: {tagged}
"""
    assert only_problem(text) == f"apps/app.yaml:5:9: invalid YAML: the value is not a valid {tag}"


def test_standard_tags_are_read() -> None:
    text = """\
apiVersion: !!str idp/v1alpha1
kind: System
metadata: !!map
  name: payments
  owner: team-a
  tags: !!seq [a, b]
"""
    [declared] = assert_valid(text).systems
    assert declared.manifest.metadata.tags == ["a", "b"]
    found = only_problem(text.replace("!!seq [a, b]", "!!set {a, b}"))
    assert found == "apps/app.yaml:6:9: metadata.tags: expected a list"


# -- several documents in one file --------------------------------------------------------------


def test_one_bad_document_does_not_keep_the_other_out() -> None:
    text = """\
apiVersion: idp/v1alpha1
kind: System
metadata: {name: payments, owner: team-a}
---
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: vendor
  chart: {repository: "https://charts.example.com", name: pay}
  environments: {dev: {version: 1.4}}
---
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: ledger, system: payments, owner: team-a}
spec:
  type: vendor
  chart: {repository: "https://charts.example.com", name: ledger}
"""
    parsed = parse(text)
    assert [str(problem) for problem in parsed.problems] == [
        "apps/app.yaml:11:33: spec.environments.dev.version: expected a string"
        ' (quote it, for example "1.4" or "on")'
    ]
    assert [s.manifest.metadata.name for s in parsed.systems] == ["payments"]
    assert [a.manifest.metadata.name for a in parsed.applications] == ["ledger"]
    assert parsed.applications[0].name_at == (15, 18)
    assert parsed.rejected_names == ("pay",)


def test_duplicate_keys_in_one_document_do_not_keep_the_next_out() -> None:
    text = """\
apiVersion: idp/v1alpha1
kind: System
kind: System
metadata: {name: billing, owner: team-a}
---
apiVersion: idp/v1alpha1
kind: System
metadata: {name: payments, owner: team-a}
"""
    parsed = parse(text)
    assert [str(problem) for problem in parsed.problems] == [
        "apps/app.yaml:3:1: invalid YAML: duplicate key 'kind'"
    ]
    assert [s.manifest.metadata.name for s in parsed.systems] == ["payments"]


def test_invalid_yaml_after_a_good_document_keeps_the_good_one() -> None:
    parsed = parse(VALID_SYSTEM + "---\nkind: [System\n")
    assert [str(problem) for problem in parsed.problems] == [
        "apps/app.yaml:6:1: invalid YAML: while parsing a flow sequence did not find expected"
        " ',' or ']'"
    ]
    assert len(parsed.systems) == 1


def test_empty_documents_between_good_ones() -> None:
    parsed = parse(VALID_SYSTEM + "---\n---\n" + VALID_SYSTEM.replace("payments", "billing"))
    assert [str(problem) for problem in parsed.problems] == [
        "apps/app.yaml:5:1: document is empty; a manifest is a mapping with apiVersion and kind"
    ]
    assert [s.manifest.metadata.name for s in parsed.systems] == ["payments", "billing"]


def test_a_trailing_separator_is_not_an_empty_manifest() -> None:
    assert_valid("---\n" + VALID_SYSTEM + "...\n")


# -- secrets are never echoed, whatever the input ------------------------------------------------

SECRET = "hunter2-Sup3rS3cret"

LITERAL_SECRET = f"""\
apiVersion: idp/v1alpha1
kind: Application
metadata: {{name: pay, system: payments, owner: team-a}}
spec:
  type: vendor
  chart: {{repository: "https://charts.example.com", name: pay}}
  secrets:
    - {{env: DB_PASSWORD, secret: payments/db, value: {SECRET}}}
"""

SECRET_CASES = [
    pytest.param(LITERAL_SECRET, id="literal-value"),
    pytest.param(
        f"""\
apiVersion: idp/v1alpha1
kind: Application
metadata: {{name: pay, system: payments, owner: team-a}}
spec:
  type: vendor
  chart: {{repository: "https://charts.example.com", name: pay}}
  secrets:
    - DB_PASSWORD={SECRET}
""",
        id="env-style-string",
    ),
    pytest.param(
        f"""\
apiVersion: idp/v1alpha1
kind: Application
metadata: {{name: pay, system: payments, owner: team-a}}
spec:
  type: vendor
  chart: {{repository: "https://charts.example.com", name: pay}}
  env:
    DB_PASSWORD: {SECRET}
""",
        id="unknown-env-block",
    ),
    pytest.param(
        f"""\
apiVersion: idp/v1alpha1
kind: Application
metadata: {{name: pay, system: payments, owner: team-a}}
spec:
  type: vendor
  chart: {{repository: "https://charts.example.com", name: pay}}
  secrets:
    - {{env: "{SECRET} x", secret: "{SECRET} y", key: {{k: {SECRET}}}}}
""",
        id="in-every-field",
    ),
    pytest.param(
        f"""\
apiVersion: idp/v1alpha1
kind: Application
metadata: {{name: pay, system: payments, owner: team-a}}
spec:
  type: vendor
  chart: {{repository: "https://charts.example.com", name: pay}}
  environments:
    dev: {{version: "1", password: {SECRET}}}
    prod: {{version: "{SECRET} !", replicas: "{SECRET}"}}
""",
        id="in-environments",
    ),
    pytest.param(
        f"""\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: pay
  system: payments
  owner: team-a
  password: '{SECRET}
""",
        id="broken-yaml-around-it",
    ),
]


@pytest.mark.parametrize("text", SECRET_CASES)
def test_secret_looking_values_are_never_echoed(text: str) -> None:
    parsed = parse(text)
    assert parsed.problems, "each case is a problem"
    assert not parsed.applications
    for problem in parsed.problems:
        assert "hunter2" not in str(problem)
        assert "S3cret" not in problem.message


def test_the_literal_secret_case_names_the_field_and_the_fix() -> None:
    found = problems(LITERAL_SECRET)
    assert found == [
        "apps/app.yaml:8:47: spec.secrets[0].value: unknown field; a secret is a reference"
        " (secret, key) to AWS Secrets Manager, its value never belongs in a manifest"
    ]


# -- nothing crashes ----------------------------------------------------------------------------

ODD_INPUTS = [
    b"\x00",
    b"\t",
    b"? [a, b]\n: c\n",
    b"? {a: b}\n: c\n",
    b"!!binary aGVsbG8=\n",
    b"a: !!int not-a-number\n",
    b"a: !!float x\n",
    b"a: !!timestamp yesterday\n",
    b"a: !!set {x}\n",
    b"--- |\n  text\n",
    b"%YAML 1.1\n%YAML 1.1\n---\na: 1\n",
    b"a: @x\n",
    b"a: `x\n",
    b"<<: [1, 2]\n",
    b"a: {<<: 5}\n",
    b"apiVersion: idp/v1alpha1\nkind: Application\nmetadata: 5\nspec: []\n",
    b"apiVersion: idp/v1alpha1\nkind: Application\nmetadata: {}\nspec: {}\n",
    b"apiVersion: idp/v1alpha1\nkind: Application\nmetadata: {name: [a]}\nspec: {type: [x]}\n",
    b"apiVersion: [idp/v1alpha1]\nkind: Application\n",
    b"apiVersion: {a: b}\nkind: {c: d}\n",
    b"apiVersion: idp/v1alpha1\nkind: ~\n",
    b"apiVersion: ~\n",
    b"apiVersion: idp/v1alpha1\nkind: System\nmetadata: {name: a, owner: b, tags: [[[[]]]]}\n",
    b"\xef\xbb\xbf\xef\xbb\xbf",
    b"\r\r\r",
    b"---\n" * 2000,
    bytes(range(256)),
    b"key: " + b"x" * 100_000 + b"\n",
    b"[" + b"1, " * 100_000 + b"]\n",
]


@pytest.mark.parametrize("data", ODD_INPUTS, ids=lambda data: repr(data[:24]))
def test_odd_inputs_are_located_problems(data: bytes) -> None:
    parsed = parse(data)
    assert parsed.problems
    for problem in parsed.problems:
        assert problem.path == "apps/app.yaml"
        assert problem.line >= 1
        assert problem.column >= 1
        assert problem.message


# -- helpers ------------------------------------------------------------------------------------


def test_rejected_file_points_at_the_start() -> None:
    parsed = rejected_file("apps/link.yaml", "a symbolic link is not a manifest")
    assert parsed.problems == (
        Problem("apps/link.yaml", 1, 1, "a symbolic link is not a manifest"),
    )
    assert not parsed.applications and not parsed.systems


@pytest.mark.parametrize(
    ("path", "roots", "expected"),
    [
        ("apps/a.yaml", ["apps"], True),
        ("apps/team/a.yml", ["apps"], True),
        ("apps/a.yaml", ["apps/"], True),
        ("apps/a.json", ["apps"], False),
        ("apps/a.yaml.bak", ["apps"], False),
        ("applications/a.yaml", ["apps"], False),
        ("other/a.yaml", ["apps"], False),
        ("apps.yaml", ["apps"], False),
        ("other/a.yaml", ["apps", "other"], True),
        ("a.yaml", ["."], True),
        ("deep/a.yaml", [""], True),
        ("apps/a.yaml", [], False),
        # Hidden folders and files below a root are not manifests, whatever the root.
        (".github/workflows/ci.yml", ["."], False),
        (".github/workflows/ci.yml", [""], False),
        ("apps/.github/ci.yaml", ["apps"], False),
        ("apps/team/.hidden/a.yaml", ["apps"], False),
        ("apps/.a.yaml", ["apps"], False),
        ("apps/team.v2/a.yaml", ["apps"], True),  # a dot inside a name is not hidden
        ("apps/./a.yaml", ["apps"], False),
        # A hidden root named in the configuration is read: the rule is about what is below it.
        (".catalog/a.yaml", [".catalog"], True),
        (".catalog/.x/a.yaml", [".catalog"], False),
    ],
)
def test_is_manifest_path(path: str, roots: list[str], expected: bool) -> None:
    assert is_manifest_path(path, roots) is expected


def test_dotted() -> None:
    assert dotted(("spec", "components", 0, "name")) == "spec.components[0].name"
    assert dotted(("metadata",)) == "metadata"
    assert dotted(()) == "document"


def test_locate() -> None:
    text = "a:\n  b: [x, {c: d}]\n  e:\n    f: 1\n"
    root = yaml.compose(text, Loader=yaml.CSafeLoader)
    assert root is not None

    def at(*loc: str | int, key: bool = False) -> tuple[int, int]:
        node = locate(root, loc, key=key)
        return node.start_mark.line + 1, node.start_mark.column + 1

    assert at("a", "b", 1, "c") == (2, 14)
    assert at("a", "b", 1, "c", key=True) == (2, 11)
    assert at("a", "b", 5) == (2, 3)  # no such index: the list's key
    assert at("a", "missing") == (1, 1)  # a missing field: its parent's key
    assert at("a", "e") == (3, 3)  # a block mapping: its key, not its first child
    assert at("a", "b") == (2, 6)  # a flow list: itself
    assert at() == (1, 1)
    node = locate(root, ("a", "e"))
    assert isinstance(node, ScalarNode) and node.value == "e"
    assert isinstance(locate(root, ("a",), key=False), ScalarNode)
    assert isinstance(root, MappingNode)


def test_problem_text_and_json() -> None:
    problem = Problem("apps/a.yaml", 3, 7, "metadata.name is required")
    assert str(problem) == "apps/a.yaml:3:7: metadata.name is required"
    assert problem.to_json() == {
        "path": "apps/a.yaml",
        "line": 3,
        "column": 7,
        "message": "metadata.name is required",
        "severity": "error",
        "text": "apps/a.yaml:3:7: metadata.name is required",
    }
    assert sorted([Problem("b", 1, 1, "x"), Problem("a", 2, 1, "x"), Problem("a", 1, 9, "x")]) == [
        Problem("a", 1, 9, "x"),
        Problem("a", 2, 1, "x"),
        Problem("b", 1, 1, "x"),
    ]


def test_parsing_module_limits() -> None:
    assert parsing.MAX_FILE_BYTES == 1024 * 1024
    assert parsing.MANIFEST_SUFFIXES == (".yaml", ".yml")
