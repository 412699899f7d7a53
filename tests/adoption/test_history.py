"""The adoption history walked from a real repository whose commits land on known dates."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from catalog_service.adoption.history import AdoptionHistory
from catalog_service.db import Database
from tests.adoption.support import CONTEXT, commit_at, fresh_walk, mirror_of, rows, vendor_yaml
from tests.support.repos import GitOpsRepo

BROKEN = "apiVersion: idp/v1alpha1\nkind: Application\nmetadata: {name: b, system: shop}\n"

# The series the history below gives, as (day, type, system, count) rows.
UNTIL_MARCH_7 = [
    ("2026-03-02", "service", "pay", 1),
    ("2026-03-02", "service", "shop", 2),
    ("2026-03-02", "vendor", "identity", 1),
    ("2026-03-03", "service", "pay", 1),
    ("2026-03-03", "service", "shop", 1),
    ("2026-03-03", "vendor", "identity", 1),
    ("2026-03-05", "service", "pay", 1),
    ("2026-03-05", "service", "shop", 2),
    ("2026-03-05", "vendor", "identity", 1),
    ("2026-03-06", "service", "pay", 1),
    ("2026-03-06", "service", "shop", 2),
    ("2026-03-06", "vendor", "identity", 1),
    ("2026-03-07", "service", "pay", 1),
    ("2026-03-07", "service", "shop", 3),
]


def build_history(gitops: GitOpsRepo) -> dict[str, str]:
    """Commits that add, break, fix and remove manifests; answers some of them by name."""
    for name, system in (("a", "shop"), ("b", "shop"), ("c", "pay")):
        gitops.add_application(name, system=system)
    gitops.write("README.md", "not a manifest\n")
    commit_at(gitops, "2026-03-02T09:00:00Z")
    gitops.write("apps/identity/k.yaml", vendor_yaml("k", system="identity"))
    # 01:30 at UTC+2 is still March 2nd in UTC: the day is the UTC day.
    commit_at(gitops, "2026-03-03T01:30:00+02:00")
    gitops.write("apps/shop/b.yaml", BROKEN)  # required fields missing: not valid
    commit_at(gitops, "2026-03-03T10:00:00Z")
    gitops.add_application("b", system="shop")  # fixed
    gitops.delete("apps/pay/c.yaml")
    # The same name again, in a later path: rejected by the rule across files, not counted.
    gitops.add_application("a", system="other", path="apps/zzz/a-copy.yaml")
    commit_at(gitops, "2026-03-05T08:00:00Z")
    gitops.add_application("d", system="pay")
    c5 = commit_at(gitops, "2026-03-05T18:00:00Z")
    # A feature branch merged with a merge commit: its changes count on the merge's day.
    gitops.repo.git.checkout("-b", "feature")
    gitops.add_application("e", system="shop")
    commit_at(gitops, "2026-03-06T07:00:00Z")
    gitops.repo.git.checkout("main")
    gitops.add_application("a", system="shop", version="2.0.0")
    commit_at(gitops, "2026-03-06T09:00:00Z")
    when = "2026-03-07T12:00:00Z"
    gitops.repo.git.merge(
        "--no-ff", "-m", "Merge feature", "feature", env={"GIT_COMMITTER_DATE": when}
    )
    # Dated before its parent (a skewed clock): counts on its parent's day, March 7th.
    gitops.delete("apps/identity/k.yaml")
    commit_at(gitops, "2026-03-04T12:00:00Z")
    gitops.push()
    return {"c5": c5}


def test_the_walk_records_each_days_valid_manifests_by_type_and_system(
    gitops: GitOpsRepo, tmp_path: Path, database: Database
) -> None:
    build_history(gitops)
    source = mirror_of(gitops, tmp_path / "mirror")
    history = AdoptionHistory(source, database, CONTEXT)
    head = source.fetch()
    outcome = history.update(head)
    assert (outcome.mode, outcome.commits) == ("walked", 8)
    assert rows(database) == UNTIL_MARCH_7
    assert history.update(head).mode == "unchanged"
    assert rows(database) == UNTIL_MARCH_7

    # A new commit only adds its day; a restarted service goes on from the remembered commit.
    gitops.add_application("f", system="pay")
    commit_at(gitops, "2026-03-09T10:00:00Z")
    gitops.push()
    source.close()
    source = mirror_of(gitops, tmp_path / "mirror")
    restarted = AdoptionHistory(source, database, CONTEXT)
    outcome = restarted.update(source.fetch())
    assert (outcome.mode, outcome.commits) == ("appended", 1)
    assert rows(database) == [
        *UNTIL_MARCH_7,
        ("2026-03-09", "service", "pay", 2),
        ("2026-03-09", "service", "shop", 3),
    ]
    source.close()


def test_a_force_push_rewalks_from_the_fork_point_as_a_fresh_walk_would(
    gitops: GitOpsRepo, tmp_path: Path, database: Database
) -> None:
    c5 = build_history(gitops)["c5"]
    source = mirror_of(gitops, tmp_path / "mirror")
    history = AdoptionHistory(source, database, CONTEXT)
    history.update(source.fetch())

    gitops.rewrite_history(c5)
    gitops.delete("apps/shop/a.yaml")
    n1 = commit_at(gitops, "2026-03-05T20:00:00Z")
    gitops.write("apps/tools/g.yaml", vendor_yaml("g", system="tools"))
    commit_at(gitops, "2026-03-08T10:00:00Z")
    gitops.push(force=True)
    outcome = history.update(source.fetch())
    assert (outcome.mode, outcome.commits) == ("rewalked", 2)
    # With a.yaml gone, the copy of `a` in another system is no longer a duplicate: it counts.
    expected = [
        *UNTIL_MARCH_7[:6],
        ("2026-03-05", "service", "other", 1),
        ("2026-03-05", "service", "pay", 1),
        ("2026-03-05", "service", "shop", 1),
        ("2026-03-05", "vendor", "identity", 1),
        ("2026-03-08", "service", "other", 1),
        ("2026-03-08", "service", "pay", 1),
        ("2026-03-08", "service", "shop", 1),
        ("2026-03-08", "vendor", "identity", 1),
        ("2026-03-08", "vendor", "tools", 1),
    ]
    assert rows(database) == expected
    fresh_walk(gitops, tmp_path / "fresh", database)
    assert rows(database) == expected

    # The branch moved back to an earlier commit: the days after it are gone.
    history = AdoptionHistory(source, database, CONTEXT)
    history.update(source.fetch())
    gitops.rewrite_history(n1)
    gitops.push(force=True)
    assert history.update(source.fetch()).mode == "rewalked"
    assert rows(database) == expected[:10]
    fresh_walk(gitops, tmp_path / "fresh-again", database)
    assert rows(database) == expected[:10]
    source.close()


def test_a_remembered_commit_the_mirror_no_longer_has_means_a_whole_walk(
    gitops: GitOpsRepo, tmp_path: Path, database: Database
) -> None:
    c5 = build_history(gitops)["c5"]
    source = mirror_of(gitops, tmp_path / "mirror")
    AdoptionHistory(source, database, CONTEXT).update(source.fetch())
    source.close()

    gitops.rewrite_history(c5)
    gitops.push(force=True)
    # A new mirror (cloned anew) holds only what the branch reaches now.
    source = mirror_of(gitops, tmp_path / "new-mirror")
    outcome = AdoptionHistory(source, database, CONTEXT).update(source.fetch())
    assert outcome.mode == "walked"
    assert rows(database) == UNTIL_MARCH_7[:9]
    source.close()


def test_other_rules_walk_the_history_again(
    gitops: GitOpsRepo, tmp_path: Path, database: Database
) -> None:
    build_history(gitops)
    source = mirror_of(gitops, tmp_path / "mirror")
    AdoptionHistory(source, database, CONTEXT).update(source.fetch())
    # Without staging among the environments, nothing changes here; the walk is redone anyway.
    narrower = type(CONTEXT)(("dev", "prod"), (), "file:/gitops/")
    outcome = AdoptionHistory(source, database, narrower).update(source.fetch())
    assert outcome.mode == "walked"
    assert rows(database) == UNTIL_MARCH_7
    source.close()


def _walk(gitops: GitOpsRepo, tmp_path: Path, database: Database) -> None:
    gitops.push()
    source = mirror_of(gitops, tmp_path / "mirror")
    try:
        assert AdoptionHistory(source, database, CONTEXT).update(source.fetch()).mode == "walked"
    finally:
        source.close()


def test_one_commit_dated_2100_does_not_move_the_ones_after_it(
    gitops: GitOpsRepo, tmp_path: Path, database: Database
) -> None:
    gitops.add_application("a", system="shop")
    commit_at(gitops, "2026-03-02T09:00:00Z")
    gitops.add_application("b", system="shop")
    commit_at(gitops, "@4102444800 +0000")  # 2100-01-01: a clock far ahead
    gitops.add_application("c", system="shop")
    commit_at(gitops, "2026-03-04T09:00:00Z")
    gitops.add_application("d", system="pay")
    commit_at(gitops, "2026-03-05T09:00:00Z")
    gitops.add_application("e", system="pay")
    commit_at(gitops, "@4102444800 +0000")  # the last commit: no later than the walk's day
    _walk(gitops, tmp_path, database)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert rows(database) == [
        ("2026-03-02", "service", "shop", 1),
        ("2026-03-04", "service", "shop", 3),  # b counts on its child's day
        ("2026-03-05", "service", "pay", 1),
        ("2026-03-05", "service", "shop", 3),
        (today, "service", "pay", 2),
        (today, "service", "shop", 3),
    ]


def test_a_commit_dated_in_year_11476_counts_on_its_parents_day_and_is_logged(
    gitops: GitOpsRepo, tmp_path: Path, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    gitops.add_application("a", system="shop")
    commit_at(gitops, "2026-03-02T09:00:00Z")
    gitops.add_application("b", system="shop")
    odd = commit_at(gitops, "@300000000000 +0000")  # git accepts it: 11476-08-15
    gitops.add_application("c", system="shop")
    commit_at(gitops, "2026-03-04T09:00:00Z")
    with caplog.at_level(logging.WARNING, "catalog_service.adoption"):
        _walk(gitops, tmp_path, database)
    assert rows(database) == [
        ("2026-03-02", "service", "shop", 2),
        ("2026-03-04", "service", "shop", 3),
    ]
    assert f"commit {odd[:12]} has no date in years 1 to 9999" in caplog.text
