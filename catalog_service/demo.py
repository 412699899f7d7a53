"""The demo: a GitOps repository of a small company, shipped with the project, made a real git
repository on first start so that the service reads it exactly as it would read GitHub."""

from __future__ import annotations

import shutil
from pathlib import Path

from catalog_service.settings import Settings, load_settings
from catalog_service.sources.mirror import MARKER
from catalog_service.sources.process import GitRunner, hardened_env

DEMO_TOKEN = "demo-token-0123456789"
_AUTHOR = {"user.name": "Demo Developer", "user.email": "demo@acme.example"}


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
        _commit_all(repository, "Demo GitOps repository")
    mirror = workdir / "mirror"
    if (mirror / "HEAD").is_file() and not (mirror / MARKER).exists():
        # The demo's own folder, where an earlier version kept its mirror without the marker.
        shutil.rmtree(mirror)
    settings = load_settings(examples / "demo-config.yaml")
    source = settings.source.model_copy(update={"url": str(repository), "cacheDir": mirror})
    database = settings.database.model_copy(update={"url": f"sqlite:///{workdir / 'catalog.db'}"})
    return settings.model_copy(update={"source": source, "database": database})


def _commit_all(repository: Path, message: str) -> None:
    """``repository`` a git repository on ``main`` whose one commit holds every file in it."""
    runner = GitRunner(60, hardened_env(repository.parent))
    try:
        runner.run(["init", "--quiet", "--initial-branch=main", str(repository)])
        for key, value in _AUTHOR.items():  # the repository's own: a visitor's commits work too
            runner.run(["config", key, value], cwd=repository)
        runner.run(["add", "--all"], cwd=repository)
        runner.run(["commit", "--quiet", "--no-gpg-sign", "--message", message], cwd=repository)
    finally:
        runner.close()
