"""The import contract (docs/architecture.md §2): which package may import what, read from
the source, and which libraries each command line actually loads, read from a real process."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import catalog_service
from tests.support.manifests import application_yaml
from tests.support.repos import GitOpsRepo
from tests.support.settings import SettingsFactory

PACKAGE = Path(catalog_service.__file__).parent
ROOT = PACKAGE.parent

# Libraries that make a start slow: the web stack, the database, GitHub, the dashboard.
HEAVY = {
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "github",
    "git",
    "httpx",
    "prometheus_client",
    "jinja2",
    "ruamel",
    "swagger_ui",
}
DOMAIN_LIBRARIES = {"pydantic", "pydantic_core", "yaml"}
KERNEL = {"catalog_service", "catalog_service.errors", "catalog_service.vocabulary"}
# The webhooks take the whole Services object until they take explicit dependencies (issue 13).
WIRING_IMPORTERS = {"cli.py", "http/"}


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, also inside functions and ``if TYPE_CHECKING``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def modules() -> list[tuple[str, Path]]:
    found = [(path.relative_to(PACKAGE).as_posix(), path) for path in PACKAGE.rglob("*.py")]
    assert len(found) > 50
    return sorted(found)


def test_the_domain_imports_only_the_standard_library_pydantic_and_yaml() -> None:
    for relative, path in modules():
        if not relative.startswith("domain/"):
            continue
        for name in imports_of(path):
            top = name.split(".")[0]
            allowed = (
                top in sys.stdlib_module_names
                or top in DOMAIN_LIBRARIES
                or name.startswith("catalog_service.domain")
                or name in KERNEL
            )
            assert allowed, f"catalog_service/{relative} imports {name}"


def test_only_the_http_layer_imports_fastapi_or_starlette() -> None:
    for relative, path in modules():
        if relative.startswith("http/"):
            continue
        for name in imports_of(path):
            top = name.split(".")[0]
            assert top not in {"fastapi", "starlette"}, f"catalog_service/{relative} imports {name}"


def test_only_the_app_and_the_command_line_import_the_wiring() -> None:
    importers = {
        relative
        for relative, path in modules()
        if any(name == "catalog_service.service" for name in imports_of(path))
    }
    assert "http/app.py" in importers  # the contract is about something real
    for relative in importers:
        assert any(relative.startswith(prefix) for prefix in WIRING_IMPORTERS), (
            f"catalog_service/{relative} imports the wiring (catalog_service.service): take the"
            " parts it needs as arguments instead"
        )


PROBE = """
import atexit, json, os, sys
def listing():
    with open(os.environ["MODULES_FILE"], "w") as file:
        json.dump(sorted(sys.modules), file)
atexit.register(listing)
from catalog_service.cli import main
sys.exit(main(sys.argv[1:]))
"""


def loaded_by(tmp_path: Path, *argv: str) -> set[str]:
    """The modules a real ``catalog-service ARGV`` process holds when it exits."""
    listing = tmp_path / "modules.json"
    env = {**os.environ, "MODULES_FILE": str(listing)}
    env.pop("CATALOG_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], env=env, capture_output=True, cwd=tmp_path
    )
    assert done.returncode in (0, 1), done.stderr.decode()
    return set(json.loads(listing.read_text()))


def heavy(modules: set[str]) -> set[str]:
    return {name for name in modules if name.split(".")[0] in HEAVY}


def ours(modules: set[str]) -> set[str]:
    return {name for name in modules if name.split(".")[0] == "catalog_service"}


def test_help_loads_no_web_database_or_github_library(tmp_path: Path) -> None:
    loaded = loaded_by(tmp_path, "--help")
    assert heavy(loaded) == set()
    assert {"pydantic", "yaml"}.isdisjoint(loaded)
    assert ours(loaded) <= {"catalog_service", "catalog_service.cli", "catalog_service.errors"}


# The command and the one settings object, with the models of its render:, argocd: and actions'
# sections (pydantic only: the Argo CD client, httpx and the actions themselves are not loaded).
SETTINGS_MODULES = {
    "catalog_service.cli",
    "catalog_service.settings",
    "catalog_service.actions",
    "catalog_service.actions.settings",
    "catalog_service.render",
    "catalog_service.render.settings",
    "catalog_service.argocd",
    "catalog_service.argocd.settings",
}


def test_validate_loads_only_the_domain(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(application_yaml("web"), encoding="utf-8")
    loaded = loaded_by(tmp_path, "validate", "web.yaml")
    assert heavy(loaded) == set()
    # The domain, and the settings for --config (the environment names) with the entities'
    # repository pages: nothing of the ingest, the database or the service.
    allowed = ("catalog_service.domain", "catalog_service.sources")
    extra = {
        name
        for name in ours(loaded) - KERNEL
        if not name.startswith(allowed) and name not in SETTINGS_MODULES
    }
    assert extra == set()
    assert ours(loaded) & {"catalog_service.sources.git", "catalog_service.ingest"} == set()


def test_export_loads_only_what_ingest_needs(
    tmp_path: Path, gitops: GitOpsRepo, make_settings: SettingsFactory
) -> None:
    gitops.add_application("web")
    gitops.commit()
    config = make_settings.write()
    loaded = loaded_by(tmp_path, "export", "--config", str(config), "--format", "json")
    assert heavy(loaded) == set()
    allowed = (
        "catalog_service.domain",
        "catalog_service.sources",
        "catalog_service.ingest",
        "catalog_service.snapshot",
    )
    extra = {
        name
        for name in ours(loaded) - KERNEL
        if not name.startswith(allowed) and name not in SETTINGS_MODULES
    }
    assert extra == set()
    assert "catalog_service.ingest.ingestor" in loaded  # it did ingest
