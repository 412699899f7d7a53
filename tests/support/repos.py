"""Real git repositories in temporary folders: a GitOps work repository and its bare remote."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import git

from tests.support.manifests import application_yaml


def _git_identity(repo: git.Repo) -> None:
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test Developer")
        config.set_value("user", "email", "dev@example.com")
        config.set_value("commit", "gpgsign", "false")


class GitOpsRepo:
    """A GitOps repository: a work repository where commits are made, and (by default) a bare
    ``remote`` it pushes to, which is what the service is pointed at."""

    def __init__(self, root: Path, *, bare_remote: bool = True) -> None:
        self.root = root
        self.work_dir = root / "work"
        self.repo = git.Repo.init(self.work_dir, initial_branch="main")
        _git_identity(self.repo)
        self.remote_dir: Path | None = None
        if bare_remote:
            self.remote_dir = root / "remote.git"
            git.Repo.init(self.remote_dir, bare=True, initial_branch="main")
            self.repo.create_remote("origin", str(self.remote_dir))

    @property
    def url(self) -> str:
        """What the service fetches: the bare remote, or the work repository itself."""
        return str(self.remote_dir or self.work_dir)

    @property
    def head(self) -> str:
        return self.repo.head.commit.hexsha

    # files ----------------------------------------------------------------------------------

    def path(self, relative: str) -> Path:
        return self.work_dir / relative

    def write(self, relative: str, content: str | bytes) -> None:
        target = self.path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink():
            target.unlink()
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")

    def delete(self, relative: str) -> None:
        target = self.path(relative)
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink()

    def rename(self, old: str, new: str) -> None:
        self.path(new).parent.mkdir(parents=True, exist_ok=True)
        self.repo.git.mv(old, new)

    def symlink(self, relative: str, target: str) -> None:
        link = self.path(relative)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target)

    def add_application(self, name: str, *, path: str | None = None, **fields: Any) -> str:
        """Write an application manifest (``apps/<system>/<name>.yaml``); answer its path."""
        system = fields.get("system", "shop")
        relative = path or f"apps/{system}/{name}.yaml"
        self.write(relative, application_yaml(name, **fields))
        return relative

    # history --------------------------------------------------------------------------------

    def commit(self, message: str = "Change manifests", *, push: bool = True) -> str:
        """Commit everything in the work tree (and push it to the remote); answer the commit."""
        self.repo.git.add("--all")
        self.repo.git.commit("--allow-empty", "--no-verify", "--message", message)
        if push:
            self.push()
        return self.head

    def push(self, *, force: bool = False) -> None:
        if self.remote_dir is None:
            return
        args = ["--force"] if force else []
        self.repo.git.push(*args, "origin", "main:main")

    def rewrite_history(self, to: str) -> None:
        """Move the branch back to ``to`` (the commits after it are dropped from history)."""
        self.repo.git.reset("--hard", to)

    def delete_branch_on_remote(self, branch: str = "main") -> None:
        assert self.remote_dir is not None
        git.Repo(self.remote_dir).git.update_ref("-d", f"refs/heads/{branch}")
