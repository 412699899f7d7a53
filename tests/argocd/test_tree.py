"""Reading Argo CD's answers as plain data: only what the service uses, bounded, never failing
on an odd shape."""

from __future__ import annotations

from catalog_service.argocd.tree import (
    MAX_PODS,
    MAX_TEXT,
    ApplicationState,
    read_application,
    read_tree,
)
from tests.support.argocd_double import crash_looping, deployment, node


def test_a_tree_that_is_not_one_reads_as_empty() -> None:
    bodies: list[object] = [None, [], "nodes", {"nodes": "x"}, {"nodes": None}, {}]
    for body in bodies:
        tree = read_tree(body)
        assert tree.deployments == () and tree.unhealthy_pods == ()


def test_only_apps_deployments_count_and_pods_are_ordered_and_bounded() -> None:
    pods = [crash_looping(f"p-{index:03}", "ns") for index in reversed(range(MAX_PODS + 10))]
    tree = read_tree(
        {
            "nodes": [
                node("Deployment", "legacy", "ns", group="extensions"),
                deployment("api", "ns"),
                *pods,
            ]
        }
    )
    assert [d.name for d in tree.deployments] == ["api"]
    assert len(tree.unhealthy_pods) == MAX_PODS
    assert tree.unhealthy_pods[0].name == "p-000"


def test_argocds_strings_are_bounded_and_printable() -> None:
    long = crash_looping("p", "ns")
    long["health"]["message"] = "back-off\x1b[31m " + "x" * 10_000
    [pod] = read_tree({"nodes": [long]}).unhealthy_pods
    assert pod.message is not None and len(pod.message) == MAX_TEXT
    assert "\x1b" not in pod.message


def test_an_application_s_status_is_read_or_absent() -> None:
    body = {"status": {"sync": {"status": "Synced"}, "health": {"status": "Progressing"}}}
    assert read_application(body) == ApplicationState("Synced", "Progressing")
    assert read_application({"status": {"sync": "Synced"}}) == ApplicationState(None, None)
    assert read_application(None) == ApplicationState(None, None)
