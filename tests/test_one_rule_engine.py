"""One rule engine (issue 6): the ingest of a real git repository, the review engine, check_text,
``POST /api/v1/validate`` and ``catalog-service validate`` give the same answers about a change."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

from catalog_service.cli import main
from catalog_service.domain.review import check_text, compile_changes, review
from catalog_service.http.app import create_app
from catalog_service.service import build_ingestor, entity_context
from tests.support.manifests import application_yaml, system_yaml
from tests.support.repos import GitOpsRepo
from tests.support.settings import SettingsFactory

PAY = application_yaml("pay", system="payments", components=[("api-db", "postgresql")])
LEDGER = application_yaml("ledger", system="payments", depends_on=["pay"])
TAKEN = "the resource name 'pay-api-db' is already taken"


@dataclass(frozen=True)
class Case:
    path: str
    text: str
    expect: str  # a message the answer must hold ("" for none)
    base: dict[str, str] = field(
        default_factory=lambda: {"apps/payments/pay.yaml": PAY, "apps/payments/ledger.yaml": LEDGER}
    )


CASES = {
    # The drift: validate called it valid while ingest rejected it.
    "drift, the new file after": Case(
        "apps/platform/pay-api.yaml",
        application_yaml("pay-api", system="platform", components=[("db", "postgresql")]),
        TAKEN + " by application 'pay'",
    ),
    # The smaller path wins: the new file takes the name, the catalog's 'pay' is rejected.
    "drift, the new file before": Case(
        "apps/payments/pay-api.yaml",
        application_yaml("pay-api", system="payments", components=[("db", "postgresql")]),
        TAKEN + " by application 'pay-api'",
        {"apps/payments/pay.yaml": PAY},
    ),
    "a name another file declares": Case(
        "apps/z.yaml", application_yaml("ledger"), "an application named 'ledger' is already"
    ),
    "a dangling dependsOn": Case(
        "apps/orders.yaml",
        application_yaml("orders", depends_on=["pay", "ghost"]),
        "no application named 'ghost' in the catalog",
    ),
    "a typo in an existing file": Case(
        "apps/payments/ledger.yaml",
        LEDGER.replace("  system:", "  sytem: x\n  system:"),
        "metadata.sytem: unknown field",
    ),
    "a database copy from the environment it goes into": Case(
        "apps/payments/pay.yaml",
        PAY.replace(
            '    dev: {version: "1.0.0"}',
            '    dev: {version: "1.0.0", copies: [{component: api-db, from: dev,'
            ' expiresAt: "2030-01-01T00:00:00Z"}]}',
        ),
        "spec.environments.dev.copies[0].from: a copy into 'dev' cannot come from 'dev' itself",
        {"apps/payments/pay.yaml": PAY},
    ),
    "a version bump": Case("apps/payments/pay.yaml", PAY.replace("1.0.0", "1.1.0"), ""),
    "a second declared system": Case(
        "apps/payments/system2.yaml",
        system_yaml("payments"),
        "a system named 'payments' is already declared",
        {"apps/payments/system.yaml": system_yaml("payments"), "apps/payments/pay.yaml": PAY},
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_four_paths_give_the_same_answers(
    case: Case,
    gitops: GitOpsRepo,
    make_settings: SettingsFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = make_settings()
    context = entity_context(settings)
    for path, text in case.base.items():
        gitops.write(path, text)
    gitops.commit()
    ingestor = build_ingestor(settings)
    ingestor.refresh()
    assert ingestor.snapshot is not None
    before = ingestor.snapshot.catalog
    data = case.text.encode()

    result = review(before, compile_changes({case.path: data}, context), context)
    checked = check_text(case.path, data, context, before)
    with TestClient(create_app(settings, ingestor, poll=False)) as client:
        response = client.post("/api/v1/validate", params={"path": case.path}, content=data)
    gitops.write(case.path, case.text)
    gitops.commit()
    assert ingestor.refresh(force=True).status == "applied"
    after = ingestor.snapshot.catalog
    monkeypatch.chdir(gitops.work_dir)
    config = str(make_settings.write())
    status = main(["validate", "apps", "--format", "json", "--config", config])
    cli = json.loads(capsys.readouterr().out)

    # The review's catalog is the one ingest applies, and its answer is what the change brings.
    assert result.catalog.documents == after.documents
    assert result.catalog.problems == after.problems
    assert result.broken == ()  # (no dependsOn error of the review's own in these cases)
    brought = [str(p) for p in after.problems if p.path == case.path or p not in before.problems]
    assert [str(p) for p in result.findings] == brought
    assert [str(p) for p in checked] == brought
    assert [p["text"] for p in response.json()["problems"]] == brought
    assert response.json()["valid"] == result.passed
    # The command line checks the files as a whole: every problem of the catalog after.
    assert [p["text"] for p in cli["problems"]] == [str(p) for p in after.problems]
    assert status == (1 if any(p.severity == "error" for p in after.problems) else 0)
    if case.expect:
        assert any(case.expect in line for line in brought), brought
    else:
        assert brought == []
