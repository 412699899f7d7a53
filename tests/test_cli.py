"""``catalog-service``: validate, schema, export, configuration errors (docs/architecture.md
§6.8)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from catalog_service.cli import main
from tests.support.manifests import application_yaml
from tests.support.repos import GitOpsRepo
from tests.support.settings import EXAMPLES, SettingsFactory

GITHUB_ANNOTATION = re.compile(
    r"^::error file=(?P<file>[^,]+),line=(?P<line>\d+),col=(?P<col>\d+)::"
)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    """A folder with one good manifest, one with a located problem, and files to ignore."""
    folder = tmp_path / "apps"
    (folder / "shop").mkdir(parents=True)
    (folder / "shop" / "good.yaml").write_text(application_yaml("good"))
    (folder / "shop" / "bad.yml").write_text(
        application_yaml("bad").replace("owner: team-shop", "owner: team-shop\n  colour: blue")
    )
    (folder / "README.md").write_text("not a manifest: [")
    (folder / "notes.txt").write_text("::")
    return folder


# -- validate -----------------------------------------------------------------------------------


def test_validate_passes_on_the_demo_repository(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(["validate", str(EXAMPLES / "gitops")], capsys)
    assert status == 0, out + err
    assert out == ""
    files = len(list((EXAMPLES / "gitops").rglob("*.yaml")))
    assert f"{files} file(s) checked, 0 problem(s)" in err


def test_validate_text_prints_located_problems(
    manifests: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(["validate", str(manifests)], capsys)
    assert status == 1
    bad = (manifests / "shop" / "bad.yml").as_posix()
    [line] = out.splitlines()
    assert line.startswith(f"{bad}:7:3: "), line
    assert "colour" in line
    assert "2 file(s) checked, 1 problem(s)" in err


def test_validate_github_prints_annotations(
    manifests: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(["validate", "--format", "github", str(manifests)], capsys)
    assert status == 1
    assert err == "2 file(s) checked, 1 problem(s)\n", "the summary goes to stderr"
    [line] = out.splitlines()
    match = GITHUB_ANNOTATION.match(line)
    assert match is not None, line
    assert match["file"] == (manifests / "shop" / "bad.yml").as_posix()
    assert (match["line"], match["col"]) == ("7", "3")


def test_validate_github_escapes_what_annotations_cannot_hold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = tmp_path / "odd,name:1.yaml"
    odd.write_text("apiVersion: idp/v1alpha1\nkind: Widget\n")
    status, out, _ = run(["validate", "--format", "github", str(odd)], capsys)
    assert status == 1
    [line] = out.splitlines()
    match = GITHUB_ANNOTATION.match(line)
    assert match is not None, line
    assert match["file"] == odd.as_posix().replace(":", "%3A").replace(",", "%2C")
    assert match["line"] == "2"


def test_validate_json(manifests: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(["validate", "--format", "json", str(manifests)], capsys)
    assert status == 1
    assert err == "2 file(s) checked, 1 problem(s)\n", "the summary goes to stderr"
    report = json.loads(out)  # stdout is the JSON document alone
    assert report["valid"] is False
    [problem] = report["problems"]
    assert problem["path"].endswith("shop/bad.yml")
    assert (problem["line"], problem["column"]) == (7, 3)

    good = manifests / "shop" / "good.yaml"
    status, out, _ = run(["validate", "--format", "json", str(good)], capsys)
    assert status == 0
    assert json.loads(out) == {"valid": True, "problems": []}


def test_validate_checks_rules_across_the_files_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.yaml").write_text(application_yaml("same", depends_on=["ghost"]))
    (tmp_path / "b.yaml").write_text(application_yaml("same"))
    status, out, _ = run(["validate", str(tmp_path / "b.yaml"), str(tmp_path / "a.yaml")], capsys)
    assert status == 1
    lines = out.splitlines()
    assert any("'ghost'" in line and line.startswith(f"{tmp_path / 'a.yaml'}:") for line in lines)
    assert any(
        "already declared" in line and line.startswith(f"{tmp_path / 'b.yaml'}:4:")
        for line in lines
    ), lines


def test_validate_reports_missing_paths_links_and_bad_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "good.yaml").write_text(application_yaml("good"))
    (tmp_path / "link.yaml").symlink_to("good.yaml")
    (tmp_path / "outside.yaml").symlink_to("/etc/passwd")
    (tmp_path / "latin1.yaml").write_bytes(b"metadata: caf\xe9\n")
    (tmp_path / "huge.yaml").write_bytes(b"#" * (1024 * 1024 + 1))
    missing = tmp_path / "missing.yaml"
    status, out, _ = run(["validate", str(tmp_path), str(missing)], capsys)
    assert status == 1
    by_file = {line.split(":", 1)[0]: line for line in out.splitlines()}
    assert "symbolic link" in by_file[str(tmp_path / "link.yaml")]
    assert "symbolic link" in by_file[str(tmp_path / "outside.yaml")]
    assert "UTF-8" in by_file[str(tmp_path / "latin1.yaml")]
    assert "larger than" in by_file[str(tmp_path / "huge.yaml")]
    assert by_file[str(missing)] == f"{missing}:1:1: no such file or folder"
    assert str(tmp_path / "good.yaml") not in by_file
    assert "root:" not in out, "the target of a link is never read"


def test_validate_uses_the_configured_environments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("source: {url: /srv/gitops}\nenvironments: [qa, live]\n")
    manifest = tmp_path / "app.yaml"
    manifest.write_text(application_yaml("app"))  # declares dev and prod
    status, out, _ = run(["validate", "--config", str(config), str(manifest)], capsys)
    assert status == 1
    assert "dev" in out
    assert run(["validate", str(manifest)], capsys)[0] == 0


def test_validate_needs_no_source_only_environment_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = tmp_path / "app.yaml"
    manifest.write_text(application_yaml("app"))  # declares dev and prod
    config = tmp_path / "environments.yaml"
    config.write_text("environments: [dev, prod]\n")
    assert run(["validate", "--config", str(config), str(manifest)], capsys)[0] == 0

    monkeypatch.setenv("CATALOG_ENVIRONMENTS", '["qa", "live"]')
    status, out, _ = run(["validate", str(manifest)], capsys)
    assert status == 1
    assert "unknown environment 'dev'" in out


# -- schema -------------------------------------------------------------------------------------


def test_schema_prints_the_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["schema"], capsys)
    assert status == 0
    schema = json.loads(out)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert {"Application", "System"} <= set(schema["$defs"])
    application = schema["$defs"]["Application"]
    assert application["additionalProperties"] is False
    assert {"apiVersion", "kind", "metadata", "spec"} <= set(application["properties"])


# -- export -------------------------------------------------------------------------------------


def test_export_prints_entities_and_problems_apart(
    gitops: GitOpsRepo, make_settings: SettingsFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    gitops.add_application("payments-api", system="payments", components=[("db", "postgresql")])
    gitops.write("apps/broken.yaml", "apiVersion: idp/v1alpha1\nkind: Gadget\n")
    head = gitops.commit()
    config = make_settings.write()

    status, out, err = run(["export", "--config", str(config)], capsys)
    assert status == 0
    documents = list(yaml.safe_load_all(out))
    assert [(d["kind"], d["metadata"]["name"]) for d in documents] == [
        ("System", "payments"),
        ("Component", "payments-api"),
        ("Resource", "payments-api-db"),
    ]
    assert "apps/broken.yaml:2:" in err
    assert "broken" not in out

    status, out, err = run(["export", "--config", str(config), "--format", "json"], capsys)
    assert status == 0
    body = json.loads(out)
    assert body["revision"] == head and body["items"] == documents
    assert "apps/broken.yaml:2:" in err


def test_export_reads_catalog_config(
    gitops: GitOpsRepo,
    make_settings: SettingsFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    gitops.add_application("web")
    gitops.commit()
    monkeypatch.setenv("CATALOG_CONFIG", str(make_settings.write()))
    status, out, _ = run(["export", "--format", "json"], capsys)
    assert status == 0
    assert {item["metadata"]["name"] for item in json.loads(out)["items"]} == {"shop", "web"}


def test_export_with_an_unreachable_source_exits_2(
    make_settings: SettingsFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_settings.write(source={"url": str(tmp_path / "nowhere")})
    status, out, err = run(["export", "--config", str(config)], capsys)
    assert status == 2
    assert out == ""
    assert f"catalog-service: cannot fetch {tmp_path / 'nowhere'}" in err


# -- configuration errors -----------------------------------------------------------------------


@pytest.mark.parametrize("command", ["serve", "export", "validate"])
def test_a_configuration_error_exits_2_naming_the_setting(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("source: {url: /srv/gitops, pollSeconds: 0}\nauth: {tokens: [t0ps3cret]}\n")
    argv = [command, "--config", str(config)] + ([str(tmp_path)] if command == "validate" else [])
    status, out, err = run(argv, capsys)
    assert status == 2
    assert out == ""
    assert err.startswith("catalog-service: invalid configuration")
    assert "source.pollSeconds" in err
    assert "t0ps3cret" not in err


@pytest.mark.parametrize("level", ["LOUD", "10", ""])
def test_a_bad_log_level_exits_2_naming_the_variable(
    level: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CATALOG_LOG_LEVEL", level or " ")
    status, out, err = run(["export"], capsys)
    assert (status, out) == (2, "")
    assert err == (
        "catalog-service: invalid configuration in CATALOG_* variables:\n"
        "  CATALOG_LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL\n"
    )


def test_a_missing_configuration_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(["export"], capsys)
    assert status == 2
    assert err.startswith("catalog-service: no configuration: give --config FILE")


def test_a_bad_environment_variable_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CATALOG_SOURCE__URL", "/srv/gitops")
    monkeypatch.setenv("CATALOG_AUTH__TOKENS", "[not json")
    status, _, err = run(["export"], capsys)
    assert status == 2
    assert "CATALOG_* variables" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in ([], ["frobnicate"], ["validate"], ["validate", "x", "--format", "xml"]):
        with pytest.raises(SystemExit) as raised:
            main(argv)
        assert raised.value.code == 2, argv
    assert "usage: catalog-service" in capsys.readouterr().err


@pytest.mark.parametrize("since", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"])
def test_a_since_utc_cannot_hold_is_a_usage_error(
    since: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["backfill-prs", "--config", "x.yaml", "--since", since])
    assert raised.value.code == 2
    assert "in UTC it must fall within years 1 to 9999" in capsys.readouterr().err


# -- the installed script -----------------------------------------------------------------------


def test_the_installed_script_runs(manifests: Path) -> None:
    script = Path(sys.executable).parent / "catalog-service"
    assert script.is_file()
    good = subprocess.run(
        [str(script), "validate", "--format", "json", str(EXAMPLES / "gitops")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout) == {"valid": True, "problems": []}

    bad = subprocess.run(
        [str(script), "validate", "--format", "github", str(manifests)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 1
    assert GITHUB_ANNOTATION.match(bad.stdout)
    assert "1 problem(s)" in bad.stderr


def test_validate_skips_hidden_folders_such_as_github_workflows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "app.yaml").write_text(application_yaml("app"))
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text("on: push\njobs: {}\n")
    status, out, err = run(["validate", str(tmp_path)], capsys)
    assert (status, out) == (0, "")
    assert "1 file(s) checked" in err
    # Named explicitly, a file in a hidden folder is still checked.
    assert run(["validate", str(workflows / "ci.yml")], capsys)[0] == 1


def test_validate_a_dangling_dependency_is_a_warning_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.yaml").write_text(application_yaml("a", depends_on=["gone"]))
    status, out, err = run(["validate", str(tmp_path)], capsys)
    assert status == 0
    assert out == (
        f"{tmp_path.as_posix()}/a.yaml:11:15: warning: spec.dependsOn[0]: no application named"
        " 'gone' in the catalog\n"
    )
    assert "1 file(s) checked, 1 problem(s), 1 of them warning(s)" in err

    status, out, _ = run(["validate", "--format", "github", str(tmp_path)], capsys)
    assert status == 0
    assert out.startswith(f"::warning file={tmp_path.as_posix()}/a.yaml,line=11,col=15::")

    status, out, _ = run(["validate", "--format", "json", str(tmp_path)], capsys)
    report = json.loads(out)
    assert status == 0
    assert report["valid"] is True
    assert [problem["severity"] for problem in report["problems"]] == ["warning"]

    # With one error as well, the exit status is 1.
    (tmp_path / "b.yaml").write_text("kind: [\n")
    status, out, _ = run(["validate", "--format", "json", str(tmp_path)], capsys)
    assert status == 1
    assert json.loads(out)["valid"] is False


def test_validate_skips_hidden_folders_below_the_current_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "app.yaml").write_text(application_yaml("app"))
    for hidden in (".github/workflows/ci.yml", "apps/.drafts/x.yaml", "apps/.x.yaml"):
        (tmp_path / hidden).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / hidden).write_text("not: [a manifest\n")
    monkeypatch.chdir(tmp_path)  # `catalog-service validate .`, as a GitOps repository's CI runs it
    status, out, err = run(["validate", "."], capsys)
    assert (status, out) == (0, "")
    assert "1 file(s) checked" in err


def test_validate_a_file_name_that_is_not_utf8(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "apps"
    folder.mkdir()
    (folder / "good.yaml").write_text(application_yaml("good"))
    (folder / os.fsdecode(b"caf\xe9.yaml")).write_text(application_yaml("cafe"))
    status, out, _ = run(["validate", "--format", "json", str(folder)], capsys)
    assert status == 1
    [problem] = json.loads(out)["problems"]
    assert problem["text"] == (
        f"{folder.as_posix()}/caf\\xe9.yaml:1:1: the file name is not valid UTF-8; rename the file"
    )
