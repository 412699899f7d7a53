"""The ``idp / manifests`` check run's report: conclusion, title, summary and annotations, from
the review of a pull request on the demo GitOps repository (examples/gitops)."""

from __future__ import annotations

import re
from pathlib import Path

from catalog_service.domain.catalog import Catalog, assemble
from catalog_service.domain.pull_request_check import (
    MAX_LISTED,
    CheckAnnotation,
    CheckReport,
    check_report,
)
from catalog_service.domain.review import compile_changes, review
from tests.domain.support import application, compile_files, context, dump

ROOT = Path(__file__).resolve().parents[2]
GITOPS = ROOT / "examples" / "gitops"
DOC = ROOT / "docs" / "github.md"

REFUND_WORKER = b"""\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: refund-worker
  system: payments
  owner: team-payments
  description: Settles refunds with the acquirer, out of payments-api
spec:
  type: etl
  source: {repository: acme/refund-worker}
  image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/refund-worker
  schedule: "*/10 * * * *"
  components:
    - {name: queue, type: queue}
  dependsOn: [payments-api, ledger-api, chargeback-api]
  environments:
    dev: {version: "0.1.0"}
"""


def demo_catalog() -> Catalog:
    files = {
        path.relative_to(GITOPS).as_posix(): path.read_bytes()
        for path in sorted(GITOPS.glob("apps/**/*.yaml"))
    }
    ctx = context()
    return assemble(compile_files(files, ctx), ctx)


def demo_pull_request() -> CheckReport:
    """Adds refund-worker, releases payments-api 2.14.0 to prod, retires fraud-scoring."""
    payments_api = (GITOPS / "apps/payments/payments-api.yaml").read_bytes()
    changes = {
        "apps/payments/refund-worker.yaml": REFUND_WORKER,
        "apps/payments/payments-api.yaml": payments_api.replace(b'"2.13.2"', b'"2.14.0"'),
        "apps/payments/fraud-scoring.yaml": None,
    }
    ctx = context()
    return check_report(review(demo_catalog(), compile_changes(changes, ctx), ctx))


def documented_summary() -> str:
    """The example summary of docs/github.md, which must be what the code writes."""
    text = DOC.read_text(encoding="utf-8")
    found = re.search(r"<!-- check-summary -->\n````markdown\n(.*?)````\n", text, re.S)
    assert found, "docs/github.md lost its example summary"
    return found[1]


def test_the_demo_pull_request_fails_on_the_removed_dependency() -> None:
    report = demo_pull_request()
    assert report.conclusion == "failure"
    assert report.title == "1 problem in 1 manifest"
    assert report.summary == documented_summary()


def test_the_demo_pull_request_s_annotations() -> None:
    assert demo_pull_request().annotations == (
        CheckAnnotation(
            path="apps/payments/payments-api.yaml",
            start_line=24,
            end_line=24,
            annotation_level="failure",
            message="spec.dependsOn[1]: removing 'fraud-scoring' (apps/payments/fraud-scoring.yaml)"
            " leaves 'payments-api' depending on it",
            title="Removed application still depended on",
            start_column=27,
            end_column=27,
        ),
        CheckAnnotation(
            path="apps/payments/refund-worker.yaml",
            start_line=15,
            end_line=15,
            annotation_level="warning",
            message="spec.dependsOn[2]: no application named 'chargeback-api' in the catalog",
            title="Manifest warning",
            start_column=41,
            end_column=41,
        ),
    )


def report_of(changes: dict[str, bytes | None]) -> CheckReport:
    ctx = context()
    base = assemble(compile_files({"apps/ledger.yaml": dump(application("ledger"))}, ctx), ctx)
    return check_report(review(base, compile_changes(changes, ctx), ctx))


def test_a_passing_pull_request_is_titled_by_what_it_changes() -> None:
    report = report_of(
        {
            "apps/ledger.yaml": dump(application("ledger", metadata={"description": "Books"})),
            "apps/orders.yaml": dump(
                application("orders", system="shop", components=[{"name": "db", "type": "s3"}])
            ),
        }
    )
    assert (report.conclusion, report.title) == ("success", "3 entities added, 1 changed")
    assert report.annotations == ()
    warned = report_of({"apps/o.yaml": dump(application("o", dependsOn=["ghost"]))})
    assert (warned.conclusion, warned.title) == ("success", "1 entity added, 1 warning")
    assert [a.annotation_level for a in warned.annotations] == ["warning"]
    assert report_of({}).title == "No entity changes"


def test_long_lists_are_capped() -> None:
    many = [application(f"app-{index:02d}", system="many") for index in range(MAX_LISTED + 5)]
    report = report_of({"apps/many.yaml": dump(*many)})
    assert report.title == f"{MAX_LISTED + 6} entities added"
    lines = report.summary.splitlines()
    assert lines.count("- and 6 more") == 1
    assert sum(line.startswith("- `") for line in lines) == MAX_LISTED


def test_problem_messages_cannot_format_the_summary() -> None:
    report = report_of(
        {
            "apps/x.yaml": b"apiVersion: idp/v1alpha1\nkind: System\n"
            b"metadata: {name: x, owner: y, we*rd_: 1}\n"
        }
    )
    assert report.conclusion == "failure"
    [line] = [line for line in report.summary.splitlines() if "we" in line]
    assert "we\\*rd\\_" in line and line.startswith("- **error** `apps/x.yaml:")
