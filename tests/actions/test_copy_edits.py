"""Adding and removing a database copy in manifest text: only the copy's lines change, whatever
the layout (block or flow, comments, CRLF, a byte order mark, several documents)."""

from __future__ import annotations

import pytest

from catalog_service.actions.copy_edits import CopyEntry, add_copy, remove_copy
from catalog_service.domain.parsing import parse_file
from catalog_service.errors import ConflictError

HEAD = """apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: service
  source: {repository: acme/pay}
  image: registry.example.com/pay
  components:
    - {name: "on", type: postgresql}   # a name YAML 1.1 reads as true unquoted
    - {name: main, type: mysql}
  environments:
"""
FLOW = HEAD + '    dev:     {version: "1.0.0"}   # aligned\n    prod:    {version: "1.0.0"}\n'
LAYOUTS = {
    "flow, aligned": FLOW,
    "block, with comments": HEAD
    + '    dev:\n      version: "1.0.0"   # the build\n      # after\n'
    + '    prod:\n      version: "1"\n',
    "CRLF": FLOW.replace("\n", "\r\n"),
    "byte order mark": "\ufeff" + FLOW,
    "second document": "---\n" + FLOW.replace("name: pay,", "name: other,") + "---\n" + FLOW,
    "a copy already there": HEAD + '    dev:\n      version: "1.0.0"\n      copies:\n'
    '        - {component: main, from: staging, expiresAt: "2027-01-01T00:00:00Z"}\n'
    '    staging: {version: "1.0.0"}\n    prod: {version: "1.0.0"}\n',
}
ENTRY = CopyEntry("on", "prod", "2030-01-01T00:00:00Z")


@pytest.mark.parametrize("text", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_a_copy_added_then_removed_leaves_the_file_as_it_was(text: str) -> None:
    added = add_copy(text, "pay", "dev", ENTRY, path="a.yaml")
    assert added.changed and "+" in added.diff
    added_lines = [line for line in added.diff.splitlines()[2:] if line.startswith("+")]
    assert 1 <= len(added_lines) <= 2 and "copies" in added.diff, added.diff  # only the copy
    parsed = parse_file("a.yaml", added.new_text.encode(), ["dev", "staging", "prod"])
    assert parsed.problems == ()
    copies = next(a for a in parsed.applications if a.manifest.metadata.name == "pay").copies
    assert ("on", "dev") in {(copy.copy.component, copy.environment) for copy in copies}
    removed = remove_copy(added.new_text, "pay", "dev", ENTRY, path="a.yaml")
    assert removed.new_text == text


def test_a_second_copy_of_one_component_is_a_conflict() -> None:
    main = CopyEntry("main", "prod", "2030-01-01T00:00:00Z")
    with pytest.raises(ConflictError, match="has a copy of 'main' in 'dev' already"):
        add_copy(LAYOUTS["a copy already there"], "pay", "dev", main, path="a.yaml")


def test_removing_one_of_two_copies_keeps_the_other() -> None:
    two = add_copy(FLOW, "pay", "dev", ENTRY, path="a.yaml").new_text
    other = CopyEntry("on", "prod", "2030-01-01T00:00:00Z")
    assert remove_copy(two, "pay", "prod", other, path="a.yaml").changed is False  # not there
    three = two.replace('"2030-01-01T00:00:00Z"}]', '"2030-01-01T00:00:00Z"}, {component: x,'
                        ' from: prod, expiresAt: "2031-01-01T00:00:00Z"}]')  # fmt: skip
    left = remove_copy(three, "pay", "dev", ENTRY, path="a.yaml").new_text
    assert 'copies: [{component: x, from: prod, expiresAt: "2031-01-01T00:00:00Z"}]' in left


def test_an_unquoted_expiry_is_removed_like_a_quoted_one() -> None:
    text = HEAD + (
        '    dev:\n      version: "1.0.0"\n      copies:\n        - component: "on"\n'
        "          from: prod\n          expiresAt: 2030-01-01T00:00:00Z\n"
        '    prod: {version: "1.0.0"}\n'
    )
    removed = remove_copy(text, "pay", "dev", ENTRY, path="a.yaml")
    assert (
        removed.new_text
        == HEAD + '    dev:\n      version: "1.0.0"\n    prod: {version: "1.0.0"}\n'
    )
