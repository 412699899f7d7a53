"""The review engine: changed files against a catalog, with the rules of ingest; and check_text,
the validate check of one file's text, which is a review of that one file."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from catalog_service.domain.catalog import Catalog, assemble
from catalog_service.domain.problems import Problem
from catalog_service.domain.review import (
    UNNAMED_PATH,
    BrokenDependency,
    EntityDiff,
    Review,
    check_text,
    compile_changes,
    review,
    review_text,
)
from tests.domain.support import catalog_of, compile_files, context
from tests.domain.test_catalog import app_yaml, system_yaml

BASE = {
    "apps/fraud.yaml": app_yaml("fraud"),
    "apps/ledger.yaml": app_yaml("ledger", depends_on="[fraud]"),
    "apps/pay.yaml": app_yaml(
        "pay", depends_on="[ledger, fraud]", components="[{name: db, type: postgresql}]"
    ),
}


def texts(problems: Iterable[Problem]) -> list[str]:
    return [str(problem) for problem in problems]


def base(files: dict[str, str] | None = None) -> Catalog:
    return catalog_of(BASE if files is None else files)


def changed(changes: dict[str, str | None], files: dict[str, str] | None = None) -> Review:
    raw = {path: None if text is None else text.encode() for path, text in changes.items()}
    return review(base(files), compile_changes(raw, context()), context())


# -- the review answers what ingest answers -----------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"apps/pay.yaml": app_yaml("pay", depends_on="[ledger]")},  # same paths: reassemble
        {
            "apps/pay.yaml": app_yaml(
                "pay", components="[{name: db, type: postgresql}, {name: q, type: postgresql}]"
            )
        },
        {"apps/a.yaml": app_yaml("pay")},  # a smaller path takes the name
        {"apps/z.yaml": app_yaml("pay")},
        {"apps/ledger.yaml": None},
        {"apps/ledger.yaml": None, "apps/ledger2.yaml": app_yaml("ledger")},  # a rename
        {"apps/gone.yaml": None},  # deleting what is not there changes nothing
        {"apps/pay.yaml": "kind: Nope\n"},
        {"apps/s.yaml": system_yaml("payments"), "apps/t.yaml": system_yaml("payments")},
    ],
)
def test_the_result_is_the_catalog_ingest_assembles(changes: dict[str, str | None]) -> None:
    result = changed(changes)
    after = {**BASE, **{path: text for path, text in changes.items() if text is not None}}
    for path, text in changes.items():
        if text is None:
            after.pop(path, None)
    expected = assemble(compile_files(after), context())
    assert result.catalog == expected


def test_problems_in_the_changed_file_and_problems_caused_elsewhere() -> None:
    # apps/a.yaml comes first: it takes the name, the existing file is now the duplicate.
    result = changed({"apps/a.yaml": app_yaml("pay")})
    assert texts(result.problems) == []
    assert texts(result.caused) == [
        "apps/pay.yaml:4:9: metadata.name: an application named 'pay' is already declared in"
        " apps/a.yaml; names are unique in the catalog"
    ]
    # The existing problems of other files are not the change's.
    files = {**BASE, "apps/old.yaml": "kind: Nope\n"}
    assert changed({"apps/pay.yaml": app_yaml("pay")}, files).findings == ()


def test_the_entity_diff() -> None:
    result = changed(
        {
            "apps/fraud.yaml": app_yaml("fraud", owner="team-b"),
            "apps/new.yaml": app_yaml(
                "orders", system_name="shop", components="[{name: db, type: postgresql}]"
            ),
        }
    )
    assert result.entities == EntityDiff(
        added=("component:default/orders", "resource:default/orders-db", "system:default/shop"),
        changed=("component:default/fraud",),
        removed=(),
    )
    assert changed({"apps/pay.yaml": app_yaml("pay")}).entities == EntityDiff(
        changed=("component:default/pay",), removed=("resource:default/pay-db",)
    )
    assert changed({}).entities.empty


def test_removing_an_application_others_depend_on_is_an_error_at_each_dependent() -> None:
    result = changed({"apps/ledger.yaml": None})
    assert result.broken == (BrokenDependency("ledger", "apps/ledger.yaml", ("pay",)),)
    # The error stands in for the dangling-dependsOn warning at the same item.
    assert texts(result.findings) == [
        "apps/pay.yaml:11:15: spec.dependsOn[0]: removing 'ledger' (apps/ledger.yaml) leaves"
        " 'pay' depending on it"
    ]
    assert result.deleted_paths == ("apps/ledger.yaml",)
    assert not result.passed
    # Moving it to another file removes nothing.
    moved = changed(
        {"apps/ledger.yaml": None, "apps/l.yaml": app_yaml("ledger", depends_on="[fraud]")}
    )
    assert moved.broken == () and moved.passed
    # Renaming it in place does, and the dependents are named.
    renamed = changed({"apps/fraud.yaml": app_yaml("fraud-v2")})
    assert renamed.broken == (BrokenDependency("fraud", "apps/fraud.yaml", ("ledger", "pay")),)


def test_a_change_must_hold_the_file_of_its_path() -> None:
    [file] = compile_files({"apps/a.yaml": app_yaml("a")})
    with pytest.raises(ValueError, match=r"apps/b\.yaml"):
        review(base(), {"apps/b.yaml": file}, context())


# -- check_text ---------------------------------------------------------------------------------


def test_check_text_accepts_dependencies_on_known_applications() -> None:
    data = app_yaml("orders", depends_on="[ledger, fraud]").encode()
    assert check_text("apps/orders.yaml", data, context(), base()) == []


def test_check_text_reports_unknown_dependencies_at_the_list_item() -> None:
    data = app_yaml("orders", depends_on="[ledger, nowhere]").encode()
    found = check_text("apps/orders.yaml", data, context(), base())
    assert texts(found) == [
        "apps/orders.yaml:11:23: spec.dependsOn[1]: no application named 'nowhere' in the catalog"
    ]
    assert found[0].severity == "warning"


def test_check_text_knows_the_applications_of_the_same_file() -> None:
    data = (app_yaml("pay", depends_on="[ledger]") + "---\n" + app_yaml("ledger")).encode()
    assert check_text("apps/pay.yaml", data, context()) == []


def test_check_text_reports_a_name_another_file_declares() -> None:
    data = app_yaml("ledger").encode()
    found = check_text("apps/new-ledger.yaml", data, context(), base())
    assert texts(found) == [
        "apps/new-ledger.yaml:4:9: metadata.name: an application named 'ledger' is already"
        " declared in apps/ledger.yaml; names are unique in the catalog"
    ]
    # The file that declares it may change it.
    assert check_text("apps/ledger.yaml", data, context(), base()) == []


def test_check_text_reports_the_file_s_own_problems_sorted() -> None:
    data = (app_yaml("pay", depends_on="[nowhere]") + "---\n" + "kind: System\nname: x\n").encode()
    found = check_text("apps/pay.yaml", data, context())
    assert texts(found) == [
        "apps/pay.yaml:11:15: spec.dependsOn[0]: no application named 'nowhere' in the catalog",
        "apps/pay.yaml:13:1: apiVersion is required; this format is idp/v1alpha1",
    ]


def test_check_text_of_bad_bytes() -> None:
    found = check_text("apps/pay.yaml", b"\xff\xfe", context())
    assert texts(found) == ["apps/pay.yaml:1:1: file is not valid UTF-8 text"]


def test_the_resource_name_drift_of_issue_6() -> None:
    # An application 'pay' with a component 'api-db' holds the resource name 'pay-api-db'.
    files = {
        "apps/payments/pay.yaml": app_yaml("pay", components="[{name: api-db, type: postgresql}]")
    }
    data = app_yaml("pay-api", components="[{name: db, type: postgresql}]").encode()
    taken = "the resource name 'pay-api-db' is already taken"
    # After the catalog's file (a path, or none): the new application is the one rejected.
    for path in ("apps/platform/pay-api.yaml", None):
        [problem] = check_text(path, data, context(), base(files))
        assert taken + " by application 'pay'" in problem.message
        assert problem.path == (path or UNNAMED_PATH) and problem.line == 10
    # Before it (the smaller path wins): 'pay' is rejected, and that is this change's doing.
    [problem] = check_text("apps/payments/pay-api.yaml", data, context(), base(files))
    assert str(problem) == (
        "apps/payments/pay.yaml:10:23: spec.components[0].name: " + taken + " by application"
        " 'pay-api'"
    )


def test_without_a_path_the_text_is_the_file_declaring_its_application() -> None:
    data = app_yaml("pay", depends_on="[ledger]").encode()  # pay drops its component db
    result = review_text(None, data, context(), base())
    assert result.changed_paths == ("apps/pay.yaml",)
    assert result.entities.removed == ("resource:default/pay-db",)
    assert result.findings == ()
    # A System a catalog file declares: that file.
    files = {**BASE, "apps/system.yaml": system_yaml("payments")}
    declared = review_text(
        None, system_yaml("payments", owner="b").encode(), context(), base(files)
    )
    assert declared.changed_paths == ("apps/system.yaml",)
    assert declared.entities.changed == ("system:default/payments",)
    # Nothing known: a new file after every other one, so it never takes a name.
    new = review_text(None, app_yaml("orders").encode(), context(), base())
    assert new.changed_paths == (UNNAMED_PATH,)
    assert new.entities.added == ("component:default/orders",)
