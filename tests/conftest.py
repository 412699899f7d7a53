"""Shared fixtures: real git repositories in temporary folders, settings pointing at them, and a
git smart-HTTP server (``git http-backend`` behind a tiny WSGI wrapper) for network remotes.

This is the one place such helpers live; test modules import the classes from here for their
annotations and take the instances as fixtures.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIEnvironment

import git
import pytest
import yaml

from catalog_service.settings import Settings, load_settings

# The GitHub REST double's fixtures (github_double, github_app_key).
pytest_plugins = ("tests.support.github_fixtures",)

TEST_TOKEN = "test-token-0123456789"
ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


# -- manifests ----------------------------------------------------------------------------------


def application_yaml(
    name: str,
    *,
    system: str = "shop",
    owner: str = "team-shop",
    description: str | None = None,
    depends_on: Sequence[str] = (),
    components: Sequence[tuple[str, str]] = (),
    version: str = "1.0.0",
) -> str:
    """A valid ``Application`` manifest of type service."""
    lines = [
        "apiVersion: idp/v1alpha1",
        "kind: Application",
        "metadata:",
        f"  name: {name}",
        f"  system: {system}",
        f"  owner: {owner}",
    ]
    if description is not None:
        lines.append(f"  description: {description}")
    lines += [
        "spec:",
        "  type: service",
        f"  source: {{repository: acme/{name}}}",
        f"  image: registry.example.com/{name}",
    ]
    if components:
        lines.append("  components:")
        lines += [f"    - {{name: {c_name}, type: {c_type}}}" for c_name, c_type in components]
    if depends_on:
        lines.append(f"  dependsOn: [{', '.join(depends_on)}]")
    lines += [
        "  environments:",
        f'    dev: {{version: "{version}"}}',
        f'    prod: {{version: "{version}"}}',
    ]
    return "\n".join(lines) + "\n"


def system_yaml(name: str, *, owner: str = "team-shop", description: str = "A system") -> str:
    return (
        "apiVersion: idp/v1alpha1\nkind: System\n"
        f"metadata: {{name: {name}, owner: {owner}, description: {description}}}\n"
    )


# -- git repositories ---------------------------------------------------------------------------


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


# -- settings -----------------------------------------------------------------------------------


def deep_merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class SettingsFactory:
    """Settings pointing at a :class:`GitOpsRepo`, the mirror inside the test's tmp_path.

    ``factory(source={"roots": ["x"]})`` merges the overrides into the defaults.
    """

    def __init__(self, gitops: GitOpsRepo, tmp_path: Path) -> None:
        self.gitops = gitops
        self.tmp_path = tmp_path

    def data(self, **overrides: Any) -> dict[str, Any]:
        defaults: dict[str, Any] = {
            "source": {
                "url": self.gitops.url,
                "branch": "main",
                "roots": ["apps"],
                "pollSeconds": 60,
                "cacheDir": str(self.tmp_path / "mirror"),
            },
            "environments": ["dev", "staging", "prod"],
            "links": [
                {"title": "Argo CD ({environment})", "url": "https://argocd.example.com/{name}"}
            ],
            "auth": {"tokens": [TEST_TOKEN]},
            "database": {"url": f"sqlite:///{self.tmp_path / 'catalog.db'}"},
        }
        return deep_merge(defaults, overrides)

    def __call__(self, **overrides: Any) -> Settings:
        return load_settings(None, **self.data(**overrides))

    def write(self, path: Path | None = None, **overrides: Any) -> Path:
        """The same settings as a configuration file."""
        path = path or self.tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(self.data(**overrides), sort_keys=False), encoding="utf-8")
        return path


# -- git over HTTP ------------------------------------------------------------------------------


def free_port() -> int:
    """A port nothing listens on (just now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def git_http_backend_app(
    project_root: Path,
) -> Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]:
    """A WSGI application that runs ``git http-backend`` as a CGI program for each request."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        env = {key: value for key, value in environ.items() if isinstance(value, str)}
        env |= {
            "GIT_PROJECT_ROOT": str(project_root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "CONTENT_LENGTH": str(len(body)),
        }
        if "HTTP_GIT_PROTOCOL" in environ:
            env["GIT_PROTOCOL"] = environ["HTTP_GIT_PROTOCOL"]
        result = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
        )
        head, _, payload = result.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = result.stdout.partition(b"\n\n")
        status = "200 OK"
        headers = []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = value.strip()
            elif name:
                headers.append((name.strip(), value.strip()))
        start_response(status, headers)
        return [payload]

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class GitHttpServer:
    """``git http-backend`` serving every repository under ``project_root`` on 127.0.0.1."""

    def __init__(self, project_root: Path) -> None:
        self.server: WSGIServer = make_server(
            "127.0.0.1", 0, git_http_backend_app(project_root), handler_class=_QuietHandler
        )
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> GitHttpServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class HangingServer:
    """A TCP server on 127.0.0.1 that accepts connections and never answers: a stuck remote.

    ``closed`` counts the connections whose client went away (e.g. a killed git)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.accepted = 0
        self.closed = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/gitops.git"

    def _serve(self) -> None:
        self.sock.settimeout(0.05)
        connections: list[socket.socket] = []
        while not self._stop.is_set():
            try:
                connection, _ = self.sock.accept()
                connection.setblocking(False)
                connections.append(connection)
                self.accepted += 1
            except TimeoutError:
                pass
            for connection in list(connections):
                try:
                    if connection.recv(65536) == b"":  # the client closed it
                        connections.remove(connection)
                        connection.close()
                        self.closed += 1
                except BlockingIOError:
                    pass
                except OSError:
                    connections.remove(connection)
                    self.closed += 1
        for connection in connections:
            connection.close()

    def __enter__(self) -> HangingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


def file_hashes(root: Path) -> dict[str, str]:
    """Every file and link under ``root`` (relative path -> content hash, mode), folders too."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        relative = str(path.relative_to(root))
        stat = path.lstat()
        if path.is_symlink():
            found[relative] = f"link {path.readlink()}"
        elif path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            found[relative] = f"{digest} {stat.st_mode:o} {stat.st_mtime_ns}"
        else:
            found[relative] = f"dir {stat.st_mode:o}"
    return found


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No CATALOG_* variable, user git configuration or ~/.cache leaks into (or out of) a test."""
    for name in list(os.environ):
        if name.upper().startswith("CATALOG_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Test Developer\n\temail = dev@example.com\n"
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.fixture
def gitops(tmp_path: Path) -> GitOpsRepo:
    """An empty GitOps repository with a bare remote."""
    return GitOpsRepo(tmp_path / "gitops")


@pytest.fixture
def make_settings(gitops: GitOpsRepo, tmp_path: Path) -> SettingsFactory:
    return SettingsFactory(gitops, tmp_path)


@pytest.fixture
def hanging_server() -> Iterator[HangingServer]:
    with HangingServer() as server:
        yield server


@pytest.fixture
def git_http_server(gitops: GitOpsRepo) -> Iterator[GitHttpServer]:
    """Serves ``gitops``' bare remote at ``{base_url}/remote.git``."""
    with GitHttpServer(gitops.root) as server:
        yield server
