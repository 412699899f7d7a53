"""Every GitHub Actions workflow the project ships passes actionlint (which also flags actions
still on the deprecated node20 runtime), and the new-application skeleton calls the platform's
build with exactly its inputs."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ACTIONLINT = Path(shutil.which("actionlint") or ROOT / ".venv" / "bin" / "actionlint")
BUILD = ROOT / "platform-workflows" / ".github" / "workflows" / "build.yaml"
SKELETON_CI = (
    ROOT / "templates" / "new-application" / "skeleton" / ".github" / "workflows" / "ci.yaml"
)
SHIPPED = [
    *sorted((ROOT / "platform-workflows" / ".github" / "workflows").glob("*.y*ml")),
    *sorted((ROOT / "examples" / "gitops" / ".github" / "workflows").glob("*.y*ml")),
]
SKELETON_VALUES = {
    "name": "refund-api",
    "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/refund-api",
    "workflowsOwner": "example-org",
}


def actionlint(*paths: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ACTIONLINT), "-no-color", *map(str, paths)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def scaffolded(text: str) -> str:
    """The skeleton as the scaffolder's fetch:template writes it."""
    return re.sub(r"\$\{\{ values\.(\w+) \}\}", lambda match: SKELETON_VALUES[match.group(1)], text)


def workflow(text: str) -> dict[str, Any]:
    # PyYAML reads the key `on` as True (YAML 1.1); GitHub reads it as "on".
    data: dict[Any, Any] = yaml.safe_load(text)
    if True in data:
        data["on"] = data.pop(True)
    return data


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_each_shipped_workflow_passes_actionlint(path: Path) -> None:
    result = actionlint(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_list_of_shipped_workflows() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in SHIPPED}
    assert names == {
        "platform-workflows/.github/workflows/build.yaml",
        "platform-workflows/.github/workflows/render.yaml",
        "examples/gitops/.github/workflows/manifests.yml",
    }


def test_actionlint_flags_a_node20_action(tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    old.write_text(BUILD.read_text().replace("actions/checkout@v7", "actions/checkout@v4"))
    result = actionlint(old)
    assert result.returncode == 1 and 'runtime "node20" is deprecated' in result.stdout


def test_the_skeleton_calls_the_build_with_exactly_its_inputs(tmp_path: Path) -> None:
    text = scaffolded(SKELETON_CI.read_text())
    job = workflow(text)["jobs"]["build"]
    assert job["uses"] == "example-org/platform-workflows/.github/workflows/build.yaml@v1"
    inputs = workflow(BUILD.read_text())["on"]["workflow_call"]["inputs"]
    required = {name for name, spec in inputs.items() if spec.get("required")}
    assert required <= set(job["with"]) <= set(inputs)
    assert job["with"] == {"application": "refund-api", "image": SKELETON_VALUES["image"]}
    assert job["permissions"]["id-token"] == "write"  # OIDC for the ECR login
    # actionlint checks a call against a local reusable workflow's inputs and permissions.
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)  # actionlint's project root
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    shutil.copy(BUILD, workflows / "build.yaml")
    local = text.replace(job["uses"], "./.github/workflows/build.yaml")
    (workflows / "ci.yaml").write_text(local)
    result = actionlint(workflows / "ci.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    (workflows / "ci.yaml").write_text(local.replace("      application:", "      app:"))
    assert 'input "app" is not defined' in actionlint(workflows / "ci.yaml", cwd=tmp_path).stdout


def test_every_input_has_a_description_and_the_optional_ones_a_default() -> None:
    for path in SHIPPED[:2]:
        inputs = workflow(path.read_text())["on"]["workflow_call"]["inputs"]
        for name, spec in inputs.items():
            assert spec.get("description"), (path.name, name)
            assert spec.get("required") or "default" in spec, (path.name, name)
