"""What the service reads of Argo CD's answers, as plain data (docs/argocd.md): the resource
tree's nodes (``GET /api/v1/applications/{name}/resource-tree``) and an application's sync and
health (``GET /api/v1/applications/{name}``). Pure functions, no I/O.

Argo CD's answers are read defensively: a field missing or of another type is read as absent,
strings are bounded, and at most ``MAX_NODES`` nodes are looked at (a tree is usually tens).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_NODES = 20_000
MAX_TEXT = 1024
MAX_PODS = 50  # per environment in the status answer: the first ones, by name
HEALTHY = "Healthy"


@dataclass(frozen=True, slots=True)
class ResourceRef:
    """One resource of an application's tree, as the resource-action endpoints name it."""

    group: str
    version: str
    kind: str
    namespace: str
    name: str


@dataclass(frozen=True, slots=True)
class PodHealth:
    """A pod that is not Healthy: Argo CD's health, the reason and restart count it reports."""

    name: str
    namespace: str
    health: str
    reason: str | None
    message: str | None
    restart_count: int | None


@dataclass(frozen=True, slots=True)
class ResourceTree:
    deployments: tuple[ResourceRef, ...]
    unhealthy_pods: tuple[PodHealth, ...]


@dataclass(frozen=True, slots=True)
class ApplicationState:
    """An Argo CD application's sync and health status (None: Argo CD did not say)."""

    sync: str | None
    health: str | None


def read_tree(body: Any) -> ResourceTree:
    """The Deployments (in the order Argo CD lists them, each once) and the pods that are not
    Healthy (by namespace and name) of a resource tree."""
    nodes = body.get("nodes") if isinstance(body, Mapping) else None
    if not isinstance(nodes, Sequence) or isinstance(nodes, str):
        return ResourceTree((), ())
    deployments: dict[ResourceRef, None] = {}
    pods: list[PodHealth] = []
    for node in nodes[:MAX_NODES]:
        if not isinstance(node, Mapping):
            continue
        ref = _ref(node)
        if ref is None:
            continue
        if ref.group == "apps" and ref.kind == "Deployment":
            deployments[ref] = None
        elif ref.group == "" and ref.kind == "Pod":
            pod = _pod(ref, node)
            if pod is not None:
                pods.append(pod)
    pods.sort(key=lambda pod: (pod.namespace, pod.name))
    return ResourceTree(tuple(deployments), tuple(pods[:MAX_PODS]))


def read_application(body: Any) -> ApplicationState:
    """``status.sync.status`` and ``status.health.status`` of an Application."""
    status = body.get("status") if isinstance(body, Mapping) else None
    status = status if isinstance(status, Mapping) else {}
    return ApplicationState(_status_of(status.get("sync")), _status_of(status.get("health")))


def _ref(node: Mapping[str, Any]) -> ResourceRef | None:
    fields = [node.get(key, "") for key in ("group", "version", "kind", "namespace", "name")]
    if not all(isinstance(value, str) and len(value) <= 253 for value in fields):
        return None
    group, version, kind, namespace, name = fields
    if not kind or not name:
        return None
    return ResourceRef(group, version, kind, namespace, name)


def _pod(ref: ResourceRef, node: Mapping[str, Any]) -> PodHealth | None:
    health = node.get("health")
    status = _status_of(health)
    if status is None or status == HEALTHY:
        return None
    assert isinstance(health, Mapping)
    info = _info(node.get("info"))
    restarts = info.get("Restart Count", "")
    return PodHealth(
        name=ref.name,
        namespace=ref.namespace,
        health=status,
        reason=info.get("Status Reason"),
        message=_text(health.get("message")),
        restart_count=int(restarts)
        if restarts and restarts.isdigit() and len(restarts) < 10
        else None,
    )


def _info(items: Any) -> dict[str, str]:
    """A node's ``info: [{name, value}]`` as a mapping (the first value of a name wins)."""
    found: dict[str, str] = {}
    if not isinstance(items, Sequence) or isinstance(items, str):
        return found
    for item in items[:100]:
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            value = _text(item.get("value"))
            if value is not None:
                found.setdefault(item["name"], value)
    return found


def _status_of(value: Any) -> str | None:
    return _text(value.get("status")) if isinstance(value, Mapping) else None


def _text(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    cleaned = "".join(char if char.isprintable() else " " for char in value[: MAX_TEXT * 2])
    return cleaned[:MAX_TEXT].strip() or None
