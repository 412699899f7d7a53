"""A pull request's files are read as ingest reads the branch: links, oversized files, submodules
and names that are not UTF-8 become problems or deletions."""

from __future__ import annotations

import os

from catalog_service.domain.parsing import MAX_FILE_BYTES
from tests.github.support import REPO
from tests.pull_requests.support import Checking
from tests.support.manifests import application_yaml
from tests.support.repos import GitOpsRepo


def hostile(gitops: GitOpsRepo) -> None:
    gitops.symlink("apps/payments/link.yaml", "payments-api.yaml")
    gitops.write("apps/payments/huge.yaml", b"#" * (MAX_FILE_BYTES + 1))
    name = gitops.work_dir / os.fsdecode(b"apps/payments/caf\xe9.yaml")
    name.write_bytes(application_yaml("cafe", system="payments").encode())
    # A submodule where ledger-api's manifest was: the manifest is gone, nothing is fetched.
    gitops.delete("apps/payments/ledger-api.yaml")
    gitops.path("apps/payments/ledger-api.yaml").mkdir()
    gitops.repo.git.update_index(
        "--add", "--cacheinfo", f"160000,{gitops.head},apps/payments/ledger-api.yaml"
    )


def test_hostile_files_are_problems_as_in_ingest(checking: Checking) -> None:
    sha = checking.open_pull(21, hostile)

    checking.checker.check(checking.event(21, sha))

    [create] = checking.double.requests_to("POST", f"/repos/{REPO}/check-runs")
    [run_id] = checking.double.check_runs
    found = {
        (a["path"], a["start_line"], a["message"]) for a in checking.double.annotations[run_id]
    }
    assert found == {
        ("apps/payments/caf\\xe9.yaml", 1, "the file name is not valid UTF-8; rename the file"),
        ("apps/payments/huge.yaml", 1, f"file is larger than {MAX_FILE_BYTES:,} bytes, the limit"),
        ("apps/payments/link.yaml", 1, "is a symbolic link; manifests must be regular files"),
    }
    assert create.json["conclusion"] == "failure"
    summary = create.json["output"]["summary"]
    assert "**Removed (1)**\n\n- `component:default/ledger-api`" in summary
    assert "4 manifest files checked against the base branch's catalog (1 deleted)." in summary
