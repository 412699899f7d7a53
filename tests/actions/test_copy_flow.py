"""A database copy end to end on a local bare repository: requested, its pull request merged on
the GitHub double, the Resource in the catalog, rendered as a restore Job, a warning an hour
before it expires, then the janitor's one removal pull request (audited as the platform's), and
after that merge the copy gone from the catalog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from catalog_service.actions.copy_plans import removal_branch
from catalog_service.actions.janitor import JANITOR, Janitor, expired_copies, removal_request
from catalog_service.actions.wiring import mirror_reader
from catalog_service.db.leases import SingleReplicaLeases
from catalog_service.render.command import render_repository
from tests.actions.conftest import REPO, Harness, HarnessFactory
from tests.actions.test_copy_database import APP, PATH, copy, seed
from tests.render.support import helm_objects, validate_core, validate_custom_resources
from tests.support.repos import GitOpsRepo

NAME = f"{APP}-db-copy-staging"


def merge(gitops: GitOpsRepo, branch: str) -> None:
    """What merging the pull request on GitHub does to the branch: a fast-forward."""
    gitops.repo.git.fetch("origin", branch)
    gitops.repo.git.merge("--ff-only", "FETCH_HEAD")
    gitops.push()


def refresh(h: Harness) -> None:
    """Ingest and serve at once (the refresher renders before serving; here it is done now)."""
    h.refresh()
    services = h.client.app.state.services  # type: ignore[attr-defined]
    snapshot = services.ingestor.snapshot
    snapshot.warm()
    services.served.promote(snapshot)


def entity_names(h: Harness) -> dict[str, dict[str, Any]]:
    items = h.client.get("/api/v1/entities").json()["items"]
    return {item["metadata"]["name"]: item for item in items}


def janitor_of(h: Harness, now: datetime) -> Janitor:
    services = h.client.app.state.services  # type: ignore[attr-defined]
    ingestor = services.ingestor
    return Janitor(
        h.actions, lambda: ingestor.snapshot, mirror_reader(ingestor), SingleReplicaLeases(),
        clock=lambda: now,
    )  # fmt: skip


def rendered_objects(h: Harness, out: Path, now: datetime) -> list[dict[str, Any]]:
    render_repository(h.settings, out, clock=lambda: now)
    values = yaml.safe_load((out / "staging" / APP / "values.yaml").read_text())
    return helm_objects(values, APP, f"{APP}-staging")


def check_rendered(h: Harness, tmp_path: Path, t0: datetime, expires: str) -> None:
    """Rendered while live: the restore Job and its ExternalSecret, valid; once expired: none."""
    objects = rendered_objects(h, tmp_path / "live", t0 + timedelta(hours=1))
    [job] = [obj for obj in objects if obj["kind"] == "Job"]
    validate_core(job)
    assert job["metadata"]["name"] == NAME
    assert job["metadata"]["annotations"]["idp/expires-at"] == expires
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert container["env"] == [{"name": "COPY_DATABASE", "value": "pay_db_copy_staging"}]
    assert container["envFrom"] == [{"secretRef": {"name": f"{NAME}-connection"}}]
    [external] = [
        o for o in objects if o["kind"] == "ExternalSecret" and o["metadata"]["name"] == NAME
    ]
    assert [item["remoteRef"]["key"] for item in external["spec"]["data"]] == [
        f"idp/prod/{APP}/db",
        f"idp/staging/{APP}/db",
    ]
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "copy.yaml").write_text(yaml.safe_dump(external))
    assert validate_custom_resources(secrets)["invalid"] == []
    expired = rendered_objects(h, tmp_path / "expired", t0 + timedelta(hours=24))
    assert not [obj for obj in expired if obj["kind"] == "Job"]


def test_a_copy_from_request_to_removal(
    gitops: GitOpsRepo, harness: HarnessFactory, tmp_path: Path
) -> None:
    seed(gitops)
    h = harness()
    t0 = datetime.now(UTC).replace(microsecond=0)  # the catalog compiles at the real time
    h.actions.clock = lambda: t0
    asked = copy(h, hours=24).json()
    expires = asked["expiresAt"]
    assert expires == (t0 + timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M:%SZ")
    merge(gitops, asked["branch"])
    refresh(h)

    resource = entity_names(h)[NAME]
    assert resource["metadata"]["annotations"]["idp/expires-at"] == expires
    assert resource["spec"]["type"] == "postgresql"

    check_rendered(h, tmp_path, t0, expires)
    services = h.client.app.state.services  # type: ignore[attr-defined]
    services.clock = lambda: t0 + timedelta(hours=23, minutes=30)
    warnings = [
        p for p in h.client.get("/api/v1/problems").json()["problems"] if NAME in p["message"]
    ]
    [warning] = warnings
    assert warning["severity"] == "warning" and warning["path"] == PATH
    assert warning["line"] == 17 and "(in 30 min)" in warning["message"]
    services.clock = lambda: t0 + timedelta(hours=22)
    assert h.client.get("/api/v1/problems").json()["problems"] == []

    before = len(h.audit())
    first = janitor_of(h, t0 + timedelta(hours=25)).pass_once()
    assert (first.expired, first.removed) == (1, 1)
    removals = [b for b in h.remote_branches() if b.startswith(f"idp/remove-copy-{NAME}-")]
    assert len(removals) == 1
    assert "copies" not in h.remote_file(removals[0], PATH)
    assert h.remote_file(removals[0], PATH).splitlines()[16].endswith("# kept quoted")
    rows = h.audit(actor=JANITOR)
    assert len(rows) == 1 and rows[0]["outcome"] == "succeeded" and rows[0]["branch"] == removals[0]
    assert h.double is not None
    pull = h.double.pulls[REPO][2]
    assert pull.head_ref == removals[0] and "platform:janitor" in pull.body
    # Again, and from a janitor started anew (a restart): nothing more.
    again = janitor_of(h, t0 + timedelta(hours=26)).pass_once()
    assert (again.expired, again.removed, again.skipped) == (1, 0, 1)
    assert len(h.audit()) == before + 1 and len(h.double.pulls[REPO]) == 2

    merge(gitops, removals[0])
    refresh(h)
    assert NAME not in entity_names(h) and f"{APP}-db" in entity_names(h)
    assert janitor_of(h, t0 + timedelta(hours=27)).pass_once().expired == 0


def test_an_expired_copy_whose_application_was_removed_is_skipped(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    expired = (
        "    staging: {version: '1.4.1', copies: [{component: db, from: prod,"
        ' expiresAt: "2026-01-01T00:00:00Z"}]}'
    )
    from tests.actions.test_copy_database import MANIFEST

    seed(gitops, MANIFEST.replace("    staging: {version: '1.4.1'}   # kept quoted", expired))
    h = harness()
    gitops.delete(PATH)  # removed on the remote, the catalog not refreshed yet
    gitops.commit()
    outcome = janitor_of(h, datetime.now(UTC)).pass_once()
    assert outcome.expired == 1 and outcome.removed == 0 and outcome.failed == 0
    assert not [b for b in h.remote_branches() if b.startswith("idp/")]
    services = h.client.app.state.services  # type: ignore[attr-defined]
    assert services.ingestor.refresh(force=True).status == "applied"  # the only manifest went
    # and once the catalog knows: not even seen
    assert janitor_of(h, datetime.now(UTC)).pass_once().expired == 0
    [row] = h.audit(actor=JANITOR)  # the first pass: nothing to change, no branch
    assert row["branch"] is None and row["outcome"] == "succeeded", row


def test_a_refused_removal_is_audited_once_and_not_tried_every_pass(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    expired = (
        "    staging: {version: '1.4.1', copies: [{component: db, from: prod,"
        " expiresAt: 2026-01-01T00:00:00Z}]}"  # unquoted: read as a timestamp, removed alike
    )
    from tests.actions.test_copy_database import MANIFEST

    seed(gitops, MANIFEST.replace("    staging: {version: '1.4.1'}   # kept quoted", expired))
    h = harness()
    services = h.client.app.state.services  # type: ignore[attr-defined]
    [found] = expired_copies(services.ingestor.snapshot.catalog, datetime.now(UTC))
    branch = removal_branch(removal_request(found), PATH)
    gitops.repo.git.checkout("-b", branch)  # someone else's change on that very branch
    gitops.write("apps/other.yaml", "# not a removal\n")
    gitops.repo.git.add("-A")
    gitops.repo.git.commit("-m", "something else")
    gitops.repo.git.push("origin", branch)
    first = janitor_of(h, datetime.now(UTC)).pass_once()
    assert (first.removed, first.failed) == (0, 1)
    [row] = h.audit(actor=JANITOR)
    assert row["outcome"] == "rejected" and "exists already with other changes" in row["message"]
    again = janitor_of(h, datetime.now(UTC)).pass_once()
    assert (again.skipped, again.failed) == (1, 0) and len(h.audit(actor=JANITOR)) == 1
