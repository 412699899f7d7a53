"""Promotions change the version's line and nothing else, on the demo repository's commented
manifests and on the layouts people write; what cannot be done safely is refused, located."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog_service.actions.manifest_edits import promote_version, unified_diff
from catalog_service.domain import manifests as m
from catalog_service.domain.parsing import parse_file
from catalog_service.errors import InvalidRequestError, ManifestEditError, NotFoundError
from tests.support.settings import EXAMPLES

ORDER = ("dev", "staging", "prod")
PATH = "apps/payments/payments-api.yaml"
DEMO_FILES = sorted((EXAMPLES / "gitops" / "apps").rglob("*.yaml"))

FLOW = """\
# Card payments.
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: payments-api
  system: payments
  owner: team-payments
spec:
  type: service
  source: {repository: acme/payments-api}
  image: registry.example.com/payments-api
  environments:
    dev:     {version: "1.4.2"}            # image tag
    staging: {version: "1.4.1"}
    prod:    {version: "1.3.0", replicas: 3}
"""


def promote(text: str, source: str, target: str, app: str = "payments-api") -> str:
    return promote_version(text, app, source, target, ORDER, path=PATH).new_text


def versions(text: str, app: str = "payments-api") -> dict[str, str]:
    """What the catalog reads: the manifest must stay valid."""
    parsed = parse_file(PATH, text.encode(), ORDER)
    assert not parsed.problems, [str(problem) for problem in parsed.problems]
    (application,) = [a for a in parsed.applications if a.manifest.metadata.name == app]
    return {env: e.version for env, e in application.manifest.spec.environments.items()}


def changed_lines(old: str, new: str) -> list[tuple[str, str]]:
    old_lines, new_lines = old.split("\n"), new.split("\n")
    assert len(old_lines) == len(new_lines)
    return [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]


def added_lines(old: str, new: str) -> list[str]:
    """The lines ``new`` adds to ``old``, which must be all of ``old``'s lines, in order."""
    old_lines, new_lines = old.split("\n"), new.split("\n")
    added, position = [], 0
    for line in new_lines:
        if position < len(old_lines) and line == old_lines[position]:
            position += 1
        else:
            added.append(line)
    assert position == len(old_lines), "every original line is kept, in order"
    return added


def demo_promotions() -> list[Any]:
    cases = []
    for file in DEMO_FILES:
        for document in yaml.safe_load_all(file.read_text(encoding="utf-8")):
            if document["kind"] != "Application":
                continue
            for source, target in itertools.pairwise(ORDER):
                if source in document["spec"].get("environments", {}):
                    name = document["metadata"]["name"]
                    cases.append(pytest.param(file, name, source, target, id=f"{name}-{target}"))
    return cases


@pytest.mark.parametrize(("file", "app", "source", "target"), demo_promotions())
def test_each_demo_promotion_changes_one_line_or_adds_the_new_environment(
    file: Path, app: str, source: str, target: str
) -> None:
    text = file.read_text(encoding="utf-8")
    path = str(file.relative_to(EXAMPLES / "gitops"))
    before = versions(text, app)
    edit = promote_version(text, app, source, target, ORDER, path=path)
    after = versions(edit.new_text, app)
    assert after == before | {target: before[source]}
    if before.get(target) == before[source]:
        assert (edit.changed, edit.diff, edit.new_text) == (False, "", text)
        return
    assert edit.changed
    assert edit.diff.startswith(f"--- a/{path}\n+++ b/{path}\n@@ ")
    body = [line for line in edit.diff.splitlines()[2:] if line[:1] in "+-"]
    if target in before:
        ((old_line, new_line),) = changed_lines(text, edit.new_text)
        assert new_line == old_line.replace(f'"{before[target]}"', f'"{before[source]}"')
        assert body == [f"-{old_line}", f"+{new_line}"]
    else:
        (added,) = added_lines(text, edit.new_text)
        assert added.split() == [f"{target}:", "{version:", f'"{before[source]}"}}']
        # aligned with the source's value, as the demo manifests are
        (source_line,) = [line for line in text.split("\n") if line.strip().startswith(source)]
        assert added.index("{") == source_line.index("{")
        assert body == [f"+{added}"]


def test_flow_mappings_comments_and_alignment_are_kept() -> None:
    staged = promote(FLOW, "dev", "staging")
    assert changed_lines(FLOW, staged) == [
        ('    staging: {version: "1.4.1"}', '    staging: {version: "1.4.2"}')
    ]
    released = promote(staged, "staging", "prod")
    assert changed_lines(staged, released) == [
        (
            '    prod:    {version: "1.3.0", replicas: 3}',
            '    prod:    {version: "1.4.2", replicas: 3}',
        )
    ]
    assert versions(released) == {"dev": "1.4.2", "staging": "1.4.2", "prod": "1.4.2"}


def test_a_missing_environment_is_added_at_its_place_in_the_order_aligned() -> None:
    text = FLOW.replace('    staging: {version: "1.4.1"}\n', "")
    new = promote(text, "dev", "staging")
    assert added_lines(text, new) == ['    staging: {version: "1.4.2"}']
    assert new.index("staging:") < new.index("prod:")
    assert list(versions(new)) == ["dev", "staging", "prod"]


def test_a_missing_environment_in_block_style_gets_block_style() -> None:
    text = FLOW.split("  environments:\n")[0] + (
        "  environments:\n"
        "    dev:\n"
        "      version: '2.0.0'   # released on Monday\n"
        "      replicas: 1\n"
        "    # prod waits for the load test\n"
        "    prod:\n"
        "      version: '1.9.0'\n"
    )
    new = promote(text, "dev", "staging")
    assert added_lines(text, new) == ["    staging:", "      version: '2.0.0'"]
    assert new.index("staging:") < new.index("# prod waits")
    assert versions(new) == {"dev": "2.0.0", "staging": "2.0.0", "prod": "1.9.0"}


def test_a_flow_environments_mapping_gets_the_entry_inline() -> None:
    text = FLOW.split("  environments:\n")[0] + (
        '  environments: {dev: {version: "2.0.0"}, prod: {version: "1.0.0"}}\n'
    )
    new = promote(text, "dev", "staging")
    assert changed_lines(text, new) == [
        (
            '  environments: {dev: {version: "2.0.0"}, prod: {version: "1.0.0"}}',
            '  environments: {dev: {version: "2.0.0"}, staging: {version: "2.0.0"},'
            ' prod: {version: "1.0.0"}}',
        )
    ]


def test_an_environment_earlier_in_the_order_goes_before_the_first_later_one() -> None:
    text = FLOW.replace('    dev:     {version: "1.4.2"}            # image tag\n', "")
    new = promote(text, "prod", "dev")
    assert added_lines(text, new) == ['    dev:     {version: "1.3.0"}']
    assert list(versions(new)) == ["dev", "staging", "prod"]


@pytest.mark.parametrize(
    ("old", "version", "new"),
    [
        ("version: '1.0.0'", "2.0.0", "version: '2.0.0'"),
        ("version: v1", "v2", "version: v2"),
        # Plain 1.10 would be a number: it is quoted.
        ("version: v1", "1.10", 'version: "1.10"'),
        ('version: "1.0"', "2024.1", 'version: "2024.1"'),
    ],
)
def test_the_target_keeps_its_quoting_when_that_reads_back_the_same(
    old: str, version: str, new: str
) -> None:
    text = FLOW.split("  environments:\n")[0] + (
        f'  environments:\n    dev: {{version: "{version}"}}\n    staging: {{{old}}}\n'
    )
    assert changed_lines(text, promote(text, "dev", "staging")) == [
        (f"    staging: {{{old}}}", f"    staging: {{{new}}}")
    ]


def test_windows_line_endings_a_byte_order_mark_and_no_final_newline_are_kept() -> None:
    text = "\ufeff" + FLOW.replace("\n", "\r\n").removesuffix("\r\n")
    new = promote(text, "dev", "staging")
    assert new == text.replace('staging: {version: "1.4.1"}', 'staging: {version: "1.4.2"}')
    without_prod = text.removesuffix('\r\n    prod:    {version: "1.3.0", replicas: 3}')
    added = promote(without_prod, "staging", "prod")
    assert added == without_prod + '\r\n    prod:    {version: "1.4.1"}'
    diff = promote_version(without_prod, "payments-api", "staging", "prod", ORDER, path=PATH).diff
    assert diff.endswith('+    prod:    {version: "1.4.1"}\n\\ No newline at end of file\n')


def test_only_the_document_of_the_application_is_edited() -> None:
    other = FLOW.replace("payments-api", "ledger-api")
    text = other + "---\n" + FLOW
    new = promote(text, "dev", "staging")
    assert new.startswith(other + "---\n")
    assert versions(new, "ledger-api") == versions(FLOW, "ledger-api".replace("ledger", "payments"))
    assert versions(new)["staging"] == "1.4.2"


def test_the_version_already_there_changes_nothing() -> None:
    edit = promote_version(
        promote(FLOW, "dev", "staging"), "payments-api", "dev", "staging", ORDER, path=PATH
    )
    assert (edit.changed, edit.diff) == (False, "")


def test_an_application_not_in_the_file_is_refused() -> None:
    with pytest.raises(NotFoundError, match=rf"^{PATH}: no Application named 'ledger-api'"):
        promote(FLOW, "dev", "staging", app="ledger-api")


def test_a_missing_source_environment_is_refused_with_what_there_is() -> None:
    text = FLOW.replace('    dev:     {version: "1.4.2"}            # image tag\n', "")
    with pytest.raises(NotFoundError) as raised:
        promote(text, "dev", "staging")
    assert raised.value.message == (
        f"{PATH}:13:5: 'payments-api' has no environment 'dev' (it has: staging, prod)"
    )


def test_a_source_without_a_version_is_refused() -> None:
    text = FLOW.replace('{version: "1.4.2"}', "{replicas: 2}")
    with pytest.raises(ManifestEditError, match=rf"^{PATH}:13:14: 'payments-api' has no version"):
        promote(text, "dev", "staging")
    unquoted = FLOW.replace('{version: "1.4.2"}', "{version: 1.5}")
    with pytest.raises(ManifestEditError, match="no version \\(a quoted string\\)"):
        promote(unquoted, "dev", "staging")


def test_an_environment_that_is_not_configured_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="unknown environment 'qa'"):
        promote(FLOW, "dev", "qa")


def test_broken_yaml_is_refused_with_its_location() -> None:
    with pytest.raises(ManifestEditError, match=rf"{PATH}:\d+:\d+: invalid YAML"):
        promote(FLOW + "  oops: [\n", "dev", "staging")


def test_a_version_shared_through_an_alias_is_not_changed_in_two_places() -> None:
    text = FLOW.replace(
        '    staging: {version: "1.4.1"}\n    prod:    {version: "1.3.0", replicas: 3}\n',
        '    staging: &same {version: "1.4.1"}\n    prod: *same\n',
    )
    for target in ("staging", "prod"):
        with pytest.raises(ManifestEditError, match="edit this file by hand"):
            promote(text, "dev", target)


def test_the_diff_reads_like_gits() -> None:
    assert unified_diff("a.yaml", "x: 1\ny: 2\n", "x: 1\ny: 3\n") == (
        "--- a/a.yaml\n+++ b/a.yaml\n@@ -1,2 +1,2 @@\n x: 1\n-y: 2\n+y: 3\n"
    )
    assert unified_diff("a.yaml", "same\n", "same\n") == ""


QUOTES = st.sampled_from(['"{}"', "'{}'", "{}"])


@settings(max_examples=150, deadline=None)
@given(
    source=st.from_regex(m.IMAGE_TAG, fullmatch=True),  # the versions of a service
    target=st.from_regex(m.IMAGE_TAG, fullmatch=True),
    source_quote=QUOTES,
    target_quote=QUOTES,
    block=st.booleans(),
)
def test_any_valid_version_in_any_quoting_moves_alone(
    source: str, target: str, source_quote: str, target_quote: str, block: bool
) -> None:
    def scalar(value: str, quote: str) -> str:
        plain_ok = quote != "{}" or yaml.safe_load(value) == value
        return quote.format(value) if plain_ok else f'"{value}"'

    source_text, target_text = scalar(source, source_quote), scalar(target, target_quote)
    if block:
        entries = (
            f"    dev:\n      version: {source_text}\n    staging:\n      version: {target_text}\n"
        )
    else:
        entries = f"    dev: {{version: {source_text}}}\n    staging: {{version: {target_text}}}\n"
    text = FLOW.split("  environments:\n")[0] + "  environments:\n" + entries
    edit = promote_version(text, "payments-api", "dev", "staging", ORDER, path=PATH)
    assert versions(edit.new_text) == {"dev": source, "staging": source}
    assert edit.changed == (source != target)
    assert len(changed_lines(text, edit.new_text)) == (1 if source != target else 0)


LINES = st.lists(st.sampled_from(["a", "b", "c", "", "d e"]), max_size=40)


def apply(diff: str, text: str) -> str:
    """``text`` patched with a unified diff, checking every context and removed line."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    at = 0
    body = diff.splitlines(keepends=True)[2:]
    for index, line in enumerate(body):
        if line.startswith("\\"):
            continue
        text_line = line[1:]
        if index + 1 < len(body) and body[index + 1].startswith("\\"):
            text_line = text_line.removesuffix("\n")
        if line.startswith("@@"):
            start = int(line.split()[1].split(",")[0].lstrip("-"))
            length = line.split()[1].split(",")[1:] or ["1"]
            start = start if length != ["0"] else start + 1
            out.extend(lines[at : start - 1])
            at = start - 1
        elif line.startswith("+"):
            out.append(text_line)
        else:
            assert lines[at] == text_line, (at, line)
            at += 1
            if line.startswith(" "):
                out.append(text_line)
    return "".join(out + lines[at:])


@settings(max_examples=300, deadline=None)
@given(old=LINES, new=LINES, common=LINES, final_newline=st.booleans())
def test_the_diff_applies_to_the_old_text_and_gives_the_new_one(
    old: list[str], new: list[str], common: list[str], final_newline: bool
) -> None:
    end = "\n" if final_newline else ""
    before = "\n".join([*common, *old, *common]) + end
    after = "\n".join([*common, *new, *common]) + end
    diff = unified_diff("x.yaml", before, after)
    assert (diff == "") == (before == after)
    assert apply(diff, before) == after


def test_a_large_file_of_many_documents_is_edited_in_its_one_document() -> None:
    documents = [FLOW.replace("payments-api", f"app-{index}") for index in range(300)]
    text = "---\n".join(documents)
    edit = promote_version(text, "app-150", "dev", "staging", ORDER, path=PATH)
    assert changed_lines(text, edit.new_text) == [
        ('    staging: {version: "1.4.1"}', '    staging: {version: "1.4.2"}')
    ]
    line = text.split("\n").index("  name: app-150") + 1 + 9  # the staging line
    assert f"@@ -{line - 3},7 +{line - 3},7 @@" in edit.diff
    # The name also appears in other documents: only its own is the application.
    text = text.replace("dependsOn", "x") + "---\n" + FLOW.replace("payments-api", "web")
    with pytest.raises(ManifestEditError, match="declared more than once"):
        promote_version(
            text + "---\n" + documents[150], "app-150", "dev", "staging", ORDER, path=PATH
        )


def test_a_name_written_with_escapes_is_still_found() -> None:
    text = FLOW.replace("  name: payments-api", '  name: "payments\\x2Dapi"')
    edit = promote_version(text, "payments-api", "dev", "staging", ORDER, path=PATH)
    assert len(changed_lines(text, edit.new_text)) == 1
