"""The demo the doc examples run against: ``catalog-service demo`` in a temporary home, for real.

The service runs as its own process on a free port, exactly as ``scripts/demo.sh`` starts it, with
two differences, both for determinism: no poll during the examples (``CATALOG_SOURCE__POLLSECONDS``,
so a refresh in an example is the one that sees the commit), and fixed commit dates (so the same
examples give the same revisions on every run). The examples' commands run in bash, from the
demo's GitOps repository; ``curl`` is :mod:`tests.docs.curl`. In their output, the real port and
demo folder become the doc's ``http://127.0.0.1:8080`` and ``/tmp/catalog-demo``.

Setups (``<!-- example: setup=NAME -->``) are the steps an example needs first, as a reader would do
them: write a manifest, commit, refresh. Each is a small function below.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx

from catalog_service.demo import DEMO_TOKEN
from tests.support.servers import free_port
from tests.support.settings import ROOT

DOC_BASE = "http://127.0.0.1:8080"
DOC_WORKDIR = "/tmp/catalog-demo"
COMMIT_DATE = "2026-11-26T03:00:00+00:00"
STARTUP_SECONDS = 30
COMMAND_SECONDS = 120
DEMO_COMMAND = (sys.executable, "-m", "catalog_service", "demo")
SHELL_PRELUDE = 'curl() { "$DOCS_PYTHON" -m tests.docs.curl "$@"; }\n'


class DemoSession:
    """A home folder, the demo service started in it on first use, and a shell's current folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        self.workdir = self.home / ".cache" / "catalog-service" / "demo"  # the demo's default
        self.cwd = self.workdir / "gitops"
        gitconfig = self.home / ".gitconfig"
        gitconfig.write_text(
            "[user]\n\tname = Demo Developer\n\temail = demo@acme.example\n"
            "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n",
            encoding="utf-8",
        )
        inherited = {
            k: v
            for k, v in os.environ.items()
            if not k.upper().startswith(("CATALOG_", "GIT_", "XDG_"))
        }
        self.env = inherited | {
            "HOME": str(self.home),
            "GIT_CONFIG_GLOBAL": str(gitconfig),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_DATE": COMMIT_DATE,
            "GIT_COMMITTER_DATE": COMMIT_DATE,
            "PYTHONUNBUFFERED": "1",  # stdout and stderr interleave as on a terminal
            "PYTHONPATH": str(ROOT),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "DOCS_PYTHON": sys.executable,
            "B": DOC_BASE,
            "TOKEN": DEMO_TOKEN,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.base = ""

    # the service ------------------------------------------------------------------------------

    def start(self, extra_env: Mapping[str, str] | None = None, *, ready: bool = True) -> None:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.env["DOCS_SERVER"] = self.base
        env = self.env | {"CATALOG_SOURCE__POLLSECONDS": "3600", **(extra_env or {})}
        with (self.root / "server.log").open("ab") as log:
            self.process = subprocess.Popen(
                [*DEMO_COMMAND, "--port", str(port), "--workdir", str(self.workdir)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.home,
            )
        self._wait(lambda r: r.status_code == 200 if ready else r.json()["lastError"] is not None)

    def _wait(self, done: Callable[[httpx.Response], bool]) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"the demo exited:\n{self.log()}")
            try:
                if done(httpx.get(f"{self.base}/readyz", timeout=2)):
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"the demo did not get there in {STARTUP_SECONDS} s:\n{self.log()}")

    def ensure_started(self) -> None:
        if self.process is None:
            self.start()

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def log(self) -> str:
        return (self.root / "server.log").read_text(errors="replace")

    def refresh(self, *, force: bool = False) -> httpx.Response:
        self.ensure_started()
        return httpx.post(
            f"{self.base}/api/v1/refresh",
            params={"force": "true"} if force else None,
            headers={"Authorization": f"Bearer {DEMO_TOKEN}"},
            timeout=60,
        )

    def __enter__(self) -> DemoSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # the shell --------------------------------------------------------------------------------

    def run(self, command: str) -> list[str]:
        """What ``command`` prints in a terminal (stdout and stderr), as the doc would show it."""
        self.ensure_started()  # it makes the demo repository, where commands run
        if command.startswith("cd "):
            return self._cd(command)
        result = subprocess.run(
            ["bash", "-c", SHELL_PRELUDE + command],
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=COMMAND_SECONDS,
            check=False,
        )
        return self.as_shown(result.stdout.decode("utf-8", errors="replace")).splitlines()

    def _cd(self, command: str) -> list[str]:
        result = subprocess.run(
            ["bash", "-c", f"{command} && pwd"],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        self.cwd = Path(result.stdout.strip())
        return []

    def as_shown(self, text: str) -> str:
        if self.base:
            text = text.replace(self.base, DOC_BASE)
        return text.replace(str(self.workdir), DOC_WORKDIR)

    def git(self, *args: str) -> None:
        subprocess.run(
            ["git", *args], cwd=self.repository, env=self.env, check=True, capture_output=True
        )

    @property
    def repository(self) -> Path:
        return self.workdir / "gitops"

    def write(self, relative: str, text: str, *, base: Path | None = None) -> None:
        self.ensure_started()  # before: the demo's first start makes its repository afresh
        target = (base or self.cwd) / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


# -- setups ----------------------------------------------------------------------------------------

Setup = Callable[[DemoSession], None]
SETUPS: dict[str, Setup] = {}


def setup(name: str) -> Callable[[Setup], Setup]:
    def register(function: Setup) -> Setup:
        SETUPS[name] = function
        return function

    return register


# docs/quickstart.md's manifest, as the reader writes it (comments included: they count as lines).
REFUND_WORKER = """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: refund-worker              # unique, lowercase, digits and '-'
  system: payments                 # the group of applications it ships with
  owner: team-payments             # your Backstage group
  description: Processes refund requests from the payments API
spec:
  type: service                    # service | vendor (Helm chart) | etl (scheduled job)
  source: {repository: acme/refund-worker}
  image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/refund-worker   # no tag here
  dependsOn: [ledger-api]          # other applications, by name
  environments:
    dev: {version: "0.1.0"}        # the image tag running there; quote it
"""
REFUND_WORKER_PATH = "apps/payments/refund-worker.yaml"
_NO_IMAGE = REFUND_WORKER.replace(
    "  image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/refund-worker   # no tag here\n", ""
)
# Its first try (quickstart step 3): a typo, an unquoted version, an unknown environment, no image.
FIRST_TRY = _NO_IMAGE.replace("  description:", "  descripton:").replace(
    '    dev: {version: "0.1.0"}        # the image tag running there; quote it\n',
    '    dev: {version: 0.1}\n    qa: {version: "0.1.0"}\n',
)
# The structure fixed: the rules between fields are checked next.
SECOND_TRY = FIRST_TRY.replace("  descripton:", "  description:").replace(
    "{version: 0.1}", '{version: "0.1"}'
)


@setup("refund-worker")
def _refund_worker(session: DemoSession) -> None:
    session.write(REFUND_WORKER_PATH, REFUND_WORKER, base=session.repository)


@setup("refund-worker-first-try")
def _first_try(session: DemoSession) -> None:
    session.write(REFUND_WORKER_PATH, FIRST_TRY, base=session.repository)


@setup("refund-worker-second-try")
def _second_try(session: DemoSession) -> None:
    session.write(REFUND_WORKER_PATH, SECOND_TRY, base=session.repository)


@setup("refund-worker-typo-merged")
def _typo_merged(session: DemoSession) -> None:
    """A manifest with one typo reached the branch, and the service has read it."""
    text = REFUND_WORKER.replace("  description:", "  descripton:")
    session.write(REFUND_WORKER_PATH, text, base=session.repository)
    session.git("add", REFUND_WORKER_PATH)
    session.git("commit", "-qm", "Add refund-worker")
    assert session.refresh().json()["status"] == "applied"


@setup("refund-worker-refunds-db")
def _refunds_db(session: DemoSession) -> None:
    """``refund-worker.yaml`` in the current folder, depending on an application nobody declares."""
    text = REFUND_WORKER.replace("dependsOn: [ledger-api]", "dependsOn: [ledger-api, refunds-db]")
    session.write("refund-worker.yaml", text)


@setup("remove-most")
def _remove_most(session: DemoSession) -> None:
    """A commit that deletes three of the four systems' folders (a bad merge, or intended)."""
    session.ensure_started()
    session.git("rm", "-rq", "apps/data-platform", "apps/payments", "apps/storefront")
    session.git("commit", "-qm", "Retire three systems")


@setup("fresh")
def _fresh(session: DemoSession) -> None:
    """The demo as it starts the first time."""
    session.stop()
    shutil.rmtree(session.workdir, ignore_errors=True)
    session.cwd = session.repository
    session.start()


@setup("source-gone")
def _source_gone(session: DemoSession) -> None:
    """The repository the service fetches disappears after the service read it."""
    session.ensure_started()
    session.repository.rename(session.repository.with_name("gitops.moved"))
    session.cwd = session.workdir
    assert session.refresh().status_code == 502


@setup("wrong-branch")
def _wrong_branch(session: DemoSession) -> None:
    """A fresh start configured with a branch the repository does not have."""
    session.stop()
    shutil.rmtree(session.workdir, ignore_errors=True)
    session.start({"CATALOG_SOURCE__BRANCH": "release"}, ready=False)


@setup("catalog-yaml")
def _catalog_yaml(session: DemoSession) -> None:
    """``catalog.yaml`` in the current folder: a configuration reading the demo repository."""
    session.ensure_started()  # makes the demo repository
    session.write("catalog.yaml", f"source:\n  url: {session.repository}\n")
