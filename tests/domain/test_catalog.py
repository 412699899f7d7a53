"""Files become a catalog: the rules that span files (unique names, dependencies, resource names,
systems), the order of the entities, the digest and ``reassemble`` (test_review: check_text)."""

from __future__ import annotations

import json

import pytest

from catalog_service.domain.catalog import (
    assemble,
    compile_file,
    encode_entity,
    reassemble,
    rejected,
)
from catalog_service.domain.entities import LinkTemplate
from tests.domain.support import (
    application,
    by_ref,
    catalog_of,
    compile_files,
    context,
    dump,
    entities_of,
    names,
    system,
)


def app_yaml(
    name: str,
    *,
    system_name: str = "payments",
    owner: str = "team-a",
    depends_on: str = "[]",
    components: str = "[]",
) -> str:
    """A valid vendor application in 8 lines; ``metadata.name`` is always on line 4, column 9."""
    return f"""\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: {name}
  system: {system_name}
  owner: {owner}
spec:
  type: vendor
  chart: {{repository: "https://charts.example.com", name: {name}}}
  components: {components}
  dependsOn: {depends_on}
"""


def system_yaml(name: str, owner: str = "team-a") -> str:
    """A System; ``metadata.name`` is on line 3, column 18."""
    return f"apiVersion: idp/v1alpha1\nkind: System\nmetadata: {{name: {name}, owner: {owner}}}\n"


def problem_texts(files: dict[str, str]) -> list[str]:
    return [str(problem) for problem in catalog_of(files).problems]


def component_names(files: dict[str, str]) -> list[str]:
    return names(entities_of(catalog_of(files)), "Component")


# -- duplicate application names ----------------------------------------------------------------


def test_duplicate_names_across_files_the_smaller_path_wins() -> None:
    files = {
        "apps/payments/pay.yaml": app_yaml("pay", owner="team-b"),
        "apps/a-team/pay.yaml": app_yaml("pay", owner="team-a"),
    }
    catalog = catalog_of(files)
    assert [str(problem) for problem in catalog.problems] == [
        "apps/payments/pay.yaml:4:9: metadata.name: an application named 'pay' is already"
        " declared in apps/a-team/pay.yaml; names are unique in the catalog"
    ]
    [winner] = [e for e in entities_of(catalog) if e["kind"] == "Component"]
    assert winner["spec"]["owner"] == "team-a"
    assert winner["metadata"]["annotations"]["backstage.io/managed-by-location"].endswith(
        "apps/a-team/pay.yaml"
    )


def test_duplicate_names_compare_paths_as_strings() -> None:
    # "apps/Z.yaml" < "apps/a.yaml" < "apps/a/b.yaml": byte order, not case-folded or by depth.
    files = {
        "apps/a/b.yaml": app_yaml("pay", owner="team-c"),
        "apps/a.yaml": app_yaml("pay", owner="team-b"),
        "apps/Z.yaml": app_yaml("pay", owner="team-a"),
    }
    catalog = catalog_of(files)
    assert [str(problem) for problem in catalog.problems] == [
        "apps/a.yaml:4:9: metadata.name: an application named 'pay' is already declared in"
        " apps/Z.yaml; names are unique in the catalog",
        "apps/a/b.yaml:4:9: metadata.name: an application named 'pay' is already declared in"
        " apps/Z.yaml; names are unique in the catalog",
    ]
    [winner] = [e for e in entities_of(catalog) if e["kind"] == "Component"]
    assert winner["spec"]["owner"] == "team-a"


def test_duplicate_names_within_one_file() -> None:
    files = {"apps/pay.yaml": app_yaml("pay") + "---\n" + app_yaml("pay", owner="team-b")}
    assert problem_texts(files) == [
        "apps/pay.yaml:16:9: metadata.name: an application named 'pay' is already declared in"
        " apps/pay.yaml; names are unique in the catalog"
    ]
    assert component_names(files) == ["pay"]


def test_the_loser_of_a_duplicate_takes_its_resources_along() -> None:
    files = {
        "apps/a.yaml": app_yaml("pay"),
        "apps/b.yaml": app_yaml("pay", components="[{name: db, type: redis}]"),
    }
    entities = entities_of(catalog_of(files))
    assert names(entities, "Resource") == []


# -- dependencies -------------------------------------------------------------------------------


def test_a_missing_dependency_is_a_warning_and_the_application_stays() -> None:
    files = {
        "apps/ledger.yaml": app_yaml("ledger"),
        "apps/pay.yaml": """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: pay, system: payments, owner: team-a}
spec:
  type: vendor
  chart: {repository: "https://charts.example.com", name: pay}
  components: [{name: db, type: postgresql}]
  dependsOn:
    - ledger
    - fraud-scoring
""",
        "apps/web.yaml": app_yaml("web", depends_on="[ledger]"),
    }
    catalog = catalog_of(files)
    assert [str(problem) for problem in catalog.problems] == [
        "apps/pay.yaml:10:7: spec.dependsOn[1]: no application named 'fraud-scoring' in the catalog"
    ]
    assert [problem.severity for problem in catalog.problems] == ["warning"]
    entities = entities_of(catalog)
    assert names(entities, "Component") == ["ledger", "pay", "web"]
    assert names(entities, "Resource") == ["pay-db"]
    assert by_ref(entities)["component:default/pay"]["spec"]["dependsOn"] == [
        "resource:default/pay-db",
        "component:default/ledger",
        "component:default/fraud-scoring",
    ]
    assert [app.name for app in catalog.applications] == ["ledger", "pay", "web"]


def test_deleting_a_manifest_keeps_the_applications_that_depend_on_it() -> None:
    files = {
        "apps/ledger.yaml": app_yaml("ledger"),
        "apps/pay.yaml": app_yaml("pay", depends_on="[ledger]"),
        "apps/web.yaml": app_yaml("web", depends_on="[ledger, pay]"),
    }
    assert component_names(files) == ["ledger", "pay", "web"]
    del files["apps/ledger.yaml"]
    catalog = catalog_of(files)
    assert names(entities_of(catalog), "Component") == ["pay", "web"]
    assert [(str(p), p.severity) for p in catalog.problems] == [
        (
            "apps/pay.yaml:11:15: spec.dependsOn[0]: no application named 'ledger' in the catalog",
            "warning",
        ),
        (
            "apps/web.yaml:11:15: spec.dependsOn[0]: no application named 'ledger' in the catalog",
            "warning",
        ),
    ]


def test_dependencies_may_point_to_later_files() -> None:
    files = {
        "apps/a.yaml": app_yaml("a", depends_on="[z]"),
        "apps/z.yaml": app_yaml("z", depends_on="[a]"),  # a cycle is allowed
    }
    assert problem_texts(files) == []
    assert component_names(files) == ["a", "z"]


def test_a_dependency_on_a_declared_but_rejected_application_keeps_the_dependent() -> None:
    # The documented choice (catalog.assemble): a dependency must be declared, not valid, so one
    # broken manifest does not take every application that depends on it out of the catalog.
    files = {
        "apps/ledger.yaml": app_yaml("ledger").replace("type: vendor", "type: vendr"),
        "apps/pay.yaml": app_yaml("pay", depends_on="[ledger]"),
    }
    assert problem_texts(files) == [
        "apps/ledger.yaml:8:9: spec.type: must be 'service', 'vendor' or 'etl'"
    ]
    assert component_names(files) == ["pay"]


def test_a_dependency_on_the_loser_of_a_duplicate_name_is_satisfied_by_the_winner() -> None:
    files = {
        "apps/a.yaml": app_yaml("ledger"),
        "apps/b.yaml": app_yaml("ledger"),
        "apps/c.yaml": app_yaml("pay", depends_on="[ledger]"),
    }
    assert len(problem_texts(files)) == 1
    assert component_names(files) == ["ledger", "pay"]


# -- resource names -----------------------------------------------------------------------------


def test_a_resource_name_collision_rejects_the_later_application() -> None:
    # "a-b" + "c" and "a" + "b-c" both make the Resource "a-b-c".
    files = {
        "apps/1.yaml": app_yaml("a-b", components="[{name: c, type: redis}]"),
        "apps/2.yaml": app_yaml("a", components="[{name: x, type: redis}, {name: b-c, type: s3}]"),
    }
    catalog = catalog_of(files)
    assert [str(problem) for problem in catalog.problems] == [
        "apps/2.yaml:10:47: spec.components[1].name: the resource name 'a-b-c' is already"
        " taken by application 'a-b'"
    ]
    entities = entities_of(catalog)
    assert names(entities, "Component") == ["a-b"]
    assert names(entities, "Resource") == ["a-b-c"]
    assert by_ref(entities)["resource:default/a-b-c"]["spec"]["type"] == "redis"


def test_a_rejected_application_does_not_hold_its_resource_names() -> None:
    # "a" loses "a-b-c" to "a-b" and is rejected: its other Resource "a-x-y" stays free for "a-x".
    files = {
        "apps/1.yaml": app_yaml("a-b", components="[{name: c, type: redis}]"),
        "apps/2.yaml": app_yaml("a", components="[{name: b-c, type: s3}, {name: x-y, type: s3}]"),
        "apps/3.yaml": app_yaml("a-x", components="[{name: y, type: mysql}]"),
    }
    catalog = catalog_of(files)
    assert [str(problem) for problem in catalog.problems] == [
        "apps/2.yaml:10:23: spec.components[0].name: the resource name 'a-b-c' is already"
        " taken by application 'a-b'"
    ]
    entities = entities_of(catalog)
    assert names(entities, "Component") == ["a-b", "a-x"]
    assert by_ref(entities)["resource:default/a-x-y"]["spec"]["type"] == "mysql"


# -- systems ------------------------------------------------------------------------------------


def test_declared_and_implied_systems() -> None:
    files = {
        "apps/payments/system.yaml": system_yaml("payments", owner="team-payments"),
        "apps/payments/pay.yaml": app_yaml("pay", owner="team-other"),
        "apps/shop/web.yaml": app_yaml("web", system_name="shop", owner="team-web"),
        "apps/shop/cart.yaml": app_yaml("cart", system_name="shop", owner="team-cart"),
        "apps/shop/search.yaml": app_yaml("search", system_name="shop", owner="team-web"),
        "apps/empty/system.yaml": system_yaml("empty"),
    }
    catalog = catalog_of(files)
    assert catalog.problems == ()
    systems = {e["metadata"]["name"]: e for e in entities_of(catalog) if e["kind"] == "System"}
    assert list(systems) == ["empty", "payments", "shop"]
    # Declared: as written, whatever its applications say.
    assert systems["payments"]["spec"] == {"owner": "team-payments"}
    assert "idp/implied" not in systems["payments"]["metadata"]["annotations"]
    assert systems["payments"]["metadata"]["annotations"][
        "backstage.io/managed-by-location"
    ].endswith("apps/payments/system.yaml")
    # A declared System with no application is still a System.
    assert systems["empty"]["spec"] == {"owner": "team-a"}
    # Implied: the most common owner; located at the first application in path order.
    assert systems["shop"]["spec"] == {"owner": "team-web"}
    assert systems["shop"]["metadata"]["annotations"]["idp/implied"] == "true"
    assert systems["shop"]["metadata"]["annotations"]["backstage.io/managed-by-location"].endswith(
        "apps/shop/cart.yaml"
    )


def test_implied_owner_ties_are_alphabetical_and_refs_count_as_one_owner() -> None:
    files = {
        "apps/1.yaml": app_yaml("a", system_name="shop", owner="team-z"),
        "apps/2.yaml": app_yaml("b", system_name="shop", owner="team-y"),
    }
    [shop] = [e for e in entities_of(catalog_of(files)) if e["kind"] == "System"]
    assert shop["spec"]["owner"] == "team-y"
    files["apps/3.yaml"] = app_yaml("c", system_name="shop", owner="group:default/team-z")
    [shop] = [e for e in entities_of(catalog_of(files)) if e["kind"] == "System"]
    assert shop["spec"]["owner"] == "team-z"


def test_a_system_whose_applications_are_all_rejected_is_not_implied() -> None:
    files = {
        "apps/a.yaml": app_yaml("b"),
        "apps/b.yaml": app_yaml("b", system_name="lonely"),  # a duplicate: rejected
    }
    catalog = catalog_of(files)
    assert names(entities_of(catalog), "System") == ["payments"]
    assert "system:default/lonely" not in catalog.refs


def test_duplicate_declared_system() -> None:
    files = {
        "apps/b/system.yaml": system_yaml("payments", owner="team-b"),
        "apps/a/system.yaml": system_yaml("payments", owner="team-a"),
    }
    catalog = catalog_of(files)
    assert [str(problem) for problem in catalog.problems] == [
        "apps/b/system.yaml:3:18: metadata.name: a system named 'payments' is already declared"
        " in apps/a/system.yaml"
    ]
    [declared] = entities_of(catalog)
    assert declared["spec"]["owner"] == "team-a"


def test_a_declared_system_replaces_the_implied_one() -> None:
    files = {"apps/pay.yaml": app_yaml("pay", owner="team-apps")}
    [implied] = [e for e in entities_of(catalog_of(files)) if e["kind"] == "System"]
    assert implied["spec"]["owner"] == "team-apps"
    files["apps/system.yaml"] = system_yaml("payments", owner="team-declared")
    systems = [e for e in entities_of(catalog_of(files)) if e["kind"] == "System"]
    assert [s["spec"]["owner"] for s in systems] == ["team-declared"]


# -- order, refs, digest ------------------------------------------------------------------------


def test_systems_by_name_then_applications_in_path_order_each_with_its_resources() -> None:
    files = {
        "apps/b.yaml": app_yaml("zeta", system_name="beta", components="[{name: db, type: x}]"),
        "apps/a.yaml": app_yaml("omega", system_name="alpha")
        + "---\n"
        + app_yaml("alpha", system_name="gamma", components="[{name: q, type: queue}]"),
        "apps/s.yaml": system_yaml("delta"),
    }
    catalog = catalog_of(files)
    order = [(e["kind"], e["metadata"]["name"]) for e in entities_of(catalog)]
    assert order == [
        ("System", "alpha"),
        ("System", "beta"),
        ("System", "delta"),
        ("System", "gamma"),
        ("Component", "omega"),
        ("Component", "alpha"),
        ("Resource", "alpha-q"),
        ("Component", "zeta"),
        ("Resource", "zeta-db"),
    ]
    assert catalog.refs == {
        "system:default/alpha",
        "system:default/beta",
        "system:default/delta",
        "system:default/gamma",
        "component:default/omega",
        "component:default/alpha",
        "resource:default/alpha-q",
        "component:default/zeta",
        "resource:default/zeta-db",
    }
    assert catalog.entity_count == 9
    assert catalog.manifest_files == 3


def test_problems_are_sorted_by_path_line_and_column() -> None:
    files = {
        "apps/b.yaml": app_yaml("b", depends_on="[x, y]"),
        "apps/a.yaml": "kind: [\n",
        "apps/c.yaml": app_yaml("b"),
    }
    found = catalog_of(files).problems
    assert [(p.path, p.line, p.column) for p in found] == [
        ("apps/a.yaml", 2, 1),
        ("apps/b.yaml", 11, 15),
        ("apps/b.yaml", 11, 18),
        ("apps/c.yaml", 4, 9),
    ]


def test_the_digest_changes_with_the_content_and_only_then() -> None:
    files = {"apps/a.yaml": app_yaml("a"), "apps/b.yaml": app_yaml("b", depends_on="[a]")}
    first = catalog_of(files)
    assert catalog_of(dict(files)).digest == first.digest

    changed = dict(files, **{"apps/b.yaml": app_yaml("b", owner="team-b")})
    assert catalog_of(changed).digest != first.digest

    broken = dict(files, **{"apps/b.yaml": "kind: [\n"})
    assert catalog_of(broken).digest != first.digest

    renamed = {"apps/a.yaml": files["apps/a.yaml"], "apps/c.yaml": files["apps/b.yaml"]}
    assert catalog_of(renamed).digest != first.digest

    added = dict(files, **{"apps/c.yaml": app_yaml("c")})
    assert catalog_of(added).digest != first.digest

    other_links = context(links=(LinkTemplate("Docs", "https://docs.example.com/{name}"),))
    assert catalog_of(files, other_links).digest != first.digest


def test_a_comment_changes_no_entity_and_no_digest() -> None:
    files = {"apps/a.yaml": app_yaml("a")}
    commented = {"apps/a.yaml": "# owned by the payments team\n" + app_yaml("a")}
    assert catalog_of(commented).documents == catalog_of(files).documents
    assert catalog_of(commented).digest == catalog_of(files).digest


def test_the_digest_follows_a_renamed_rejected_application() -> None:
    # pay depends on ledger, which is declared but invalid. When the invalid manifest is renamed
    # (same problem, same place), pay's dependency is gone and pay has a warning: the catalog
    # changed, so must its digest.
    broken = app_yaml("ledger").replace("type: vendor", "type: vendr")
    files = {"apps/ledger.yaml": broken, "apps/pay.yaml": app_yaml("pay", depends_on="[ledger]")}
    before = catalog_of(files)
    files["apps/ledger.yaml"] = broken.replace("name: ledger", "name: legder")
    after = catalog_of(files)
    assert len(after.problems) == len(before.problems) + 1
    assert after.digest != before.digest


def test_compile_file_is_deterministic() -> None:
    data = dump(application(components=[{"name": "db", "type": "postgresql"}]))
    ctx = context()
    first, second = compile_file("apps/a.yaml", data, ctx), compile_file("apps/a.yaml", data, ctx)
    assert first == second
    [app] = first.applications
    assert app.name == "payments-api"
    assert app.resource_names == ("payments-api-db",)
    assert [json.loads(d)["kind"] for d in app.documents] == ["Component", "Resource"]
    assert first.manifest_count == 1


def test_encode_entity_is_compact_utf8_json() -> None:
    encoded = encode_entity({"metadata": {"description": "Zahlungen für Kunden"}, "kind": "X"})
    assert encoded == '{"metadata":{"description":"Zahlungen für Kunden"},"kind":"X"}'.encode()


def test_a_rejected_file_counts_as_a_problem() -> None:
    ctx = context()
    file = rejected("apps/link.yaml", "is a symbolic link; manifests must be regular files")
    catalog = assemble([*compile_files({"apps/a.yaml": app_yaml("a")}), file], ctx)
    assert [str(problem) for problem in catalog.problems] == [
        "apps/link.yaml:1:1: is a symbolic link; manifests must be regular files"
    ]
    assert names(entities_of(catalog), "Component") == ["a"]
    assert catalog.manifest_files == 2
    assert file.manifest_count == 1


def test_an_empty_catalog() -> None:
    catalog = assemble([], context())
    assert catalog.documents == ()
    assert catalog.problems == ()
    assert catalog.refs == frozenset()
    assert catalog.entity_count == 0


def test_systems_and_applications_from_one_builder_file() -> None:
    files = {"apps/all.yaml": dump(system("payments"), application("pay"), application("ledger"))}
    catalog = catalog_of({path: data.decode() for path, data in files.items()})
    assert names(entities_of(catalog)) == ["payments", "pay", "ledger"]


# -- reassemble: a refresh that only swaps in the changed files ---------------------------------

BEFORE = {
    "apps/a.yaml": app_yaml("a", components="[{name: db, type: postgresql}]"),
    "apps/b.yaml": app_yaml("b", depends_on="[a]", owner="team-b"),
    "apps/c.yaml": app_yaml("c", depends_on="[nowhere]"),  # a warning: a missing dependency
    "apps/d.yaml": app_yaml("a"),  # rejected: a duplicate of a
    "apps/e.yaml": app_yaml("e", system_name="storefront") + "---\n" + app_yaml("f"),
    "apps/s.yaml": system_yaml("payments"),
}


@pytest.mark.parametrize(
    ("path", "text", "fast"),
    [
        pytest.param(
            "apps/a.yaml",
            BEFORE["apps/a.yaml"].replace("name: a}", "name: a-chart}"),
            True,
            id="a-chart-name",
        ),
        pytest.param(
            "apps/e.yaml",
            BEFORE["apps/e.yaml"].replace("name: f}", "name: f2}"),
            True,
            id="second-application-of-a-file",
        ),
        pytest.param(
            "apps/c.yaml",
            BEFORE["apps/c.yaml"].replace("name: c}", "name: c2}"),
            True,
            id="an-application-with-a-warning",
        ),
        pytest.param(
            "apps/d.yaml",
            BEFORE["apps/d.yaml"].replace("name: a}", "name: a2}"),
            True,
            id="a-rejected-duplicate",
        ),
        pytest.param("apps/a.yaml", app_yaml("a", owner="team-z"), False, id="owner"),
        pytest.param("apps/b.yaml", app_yaml("b2", depends_on="[a]"), False, id="rename"),
        pytest.param("apps/c.yaml", app_yaml("c", depends_on="[a]"), False, id="repaired"),
        pytest.param(
            "apps/a.yaml",
            app_yaml("a", components="[{name: db, type: mysql}]"),
            True,
            id="component-type",
        ),
        pytest.param("apps/a.yaml", app_yaml("a"), False, id="component-removed"),
        pytest.param(
            "apps/s.yaml",
            system_yaml("payments").replace("owner: team-a", "owner: team-b"),
            False,
            id="declared-system",
        ),
        pytest.param("apps/b.yaml", "kind: [", False, id="broken"),
    ],
)
def test_reassemble_answers_what_assemble_answers(path: str, text: str, fast: bool) -> None:
    ctx = context()
    before = compile_files(BEFORE, ctx)
    previous = assemble(before, ctx)
    after_files = {**BEFORE, path: text}
    after = compile_files(after_files, ctx)
    old = next(file for file in before if file.path == path)
    new = next(file for file in after if file.path == path)

    patched = reassemble(previous, after, {path: (old, new)}, ctx)

    assert patched == assemble(after, ctx)
    assert patched != previous
    # The fast path keeps what it did not need to redo.
    assert (patched.problems is previous.problems) is fast


def test_reassemble_starts_over_when_paths_change() -> None:
    ctx = context()
    before = compile_files(BEFORE, ctx)
    previous = assemble(before, ctx)
    # Same number of files, other paths: b.yaml renamed to bb.yaml.
    renamed = dict(BEFORE)
    renamed["apps/bb.yaml"] = renamed.pop("apps/b.yaml")
    after = compile_files(renamed, ctx)
    assert reassemble(previous, after, {}, ctx) == assemble(after, ctx)
