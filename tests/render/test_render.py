"""``catalog-service render`` (docs/architecture.md §6.9) on the demo repository and on hostile
data: every values file rendered by Helm's own code into objects Kubernetes' schemas accept, every
Application and ExternalSecret valid by its CRD schema, and each object checked against the
manifest it came from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog_service.cli import main
from catalog_service.demo import prepare_demo
from catalog_service.domain import manifests as m
from catalog_service.errors import ConfigurationError
from catalog_service.render.command import read_catalog, render_repository
from catalog_service.settings import Settings
from tests.render.support import (
    CORE_KINDS,
    files_and_mtimes,
    helm_objects,
    validate_core,
    validate_custom_resources,
)
from tests.support.repos import GitOpsRepo
from tests.support.servers import GitHttpServer
from tests.support.settings import SettingsFactory


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_bytes())


def check_against_manifests(settings: Settings, out: Path, tmp_path: Path) -> int:
    """Render each values file with Helm, validate and check every object; answer how many
    application x environment folders there were."""
    _, _, models = read_catalog(settings)
    apps = {model.metadata.name: model for model in models.values()}
    secrets_folder = tmp_path / "external-secrets"
    secrets_folder.mkdir()
    folders = sorted(path.parent for path in out.glob("*/*/application.yaml"))
    for folder in folders:
        environment, name = folder.parent.name, folder.name
        app = apps[name]
        argo = load(folder / "application.yaml")
        assert argo["metadata"]["name"] == f"{name}-{environment}"
        assert argo["metadata"]["labels"]["idp/environment"] == environment
        assert argo["spec"]["destination"]["namespace"] == f"{name}-{environment}"
        version = app.spec.environments[environment].version
        if app.spec.type == "vendor":
            assert app.spec.chart is not None
            assert argo["spec"]["source"]["chart"] == app.spec.chart.name
            assert argo["spec"]["source"]["repoURL"] == app.spec.chart.repository
            assert argo["spec"]["source"]["targetRevision"] == version
            continue
        values = load(folder / "values.yaml")
        assert argo["spec"]["source"]["helm"]["valuesObject"] == values
        objects = helm_objects(values, name, f"{name}-{environment}")
        for obj in objects:
            if obj["kind"] in CORE_KINDS:
                validate_core(obj)
            check_labels(obj, app, environment, version)
        check_objects(objects, app, environment, version, secrets_folder)
    report = validate_custom_resources(out, secrets_folder)
    assert report["invalid"] == []
    assert report["checked"]["argoproj.io/v1alpha1 Application"] == len(folders)
    return len(folders)


def check_labels(obj: dict[str, Any], app: m.Application, environment: str, version: str) -> None:
    labels = obj["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == app.metadata.name
    assert labels["app.kubernetes.io/part-of"] == app.metadata.system
    assert labels["app.kubernetes.io/version"] == version
    assert labels["app.kubernetes.io/managed-by"] == "idp"
    assert labels["idp/owner"] == app.metadata.owner.rsplit("/", 1)[-1]
    assert labels["idp/environment"] == environment


def check_objects(
    objects: list[dict[str, Any]],
    app: m.Application,
    environment: str,
    version: str,
    secrets_folder: Path,
) -> None:
    by_kind = {obj["kind"]: obj for obj in objects}
    spec = app.spec
    if spec.type == "service":
        assert set(by_kind) - {"ExternalSecret"} == {"Deployment", "Service", "ServiceAccount"}
        workload = by_kind["Deployment"]
        replicas = spec.environments[environment].replicas
        assert workload["spec"]["replicas"] == (1 if replicas is None else replicas)
        pod = workload["spec"]["template"]["spec"]
    else:
        assert set(by_kind) - {"ExternalSecret"} == {"CronJob", "ServiceAccount"}
        workload = by_kind["CronJob"]
        assert workload["spec"]["schedule"] == spec.schedule
        pod = workload["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["image"] == f"{spec.image}:{version}"
    assert pod["serviceAccountName"] == app.metadata.name
    if not spec.secrets:
        assert "ExternalSecret" not in by_kind and "envFrom" not in container
        return
    external = by_kind["ExternalSecret"]
    assert external["spec"]["secretStoreRef"] == {
        "name": "aws-secrets-manager",
        "kind": "ClusterSecretStore",
    }
    expected = [
        {
            "secretKey": s.env,
            "remoteRef": {"key": s.secret, **({"property": s.key} if s.key else {})},
        }
        for s in spec.secrets
    ]
    assert external["spec"]["data"] == expected
    target = external["spec"]["target"]["name"]
    assert container["envFrom"] == [{"secretRef": {"name": target}}]
    path = secrets_folder / f"{environment}-{app.metadata.name}.yaml"
    path.write_text(yaml.safe_dump(external), encoding="utf-8")


def test_the_demo_repository_renders_into_what_argo_cd_deploys(tmp_path: Path) -> None:
    settings = prepare_demo(tmp_path / "demo")
    out = tmp_path / "rendered"
    outcome = render_repository(settings, out)
    assert outcome.problems == ()
    count = check_against_manifests(settings, out, tmp_path)
    assert count == len(outcome.rendered) > 20
    kinds = {app.spec.type for app in read_catalog(settings)[2].values()}
    assert kinds == {"service", "vendor", "etl"}


def test_a_second_render_changes_nothing_and_a_removed_application_disappears(
    gitops: GitOpsRepo, make_settings: SettingsFactory, tmp_path: Path
) -> None:
    for name in ("pay", "ledger", "web"):
        gitops.add_application(name)
    gitops.commit()
    settings, out = make_settings(), tmp_path / "out"
    first = render_repository(settings, out)
    assert (first.files.written, first.files.removed) == (12, 0)
    before = files_and_mtimes(out)
    second = render_repository(settings, out)
    assert (second.files.written, second.files.unchanged) == (0, 12)
    assert files_and_mtimes(out) == before

    gitops.add_application("pay", version="2.0.0")
    gitops.delete("apps/shop/ledger.yaml")
    gitops.commit()
    third = render_repository(settings, out)
    assert (third.files.written, third.files.removed) == (4, 4)
    assert not (out / "dev" / "ledger").exists() and not (out / "prod" / "ledger").exists()
    after = files_and_mtimes(out)
    changed = {path for path in after if after[path] != before.get(path)}
    assert changed == {
        ".catalog-service-render",
        "dev/pay/application.yaml",
        "dev/pay/values.yaml",
        "prod/pay/application.yaml",
        "prod/pay/values.yaml",
    }
    assert load(out / "dev" / "pay" / "values.yaml")["image"]["tag"] == "2.0.0"


HOSTILE = {
    # Valid, odd: a full owner ref, unicode, quotes in YAML, a long name, the most fields.
    "apps/odd.yaml": """\
apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: a23456789012345678901234567890123456789012345678-odd
  system: odd-sys
  owner: group:default/Team.Ops_1
  description: "Ünïcödé \\"quoted\\" & <tags> ${{ not.an.expression }}"
spec:
  type: etl
  source: {repository: acme/odd}
  image: localhost:5000/team/odd
  schedule: "*/7 0-23/2 1,15 JAN-DEC ?"
  secrets:
    - {env: A_B, secret: "odd/x=y+z@w.v", key: "key with spaces"}
    - {env: _B, secret: odd/plain}
  environments:
    dev: {version: "1.0_rc.1"}
    prod: {version: "007"}
""",
    "apps/bad-cron.yaml": """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: badcron, system: s, owner: t}
spec:
  type: etl
  source: {repository: acme/x}
  image: registry.example.com/x
  schedule: "0 25 * * *"
  environments: {dev: {version: "1"}}
""",
    "apps/twice.yaml": """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: twice, system: s, owner: t}
spec:
  type: service
  source: {repository: acme/x}
  image: registry.example.com/x
  secrets: [{env: X, secret: a}, {env: X, secret: b}]
  environments: {dev: {version: "1"}}
""",
    "apps/hub.yaml": """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: hub, system: s, owner: t}
spec:
  type: service
  source: {repository: acme/x}
  image: library/nginx
  environments: {dev: {version: "1"}}
""",
    "apps/vendor.yaml": """\
apiVersion: idp/v1alpha1
kind: Application
metadata: {name: vendor, system: s, owner: t}
spec:
  type: vendor
  chart: {repository: "https://charts.example.com/a b", name: x}
  environments: {dev: {version: "1.0.0+build"}, prod: {}}
""",
    "apps/tagged.yaml": "!!python/object:os.system {}\n",
}


def test_hostile_manifests_are_problems_and_render_as_nothing(
    gitops: GitOpsRepo, make_settings: SettingsFactory, tmp_path: Path
) -> None:
    for path, text in HOSTILE.items():
        gitops.write(path, text)
    gitops.commit()
    settings, out = make_settings(), tmp_path / "out"
    outcome = render_repository(settings, out)
    messages = [str(problem) for problem in outcome.problems]
    located = {message.split(":", 1)[0] for message in messages}
    assert located == set(HOSTILE) - {"apps/odd.yaml"}
    assert "apps/bad-cron.yaml:8:13: spec.schedule: hour field '25': 25 is out of range 0-23" in (
        messages
    )
    assert "apps/vendor.yaml:7:49: spec.environments.prod.version is required" in messages
    assert sorted(p.relative_to(out).as_posix() for p in out.glob("*/*")) == [
        "dev/a23456789012345678901234567890123456789012345678-odd",
        "prod/a23456789012345678901234567890123456789012345678-odd",
    ]
    assert check_against_manifests(settings, out, tmp_path) == 2


def test_a_namespace_pattern_that_makes_no_valid_namespace_is_a_problem(
    gitops: GitOpsRepo, make_settings: SettingsFactory, tmp_path: Path
) -> None:
    gitops.add_application("pay")
    gitops.add_application("x" * 55)
    gitops.commit()
    settings = make_settings(render={"namespace": "{system}-{name}-{environment}"})
    outcome = render_repository(settings, tmp_path / "out")
    [problem] = outcome.problems
    assert str(problem).startswith(f"apps/shop/{'x' * 55}.yaml:4:9: the namespace 'shop-xxx")
    assert [r.folder for r in outcome.rendered] == ["dev/pay", "prod/pay"]
    argo = load(tmp_path / "out" / "dev" / "pay" / "application.yaml")
    assert argo["spec"]["destination"]["namespace"] == "shop-pay-dev"


def test_render_settings_reach_the_application(
    gitops: GitOpsRepo, make_settings: SettingsFactory, tmp_path: Path
) -> None:
    gitops.add_application("pay")
    gitops.commit()
    settings = make_settings(
        render={
            "chart": {"repoURL": "https://github.com/acme/platform.git", "targetRevision": "v1"},
            "argocd": {"project": "apps", "namespace": "gitops"},
            "destinations": {"prod": {"name": "prod-eu"}},
            "secretStore": "aws",
        }
    )
    render_repository(settings, tmp_path / "out")
    dev = load(tmp_path / "out" / "dev" / "pay" / "application.yaml")
    prod = load(tmp_path / "out" / "prod" / "pay" / "application.yaml")
    assert dev["metadata"]["namespace"] == "gitops" and dev["spec"]["project"] == "apps"
    assert dev["spec"]["source"]["repoURL"] == "https://github.com/acme/platform.git"
    assert dev["spec"]["source"]["targetRevision"] == "v1"
    assert dev["spec"]["destination"] == {
        "namespace": "pay-dev",
        "server": "https://kubernetes.default.svc",
    }
    assert prod["spec"]["destination"] == {"namespace": "pay-prod", "name": "prod-eu"}


def test_the_command_line(
    gitops: GitOpsRepo,
    make_settings: SettingsFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    gitops.add_application("pay")
    gitops.write("apps/hub.yaml", HOSTILE["apps/hub.yaml"])
    gitops.commit()
    config = make_settings.write()
    assert main(["render", "--config", str(config), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "apps/hub.yaml:7:10: spec.image: names no registry host" in err
    assert "rendered 2 application(s) x environment(s)" in err
    assert "4 file(s) written, 0 unchanged, 0 removed; 1 problem(s)" in err
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    assert main(["render", "--config", str(config), "--out", str(tmp_path / "mine")]) == 2
    assert "is not empty and no render wrote it" in capsys.readouterr().err
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_credentials_in_source_url_never_reach_the_rendered_files(
    gitops: GitOpsRepo,
    make_settings: SettingsFactory,
    git_http_server: GitHttpServer,
    tmp_path: Path,
) -> None:
    gitops.add_application("pay")
    gitops.commit()
    base = git_http_server.base_url.replace("http://", "http://x-access-token:s3cr3t-token@")
    settings = make_settings(source={"url": f"{base}/remote.git"})
    render_repository(settings, tmp_path / "out")
    text = (tmp_path / "out" / "dev" / "pay" / "application.yaml").read_text()
    assert "s3cr3t-token" not in text
    assert (
        load(tmp_path / "out" / "dev" / "pay" / "application.yaml")["spec"]["source"]["repoURL"]
        == f"{git_http_server.base_url}/remote.git"
    )
    with pytest.raises(ConfigurationError, match=r"render.chart.repoURL: .*holds credentials"):
        make_settings(render={"chart": {"repoURL": "https://u:tok@github.com/acme/p.git"}})
    ssh = make_settings(render={"chart": {"repoURL": "ssh://git@github.com/acme/p.git"}})
    assert ssh.render.chart.repoURL == "ssh://git@github.com/acme/p.git"


def test_a_local_source_renders_the_web_url_or_warns(
    gitops: GitOpsRepo,
    make_settings: SettingsFactory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gitops.add_application("pay")
    gitops.commit()
    web = make_settings(source={"webUrl": "https://github.com/acme/gitops"})
    render_repository(web, tmp_path / "web")
    argo = load(tmp_path / "web" / "dev" / "pay" / "application.yaml")
    assert argo["spec"]["source"]["repoURL"] == "https://github.com/acme/gitops"
    render_repository(make_settings(), tmp_path / "local")
    assert "which Argo CD cannot fetch the platform chart from: set render.chart.repoURL" in (
        caplog.text
    )
