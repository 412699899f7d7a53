"""Settings pointing at the test repositories, and the paths of the project."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from catalog_service.settings import Settings, load_settings
from tests.support.repos import GitOpsRepo

TEST_TOKEN = "test-token-0123456789"
ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLES = ROOT / "examples"


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
