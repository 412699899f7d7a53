"""What an action does with the branches it finds, and the audit entry that names each branch it
pushes: against a real bare remote, pull requests on the double, on SQLite and PostgreSQL."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import git
import pytest
import sqlalchemy

from catalog_service.actions.plans import branch_name
from tests.actions.conftest import REPO, Harness, HarnessFactory
from tests.actions.test_promote_image import APP, MANIFEST, PATH, STAGING_BRANCH
from tests.support.repos import GitOpsRepo

# The branch this request is answered on (tests/actions/test_promote_image.py's manifest).
STAGING = branch_name(STAGING_BRANCH, PATH, APP, "dev", "staging", "1.4.2")


def _seed(gitops: GitOpsRepo, manifest: str = MANIFEST) -> None:
    gitops.write(PATH, manifest)
    gitops.commit()


def _push_branch(gitops: GitOpsRepo, branch: str, manifest: str) -> str:
    """``branch`` on the remote: main with ``PATH`` set to ``manifest``, by someone else."""
    repo = gitops.repo
    main = repo.active_branch.name
    repo.git.checkout("-b", branch)
    gitops.write(PATH, manifest)
    repo.git.add("--all")
    repo.git.commit("-m", "someone else's change", "--no-gpg-sign")
    sha = repo.head.commit.hexsha
    repo.git.push("origin", f"{branch}:{branch}")
    repo.git.checkout(main)
    return sha


def _hook(gitops: GitOpsRepo, name: str, script: str) -> None:
    assert gitops.remote_dir is not None
    hook = Path(gitops.remote_dir) / "hooks" / name
    hook.write_text(script)
    hook.chmod(0o755)


# -- a branch that exists already ------------------------------------------------------------


def test_a_branch_someone_else_pushed_with_other_changes_is_refused_not_built_on(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h = harness()
    promoted = MANIFEST.replace("'1.4.1'", "'1.4.2'")
    hidden = promoted.replace("image: registry.example.com/", "image: evil.example.com/").replace(
        "owner: team-payments", "owner: team-mallory"
    )
    # Under the name the service would choose (and the one it chose before names had a hash).
    heads = {name: _push_branch(gitops, name, hidden) for name in (STAGING, STAGING_BRANCH)}
    response = h.promote(application=APP, **{"from": "dev"})
    assert response.status_code == 409, response.text
    message = response.json()["error"]["message"]
    assert "exists already with other changes" in message and "Delete that branch" in message
    assert h.remote_branches() == {"main": gitops.head, **heads}  # nothing committed on top
    assert h.double is not None and not h.double.pulls[REPO]
    [row] = h.audit()
    assert row["outcome"] == "rejected" and row["message"] == message


def test_a_branch_of_unrelated_history_is_refused(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h = harness()
    repo = gitops.repo
    main = repo.active_branch.name
    repo.git.checkout("--orphan", "stray")
    gitops.write(PATH, MANIFEST.replace("'1.4.1'", "'1.4.2'"))
    repo.git.add("--all")
    repo.git.commit("-m", "from elsewhere", "--no-gpg-sign")
    repo.git.push("origin", f"stray:{STAGING}")
    repo.git.checkout("-f", main)
    response = h.promote(application=APP, **{"from": "dev"})
    assert response.status_code == 409, response.text
    assert "shares no history" in response.json()["error"]["message"]


def test_a_branch_with_exactly_this_change_is_the_same_request_again(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h = harness()
    sha = _push_branch(gitops, STAGING, MANIFEST.replace("'1.4.1'", "'1.4.2'"))
    response = h.promote(application=APP, **{"from": "dev"})
    assert response.status_code == 200, response.text
    assert response.json()["branch"] == STAGING
    assert h.remote_branches()[STAGING] == sha  # reused as it is
    assert h.double is not None and h.double.pulls[REPO][1].head_ref == STAGING


def test_a_leftover_branch_merged_already_is_not_answered_as_a_new_promotion(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h = harness()
    first = h.promote(application=APP, **{"from": "dev"}).json()
    # Merged on GitHub (the catalog has not caught up yet), its branch left behind.
    gitops.repo.git.pull("origin", first["branch"], "--no-rebase", "--no-edit")
    gitops.push()
    assert h.double is not None
    h.double.pulls[REPO][1].state = "closed"
    again = h.promote(application=APP, **{"from": "dev"})
    assert again.status_code == 200, again.text
    assert again.json()["changed"] is False and again.json()["branch"] is None
    assert len(h.double.pulls[REPO]) == 1  # no pull request zero commits ahead of main
    assert "already" in h.audit()[0]["message"]


def test_a_leftover_branch_whose_change_was_reverted_is_rebuilt_from_the_base(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h = harness()
    first = h.promote(application=APP, **{"from": "dev"}).json()
    gitops.repo.git.pull("origin", first["branch"], "--no-rebase", "--no-edit")
    gitops.push()
    gitops.repo.git.revert("--no-edit", "HEAD")
    gitops.push()
    assert h.double is not None
    h.double.pulls[REPO][1].state = "closed"
    h.refresh()
    again = h.promote(application=APP, **{"from": "dev"})
    assert again.status_code == 200, again.text
    assert again.json()["branch"] == first["branch"] and again.json()["changed"] is True
    assert gitops.remote_dir is not None
    tip = git.Repo(gitops.remote_dir).commit(first["branch"])
    assert tip.parents[0].hexsha == gitops.head  # one commit on today's main
    assert h.double.pulls[REPO][2].head_ref == first["branch"]


# -- requests that read alike ----------------------------------------------------------------


def test_one_name_in_two_systems_gets_two_branches_and_two_pull_requests(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    gitops.add_application("ledger", system="shop")
    gitops.commit()
    h = harness()
    shop = h.create(name="twin", system="shop")
    payments = h.create(name="twin", system="payments")
    assert shop.status_code == payments.status_code == 200, (shop.text, payments.text)
    assert shop.json()["branch"] != payments.json()["branch"]
    assert shop.json()["pullRequestUrl"] != payments.json()["pullRequestUrl"]
    assert "system: payments" in h.remote_file(payments.json()["branch"], "apps/payments/twin.yaml")


def test_versions_that_read_alike_in_a_branch_name_get_their_own_pull_requests(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    # A vendor chart's versions may hold '+' (an image's may not: that promotion is refused).
    vendor = MANIFEST.replace(
        f"type: service\n  image: registry.example.com/{APP}",
        "type: vendor\n  chart: {repository: https://charts.example.com, name: pay}",
    )
    _seed(gitops, vendor.replace('"1.4.2"', '"1.0.0+rc.1"'))
    h = harness()
    plus = h.promote(application=APP, **{"from": "dev"})
    assert plus.status_code == 200, plus.text
    _seed(gitops, vendor.replace('"1.4.2"', '"1.0.0-rc.1"'))
    h.refresh()
    minus = h.promote(application=APP, **{"from": "dev"})
    assert minus.status_code == 200, minus.text
    assert minus.json()["branch"] != plus.json()["branch"]
    assert minus.json()["pullRequestUrl"] != plus.json()["pullRequestUrl"]
    assert "'1.0.0-rc.1'" in h.remote_file(minus.json()["branch"], PATH)
    assert "'1.0.0+rc.1'" in h.remote_file(plus.json()["branch"], PATH)


# -- who asked ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "requested_by", ["user:default/.", "user:default/...", ".", ":", "user:default/-", "@"]
)
def test_a_requester_git_would_refuse_as_an_author_still_gets_a_commit(
    gitops: GitOpsRepo, harness: HarnessFactory, requested_by: str
) -> None:
    _seed(gitops)
    h = harness()
    response = h.promote(application=APP, **{"from": "dev"}, requestedBy=requested_by)
    assert response.status_code == 200, response.text
    assert gitops.remote_dir is not None
    commit = git.Repo(gitops.remote_dir).commit(response.json()["branch"])
    assert commit.author.name and any(char.isalnum() for char in commit.author.name)
    assert requested_by in commit.message  # who asked, as they were named
    assert h.audit()[0]["actor"] == requested_by


# -- the audit entry comes first ---------------------------------------------------------------

# Run by the remote's post-receive hook: the database fails as a full disk would, after the push.
BREAK_DATABASE = """
import sys, sqlalchemy
engine = sqlalchemy.create_engine(sys.argv[1])
with engine.begin() as db:
    if engine.dialect.name == "sqlite":
        db.exec_driver_sql("ALTER TABLE audit_entries RENAME TO audit_entries_away")
    else:
        db.exec_driver_sql(
            "CREATE FUNCTION full_disk() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            " RAISE EXCEPTION 'could not extend file: No space left on device'"
            " USING ERRCODE = 'disk_full'; END $$"
        )
        db.exec_driver_sql(
            "CREATE TRIGGER full_disk BEFORE UPDATE OR INSERT ON audit_entries"
            " FOR EACH ROW EXECUTE FUNCTION full_disk()"
        )
"""


def _mend_database(url: str) -> None:
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as db:
        if engine.dialect.name == "sqlite":
            db.exec_driver_sql("ALTER TABLE audit_entries_away RENAME TO audit_entries")
        else:
            db.exec_driver_sql("DROP TRIGGER full_disk ON audit_entries")
            db.exec_driver_sql("DROP FUNCTION full_disk()")
    engine.dispose()


def test_a_database_that_fails_after_the_push_leaves_an_entry_naming_the_branch(
    gitops: GitOpsRepo, harness: HarnessFactory, tmp_path: Path
) -> None:
    _seed(gitops)
    h = harness()
    url = h.settings.database.url
    script = tmp_path / "break_database.py"
    script.write_text(BREAK_DATABASE)
    _hook(gitops, "post-receive", f"#!/bin/sh\nexec {sys.executable} {script} '{url}'\n")
    response = h.promote(application=APP, **{"from": "dev"})
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "database_unavailable"
    [pushed] = [branch for branch in h.remote_branches() if branch != "main"]
    _mend_database(url)
    [row] = h.audit()
    assert row["branch"] == pushed and row["outcome"] == "failed"
    assert row["message"].startswith(f"started: pushing branch {pushed}")


def test_a_push_in_flight_at_shutdown_is_killed_and_its_entry_names_the_branch(
    gitops: GitOpsRepo, harness: HarnessFactory, tmp_path: Path
) -> None:
    _seed(gitops)
    h = harness()
    marker = tmp_path / "pushing"
    _hook(gitops, "pre-receive", f"#!/bin/sh\ntouch {marker}\nsleep 60\n")
    answers: list[int] = []
    call = threading.Thread(
        target=lambda: answers.append(h.promote(application=APP, **{"from": "dev"}).status_code)
    )
    call.start()
    _wait_for(marker.exists)
    stopped = time.monotonic()
    h.actions.close()  # what the service does at shutdown
    call.join(timeout=20)
    assert not call.is_alive() and time.monotonic() - stopped < 10
    assert answers == [502]
    time.sleep(0.5)  # a push that survived would land now
    assert set(h.remote_branches()) == {"main"}
    [row] = h.audit()
    assert row["branch"] == STAGING and row["outcome"] == "failed"
    assert "shutting down" in row["message"]


def _wait_for(condition: object, seconds: float = 30) -> None:
    assert callable(condition)
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_every_branch_on_the_remote_is_named_by_an_entry(
    gitops: GitOpsRepo, harness: HarnessFactory
) -> None:
    _seed(gitops)
    h: Harness = harness()
    assert h.double is not None
    h.double.fail("POST", "/repos/{owner}/{repo}/pulls", 500, "Server Error")
    h.promote(application=APP, **{"from": "dev"})
    h.promote(application=APP, **{"from": "staging"})
    named = {row["branch"] for row in h.audit()}
    assert set(h.remote_branches()) - {"main"} <= named
