"""The demo: the shipped GitOps repository becomes a real git repository once, then is reused."""

from __future__ import annotations

from pathlib import Path

import git
import pytest

from catalog_service.demo import examples_dir, prepare_demo
from catalog_service.errors import ConfigurationError
from catalog_service.service import build_ingestor


def test_the_demo_repository_is_made_once_then_kept(tmp_path: Path) -> None:
    settings = prepare_demo(tmp_path)
    repository = git.Repo(settings.source.url)
    assert settings.source.cacheDir == tmp_path / "mirror"
    assert settings.auth.tokens and settings.environments == ["dev", "staging", "prod"]
    shipped = sorted(
        p.relative_to(examples_dir() / "gitops")
        for p in (examples_dir() / "gitops").rglob("*.yaml")
    )
    committed = sorted(
        Path(str(item.path))
        for item in repository.head.commit.tree.traverse()
        if isinstance(item, git.Blob) and str(item.path).endswith(".yaml")
    )
    assert committed == shipped

    # A developer's own commit in the demo repository survives a restart...
    (Path(settings.source.url) / "apps" / "note.yaml").write_text("# mine\n")
    repository.git.add("--all")
    repository.git.commit("-m", "mine")
    assert git.Repo(prepare_demo(tmp_path).source.url).head.commit.message == "mine\n"

    # ...and --reset starts over from the shipped files.
    reset = git.Repo(prepare_demo(tmp_path, reset=True).source.url)
    assert reset.head.commit.message.strip() == "Demo GitOps repository"
    assert len(list(reset.iter_commits())) == 1
    assert not (Path(reset.working_tree_dir or "") / "apps" / "note.yaml").exists()


def test_the_demo_replaces_the_unmarked_mirror_an_earlier_version_left_in_its_folder(
    tmp_path: Path,
) -> None:
    old = tmp_path / "mirror"
    git.Repo.init(old, bare=True)  # how an earlier version kept the demo's mirror: no marker
    settings = prepare_demo(tmp_path)
    ingestor = build_ingestor(settings)
    try:
        assert ingestor.refresh().status == "applied"
    finally:
        ingestor.close()
    assert (old / "CATALOG-SERVICE-MIRROR").is_file()


def test_the_demo_keeps_its_hands_off_a_folder_that_is_not_a_mirror(tmp_path: Path) -> None:
    notes = tmp_path / "mirror" / "notes.txt"
    notes.parent.mkdir()
    notes.write_text("mine")
    settings = prepare_demo(tmp_path)
    with pytest.raises(ConfigurationError):
        build_ingestor(settings)
    assert notes.read_text() == "mine"
