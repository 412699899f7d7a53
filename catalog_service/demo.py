"""The demo: a GitOps repository of a small company, shipped with the project, made a real git
repository on first start so that the service reads it exactly as it would read GitHub."""

from __future__ import annotations

import shutil
from pathlib import Path

import git

from catalog_service.settings import Settings, load_settings
from catalog_service.sources.mirror import MARKER

DEMO_TOKEN = "demo-token-0123456789"


def examples_dir() -> Path:
    """``examples/`` of a source checkout, or its copy inside an installed wheel."""
    package = Path(__file__).resolve().parent
    for candidate in (package.parent / "examples", package / "_examples"):
        if (candidate / "gitops").is_dir():
            return candidate
    raise FileNotFoundError("the demo GitOps repository (examples/gitops) is not installed")


def prepare_demo(workdir: Path, reset: bool = False) -> Settings:
    """Make ``workdir/gitops`` a git repository of the demo manifests (once); answer settings."""
    examples = examples_dir()
    repository = workdir / "gitops"
    if reset:
        shutil.rmtree(workdir, ignore_errors=True)
    if not (repository / ".git").is_dir():
        shutil.rmtree(repository, ignore_errors=True)
        shutil.copytree(examples / "gitops", repository)
        repo = git.Repo.init(repository, initial_branch="main")
        with repo.config_writer() as config:
            config.set_value("user", "name", "Demo Developer")
            config.set_value("user", "email", "demo@acme.example")
        repo.git.add("--all")
        repo.git.commit("--message", "Demo GitOps repository", "--no-gpg-sign")
    mirror = workdir / "mirror"
    if (mirror / "HEAD").is_file() and not (mirror / MARKER).exists():
        # The demo's own folder, where an earlier version kept its mirror without the marker.
        shutil.rmtree(mirror)
    settings = load_settings(examples / "demo-config.yaml")
    source = settings.source.model_copy(update={"url": str(repository), "cacheDir": mirror})
    database = settings.database.model_copy(update={"url": f"sqlite:///{workdir / 'catalog.db'}"})
    return settings.model_copy(update={"source": source, "database": database})
