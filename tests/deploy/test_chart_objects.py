"""Every object the chart makes is a valid Kubernetes object, with default and non-default values;
the pods run as the image expects (non-root, read-only root filesystem, writable state and /tmp)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import helm_python
import jsonschema
import kubernetes_validate
import pytest

from tests.deploy.chart import FULLNAME, NAMESPACE, container, one, render

# The oldest Kubernetes the chart names (Chart.yaml kubeVersion) and the newest the validator knows.
KUBERNETES_VERSIONS = ("1.25.0", kubernetes_validate.latest_version())
SERVICE_MONITOR_SCHEMA = json.loads(
    (Path(__file__).parent / "servicemonitor-v1.schema.json").read_text(encoding="utf-8")
)

EVERYTHING_ON: dict[str, Any] = {
    "replicaCount": 3,
    "image": {"repository": "registry.example.com/idp/catalog-service", "tag": "1.2.3"},
    "existingSecret": "catalog-service",
    "imagePullSecrets": [{"name": "registry"}],
    "serviceMonitor": {"enabled": True, "interval": "15s", "labels": {"release": "prom"}},
    "ingress": {
        "enabled": True,
        "className": "nginx",
        "annotations": {"cert-manager.io/cluster-issuer": "letsencrypt"},
        "hosts": [{"host": "catalog.acme.example", "paths": [{"path": "/", "pathType": "Prefix"}]}],
        "tls": [{"secretName": "catalog-tls", "hosts": ["catalog.acme.example"]}],
    },
    "persistence": {"enabled": True, "size": "5Gi", "storageClassName": "fast"},
    "migrationJob": {"enabled": True},
    "podDisruptionBudget": {"enabled": True, "minAvailable": "50%"},
    "nodeSelector": {"kubernetes.io/os": "linux"},
    "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "idp"}],
    "podAnnotations": {"example.com/team": "platform"},
    "config": {
        "source": {"url": "https://github.com/acme/gitops.git"},
        "logging": {"format": "text", "level": "debug"},
        "shutdown": {"graceSeconds": 45.5},
    },
}


def validate(item: dict[str, Any]) -> None:
    if item["kind"] == "ServiceMonitor":
        jsonschema.validate(item, SERVICE_MONITOR_SCHEMA)
        return
    for version in KUBERNETES_VERSIONS:
        kubernetes_validate.validate(item, version, strict=True)


@pytest.mark.parametrize("values", [{}, EVERYTHING_ON], ids=["defaults", "everything-on"])
def test_every_object_is_valid_kubernetes(values: dict[str, Any]) -> None:
    objects = render(values)
    assert objects
    for item in objects:
        validate(item)


def test_the_defaults_make_two_replicas_a_budget_and_no_optional_objects() -> None:
    objects = render()
    assert sorted(item["kind"] for item in objects) == [
        "ConfigMap",
        "Deployment",
        "PodDisruptionBudget",
        "Service",
    ]
    deployment = one(objects, "Deployment")
    assert deployment["spec"]["replicas"] == 2
    assert one(objects, "PodDisruptionBudget")["spec"]["minAvailable"] == 1
    pod = deployment["spec"]["template"]["spec"]
    anti = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    term = anti[0]["podAffinityTerm"]
    assert term["topologyKey"] == "kubernetes.io/hostname"
    assert term["labelSelector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
    assert "envFrom" not in container(objects)


def test_the_pods_are_locked_down_and_write_only_to_their_volumes() -> None:
    objects = render()
    pod = one(objects, "Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001  # the image's user
    assert pod["automountServiceAccountToken"] is False
    main = container(objects)
    security = main["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    mounts = {mount["mountPath"]: mount["name"] for mount in main["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    # The image keeps its mirror and SQLite file under /var/lib/catalog-service (Dockerfile).
    assert volumes[mounts["/var/lib/catalog-service"]]["emptyDir"] == {}
    assert volumes[mounts["/tmp"]]["emptyDir"] == {}
    assert volumes[mounts["/etc/catalog-service"]]["configMap"]["name"] == FULLNAME
    assert main["resources"]["limits"]["memory"] == "1Gi"


def test_everything_on_makes_a_statefulset_with_a_volume_per_replica() -> None:
    objects = render(EVERYTHING_ON)
    assert not [item for item in objects if item["kind"] == "Deployment"]
    statefulset = one(objects, "StatefulSet")
    assert statefulset["spec"]["replicas"] == 3
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == "state"
    assert claim["spec"]["resources"]["requests"]["storage"] == "5Gi"
    assert claim["spec"]["storageClassName"] == "fast"
    pod = statefulset["spec"]["template"]["spec"]
    assert "state" not in {volume["name"] for volume in pod["volumes"]}
    main = container(objects, "StatefulSet")
    assert main["image"] == "registry.example.com/idp/catalog-service:1.2.3"
    assert main["envFrom"] == [{"secretRef": {"name": "catalog-service"}}]
    env = {item["name"]: item["value"] for item in main["env"]}
    assert env["CATALOG_LOGGING__FORMAT"] == "text"  # the configuration's, not the image's json
    assert pod["terminationGracePeriodSeconds"] == 56  # ceil(45.5) + 10 to stop git


def test_the_service_monitor_and_ingress_point_at_the_service_port() -> None:
    objects = render(EVERYTHING_ON)
    service = one(objects, "Service")
    (port,) = service["spec"]["ports"]
    monitor = one(objects, "ServiceMonitor")
    assert monitor["metadata"]["labels"]["release"] == "prom"
    assert monitor["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    (endpoint,) = monitor["spec"]["endpoints"]
    assert (endpoint["port"], endpoint["path"], endpoint["interval"]) == ("http", "/metrics", "15s")
    ingress = one(objects, "Ingress")
    (rule,) = ingress["spec"]["rules"]
    backend = rule["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": service["metadata"]["name"], "port": {"name": port["name"]}}
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"][0]["secretName"] == "catalog-tls"
    assert one(objects, "PodDisruptionBudget")["spec"]["minAvailable"] == "50%"


def test_an_affinity_given_replaces_the_default_spread() -> None:
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["idp"]}]}
                ]
            }
        }
    }
    pod = one(render({"affinity": affinity}), "Deployment")["spec"]["template"]["spec"]
    assert pod["affinity"] == affinity


def test_a_budget_can_be_turned_off() -> None:
    objects = render({"podDisruptionBudget": {"enabled": False}})
    assert "PodDisruptionBudget" not in {item["kind"] for item in objects}


def test_the_migration_job_runs_before_the_pods_with_the_secret_and_takes_no_traffic() -> None:
    objects = render(EVERYTHING_ON)
    job = one(objects, "Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    pod = job["spec"]["template"]
    (step,) = pod["spec"]["containers"]
    assert step["args"] == ["catalog-service", "db", "upgrade"]
    assert step["image"] == container(objects, "StatefulSet")["image"]
    assert step["envFrom"] == [{"secretRef": {"name": "catalog-service"}}]
    assert step["securityContext"]["readOnlyRootFilesystem"] is True
    labels = pod["metadata"]["labels"]
    for selector in (
        one(objects, "Service")["spec"]["selector"],
        one(objects, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"],
    ):
        assert not selector.items() <= labels.items()


def test_the_migration_job_without_a_secret_is_refused_saying_what_it_needs() -> None:
    with pytest.raises(helm_python.HelmError) as refused:
        render({"migrationJob": {"enabled": True}})
    assert "migrationJob.enabled needs existingSecret" in str(refused.value)
