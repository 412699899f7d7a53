"""Inputs that once stopped the catalog (issue 5): each becomes a located problem of its own file.

Tags whose constructor fails, merge keys onto what is not a mapping, file names that are not UTF-8,
a bug inside one file's compile, problem floods, alias-heavy files, Git LFS pointers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any, cast

import pytest
import yaml

from catalog_service.domain.catalog import assemble, compile_file
from catalog_service.domain.loading import MAX_EXPANDED_NODES, MAX_FILE_ALIAS_EXPANSION
from catalog_service.domain.parsing import MAX_FILE_BYTES, ParsedFile
from catalog_service.domain.problems import MAX_PROBLEMS_PER_FILE, Problem, cap
from catalog_service.domain.review import check_text
from tests.domain.support import application, catalog_of, context, dump, entities_of, names

PATH = "apps/app.yaml"


def texts(found: Sequence[Problem]) -> list[str]:
    return [str(problem) for problem in found]


# -- tags and merge keys ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: !!bool maybe\n", "1:4: invalid YAML: the value is not a valid '!!bool'"),
        ('a: !!int ""\n', "1:4: invalid YAML: the value is not a valid '!!int'"),
        ('a: !!float ""\n', "1:4: invalid YAML: the value is not a valid '!!float'"),
        ("a: !!timestamp x\n", "1:4: invalid YAML: the value is not a valid '!!timestamp'"),
        ("a: !!binary é\n", "1:4: invalid YAML: failed to convert base64 data"),
        ("a: !!set {[x]: }\n", "1:11: invalid YAML: while constructing a mapping found unhashable"),
        ("b: [1, !!int x]\n", "1:8: invalid YAML: the value is not a valid '!!int'"),
        ("a: !foo x\n", "1:4: invalid YAML: unknown tag '!foo'"),
        ("a: !!python/name:os.system x\n", "1:4: invalid YAML: unknown tag '!!python/name:"),
        ("a: !!set {b: !foo c}\n", "1:14: invalid YAML: unknown tag '!foo'"),
        ("<<: !!set {a}\n", "1:5: invalid YAML: a merge key (<<) takes a mapping"),
        ("<<: !!omap [{a: 1}]\n", "1:5: invalid YAML: a merge key (<<) takes a mapping"),
        ("<<: [1]\n", "1:5: invalid YAML: a merge key (<<) takes a mapping"),
        ("<<: x\n", "1:5: invalid YAML: a merge key (<<) takes a mapping"),
        ("<<: !!seq [{a: 1}, x]\n", "1:5: invalid YAML: a merge key (<<) takes a mapping"),
        ("x: &s [1]\n<<: *s\n", "1:4: invalid YAML: a merge key (<<) takes a mapping"),
        ("!!merge a: x\n", "1:12: invalid YAML: a merge key (<<) takes a mapping"),
        ("<<: {a: !!int x}\n", "1:9: invalid YAML: the value is not a valid '!!int'"),
    ],
)
def test_tags_and_merge_keys_that_fail_are_located_problems(text: str, expected: str) -> None:
    for found in (
        compile_file(PATH, text.encode(), context()).problems,
        check_text(PATH, text.encode(), context()),
    ):
        assert len(found) == 1, texts(found)
        assert str(found[0]).startswith(f"{PATH}:{expected}")


def test_a_bad_tag_leaves_the_other_documents_of_the_file_in() -> None:
    good = dump(application("pay"))
    data = b"a: !!bool maybe\n---\n" + good
    catalog = catalog_of({PATH: data})
    assert texts(catalog.problems) == [
        f"{PATH}:1:4: invalid YAML: the value is not a valid '!!bool'"
    ]
    assert names(entities_of(catalog), "Component") == ["pay"]


def test_a_valid_merge_still_merges() -> None:
    text = """\
defaults: &defaults {system: payments, owner: team-a}
---
apiVersion: idp/v1alpha1
kind: Application
metadata:
  <<: [{name: pay}, {system: ignored, owner: team-b}]
  system: payments
spec: {type: vendor, chart: {repository: "https://charts.example.com", name: pay}}
"""
    compiled = compile_file(PATH, text.encode(), context())
    assert [app.owner for app in compiled.applications] == ["team-b"]


# -- a bug inside one file's compile ------------------------------------------------------------


def _broken_parser(path: str, data: bytes, environments: Sequence[str]) -> ParsedFile:
    raise KeyError("a bug")


def test_an_unexpected_exception_is_that_file_s_problem() -> None:
    ctx = context()
    broken = compile_file("apps/b.yaml", b"whatever", ctx, parse=_broken_parser)
    assert texts(broken.problems) == [
        "apps/b.yaml:1:1: internal error while reading this file (KeyError); it is left out,"
        " the rest of the catalog is not affected; please report it"
    ]
    assert broken.problems[0].severity == "error"
    good = compile_file("apps/a.yaml", dump(application("pay")), ctx)
    catalog = assemble([good, broken], ctx)
    assert names(entities_of(catalog), "Component") == ["pay"]
    assert len(catalog.problems) == 1


class _FailingPaths(Sequence[str]):
    """A catalog's paths whose reading fails, as a bug anywhere in the review would."""

    def __getitem__(self, index: Any) -> Any:
        raise RuntimeError("a bug")

    def __iter__(self) -> Iterator[str]:
        raise RuntimeError("a bug")

    def __len__(self) -> int:
        return 1


def test_an_unexpected_exception_in_check_text_is_a_problem() -> None:
    broken = replace(catalog_of({}), paths=cast(tuple[str, ...], _FailingPaths()))
    found = check_text(PATH, dump(application("pay")), context(), broken)
    assert texts(found) == [
        f"{PATH}:1:1: internal error while reading this file (RuntimeError); it is left out,"
        " the rest of the catalog is not affected; please report it"
    ]


# -- file names that are not UTF-8 --------------------------------------------------------------


def test_a_file_name_that_is_not_utf8_is_a_problem_with_a_printable_path() -> None:
    # What the git source hands over for the bytes apps/caf\xe9.yaml.
    path = b"apps/caf\xe9.yaml".decode("utf-8", "surrogateescape")
    ctx = context()
    compiled = compile_file(path, dump(application("cafe")), ctx)
    assert texts(compiled.problems) == [
        r"apps/caf\xe9.yaml:1:1: the file name is not valid UTF-8; rename the file"
    ]
    assert not compiled.applications
    catalog = assemble([compile_file("apps/a.yaml", dump(application("pay")), ctx), compiled], ctx)
    assert names(entities_of(catalog), "Component") == ["pay"]
    body = json.dumps([problem.to_json() for problem in catalog.problems], ensure_ascii=False)
    assert "caf\\\\xe9" in body
    body.encode()  # no lone surrogate left: this would raise
    yaml.safe_dump([problem.to_json() for problem in catalog.problems]).encode()
    assert texts(check_text(path, b"a: 1\n", ctx)) == texts(compiled.problems)


def test_a_problem_never_holds_a_lone_surrogate() -> None:
    bad = "apps/\udce9.yaml"
    problem = Problem(bad, 1, 1, f"declared in {bad}")
    assert problem.path == r"apps/\xe9.yaml"
    assert problem.message == r"declared in apps/\xe9.yaml"
    assert Problem("apps/café.yaml", 1, 1, "é").path == "apps/café.yaml"  # valid UTF-8 stays


# -- at most 100 problems per file --------------------------------------------------------------


def test_a_megabyte_of_empty_documents_gives_101_problems() -> None:
    data = b"--- {}\n" * (MAX_FILE_BYTES // 7)
    ctx = context()
    compiled = compile_file(PATH, data, ctx)
    assert len(compiled.problems) == MAX_PROBLEMS_PER_FILE
    total = MAX_FILE_BYTES // 7
    for found in (assemble([compiled], ctx).problems, check_text(PATH, data, ctx)):
        assert len(found) == MAX_PROBLEMS_PER_FILE + 1
        assert str(found[-1]) == (
            f"{PATH}:100:5: {total - 100:,} more problem(s) in this file are not listed"
            " (at most 100 per file are)"
        )
        assert found[-1].severity == "error"


def test_the_cap_counts_the_problems_of_rules_across_files_too() -> None:
    # 150 applications in one file, each depending on one that is nowhere: 150 warnings.
    documents = [application(f"app-{index}", dependsOn=["nowhere"]) for index in range(150)]
    catalog = catalog_of({PATH: dump(*documents), "apps/b.yaml": "a: [\n"})
    mine = [problem for problem in catalog.problems if problem.path == PATH]
    assert len(mine) == 101
    assert mine[-1].message.startswith("50 more problem(s) in this file are not listed")
    assert {problem.severity for problem in mine} == {"warning"}
    assert len(names(entities_of(catalog), "Component")) == 150
    assert [problem.path for problem in catalog.problems][-1] == "apps/b.yaml"


def test_cap_keeps_each_file_s_problems_in_order() -> None:
    found = [Problem("b", line, 1, "x") for line in range(5, 0, -1)] + [Problem("a", 1, 1, "y")]
    capped = cap(found, {"a": 3}, limit=2)
    assert texts(capped) == [
        "a:1:1: y",
        "a:1:1: 3 more problem(s) in this file are not listed (at most 2 per file are)",
        "b:1:1: x",
        "b:2:1: x",
        "b:3:1: 3 more problem(s) in this file are not listed (at most 2 per file are)",
    ]
    assert cap(found[:2]) == sorted(found[:2])


# -- the total work of one file -----------------------------------------------------------------


def _alias_heavy_document() -> str:
    """About 16,000 nodes once expanded, just under the limit per document, in 300 bytes."""
    lines = ["a0: &a0 [x, x]"] + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, 12)]
    return "\n".join(lines) + "\n"


def test_many_alias_heavy_documents_end_with_a_located_problem() -> None:
    document = _alias_heavy_document()
    assert "more than" not in texts(compile_file(PATH, document.encode(), context()).problems)[0]
    good = dump(application("pay")).decode()
    data = (good + ("---\n" + document) * 3000).encode()
    assert len(data) < MAX_FILE_BYTES
    compiled = compile_file(PATH, data, context())
    assert [app.name for app in compiled.applications] == ["pay"]
    last = compiled.problems[-1]
    assert last.message == (
        f"anchors and aliases in this file expand to more than {MAX_FILE_ALIAS_EXPANSION:,} extra"
        " YAML nodes in all; the file is not read past this document"
    )
    # Only the documents up to the budget were read: a handful, not 3,000.
    assert len(compiled.problems) <= MAX_FILE_ALIAS_EXPANSION // 10_000 + 2
    assert last.line == good.count("\n") + 2 + (len(compiled.problems) - 1) * 13
    assert MAX_FILE_ALIAS_EXPANSION > MAX_EXPANDED_NODES


def test_a_large_file_with_ordinary_aliases_stays_within_the_budget() -> None:
    # Anchors live within one document: each application shares its own version across its
    # environments. 3,000 of them in one file add 18,000 nodes through aliases.
    apps = [
        f"""---
apiVersion: idp/v1alpha1
kind: Application
metadata: {{name: app-{index}, system: payments, owner: team-a}}
spec:
  type: vendor
  chart: {{repository: "https://charts.example.com", name: x}}
  environments: {{dev: &v {{version: "1.0"}}, staging: *v, prod: *v}}
"""
        for index in range(3000)
    ]
    data = "".join(apps).encode()
    assert len(data) < MAX_FILE_BYTES
    compiled = compile_file(PATH, data, context())
    assert texts(compiled.problems) == []
    assert len(compiled.applications) == 3000


# -- Git LFS pointers ---------------------------------------------------------------------------


def test_a_git_lfs_pointer_is_said_to_be_one() -> None:
    pointer = (
        b"version https://git-lfs.github.com/spec/v1\n"
        b"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
        b"size 12345\n"
    )
    found = check_text(PATH, pointer, context())
    assert texts(found) == [
        f"{PATH}:1:1: is a Git LFS pointer, not a manifest: the catalog reads what git holds;"
        " commit manifests as plain files, not tracked by Git LFS"
    ]
