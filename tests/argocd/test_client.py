"""The Argo CD client against the double of Argo CD's REST API: the tree as Argo CD shapes it,
the restart on the v2 endpoint and on the older one, and every failure as the service's own
error (503 unreachable or slow, 502 refused with Argo CD's words, 409 no such application)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from catalog_service.argocd.client import HttpArgoCD
from catalog_service.argocd.settings import ArgoCDApiSettings
from catalog_service.argocd.tree import PodHealth, ResourceRef
from catalog_service.errors import (
    ArgoCDApplicationMissingError,
    ArgoCDError,
    ArgoCDUnavailableError,
)
from catalog_service.http.errors import status_for
from tests.support.argocd_double import (
    TOKEN,
    ArgoCDDouble,
    crash_looping,
    deployment,
    node,
    pod,
)
from tests.support.servers import free_port

APP = "payments-api-prod"


def _client(url: str, token: str = TOKEN, timeout: float = 5) -> HttpArgoCD:
    return HttpArgoCD(ArgoCDApiSettings(url=url, token=SecretStr(token), timeoutSeconds=timeout))


@pytest.fixture
def client(argocd_double: ArgoCDDouble) -> Iterator[HttpArgoCD]:
    argocd = _client(argocd_double.url)
    yield argocd
    argocd.close()


def _ref(name: str, namespace: str) -> ResourceRef:
    return ResourceRef("apps", "v1", "Deployment", namespace, name)


def test_a_crash_looping_pod_is_read_with_its_reason_message_and_restart_count(
    argocd_double: ArgoCDDouble, client: HttpArgoCD
) -> None:
    argocd_double.add_app(
        APP,
        deployment("payments-api", "payments", health="Degraded"),
        node("ReplicaSet", "payments-api-7d9", "payments", group="apps"),
        crash_looping("payments-api-7d9-abc", "payments", restarts=12),
        pod("payments-api-7d9-def", "payments"),  # Healthy: not listed
        node("Service", "payments-api", "payments"),
        health="Degraded",
        sync="OutOfSync",
    )
    tree = client.resource_tree(APP)
    assert tree.deployments == (_ref("payments-api", "payments"),)
    assert tree.unhealthy_pods == (
        PodHealth(
            name="payments-api-7d9-abc",
            namespace="payments",
            health="Degraded",
            reason="CrashLoopBackOff",
            message="back-off 5m0s restarting failed container=app pod=payments-api-7d9-abc",
            restart_count=12,
        ),
    )
    state = client.application(APP)
    assert (state.sync, state.health) == ("OutOfSync", "Degraded")


def test_each_deployment_is_restarted_in_its_own_namespace_on_the_v2_endpoint(
    argocd_double: ArgoCDDouble, client: HttpArgoCD
) -> None:
    argocd_double.add_app(APP, deployment("api", "payments"), deployment("worker", "payments-jobs"))
    for ref in client.resource_tree(APP).deployments:
        client.restart(APP, ref)
    assert argocd_double.restarted == [
        (APP, "payments", "api", "v2"),
        (APP, "payments-jobs", "worker", "v2"),
    ]
    sent = [r for r in argocd_double.requests if r.method == "POST"][1]
    assert sent.path == f"/api/v1/applications/{APP}/resource/actions/v2"
    assert sent.body == {
        "name": APP,
        "namespace": "payments-jobs",
        "resourceName": "worker",
        "version": "v1",
        "group": "apps",
        "kind": "Deployment",
        "action": "restart",
    }
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    restarted = argocd_double.apps[APP].nodes[1]["annotations"]
    assert "kubectl.kubernetes.io/restartedAt" in restarted


@pytest.mark.parametrize("older_status", [404, 405])
def test_an_older_argocd_without_the_v2_endpoint_gets_the_one_it_has(
    argocd_double: ArgoCDDouble, client: HttpArgoCD, older_status: int
) -> None:
    argocd_double.v2 = False
    argocd_double.older_status = older_status
    argocd_double.add_app(APP, deployment("api", "payments"), deployment("worker", "jobs"))
    client.restart(APP, _ref("api", "payments"))
    client.restart(APP, _ref("worker", "jobs"))
    assert argocd_double.restarted == [
        (APP, "payments", "api", "v1"),
        (APP, "jobs", "worker", "v1"),
    ]
    posts = [r for r in argocd_double.requests if r.method == "POST"]
    # v2 once; after its 404/405, the older endpoint straight away.
    assert [r.path.rsplit("/", 1)[-1] for r in posts] == ["v2", "actions", "actions"]
    older = posts[1]
    assert older.body == "restart"
    assert older.query == {
        "namespace": "payments",
        "resourceName": "api",
        "version": "v1",
        "group": "apps",
        "kind": "Deployment",
    }


@pytest.mark.parametrize("v2", [True, False])
def test_applications_outside_argocds_namespace_are_asked_for_with_their_namespace(
    argocd_double: ArgoCDDouble, v2: bool
) -> None:
    argocd_double.v2 = v2
    argocd_double.add_app(APP, deployment("api", "payments"), namespace="argocd-apps")
    with pytest.raises(ArgoCDApplicationMissingError):
        _client(argocd_double.url).resource_tree(APP)  # looked for in Argo CD's own
    client = HttpArgoCD(
        ArgoCDApiSettings(url=argocd_double.url, token=SecretStr(TOKEN)),
        app_namespace="argocd-apps",
    )
    assert client.application(APP).sync == "Synced"
    [deployment_ref] = client.resource_tree(APP).deployments
    client.restart(APP, deployment_ref)
    assert argocd_double.restarts() == [(APP, "payments", "api")]
    client.close()


def test_a_deployment_gone_from_the_tree_is_a_502_quoting_argocd(
    argocd_double: ArgoCDDouble, client: HttpArgoCD
) -> None:
    argocd_double.add_app(APP, deployment("api", "payments"))
    with pytest.raises(ArgoCDError) as caught:
        client.restart(APP, _ref("ghost", "payments"))
    assert type(caught.value) is ArgoCDError and status_for(caught.value) == 502
    assert caught.value.message == (
        f"Argo CD answered 404 to restart Deployment payments/ghost of {APP!r}:"
        f' Deployment "ghost" not found as part of application "{APP}"'
    )
    client.restart(APP, _ref("api", "payments"))  # v2 still: the 404 was not about it
    assert argocd_double.restarted == [(APP, "payments", "api", "v2")]


def test_a_wrong_token_is_a_502_quoting_argocd_and_never_the_token(
    argocd_double: ArgoCDDouble,
) -> None:
    argocd_double.add_app(APP, deployment("api", "payments"))
    wrong = "wrong-token-0123456789abcdef"
    client = _client(argocd_double.url, token=wrong)
    with pytest.raises(ArgoCDError) as caught:
        client.resource_tree(APP)
    assert type(caught.value) is ArgoCDError and status_for(caught.value) == 502
    assert caught.value.code == "argocd_failed"
    assert caught.value.message == (
        f"Argo CD answered 401 to read the resource tree of {APP!r}: invalid session: token"
        " signature is invalid; is argocd.token valid and not expired?"
    )
    assert wrong not in caught.value.message and TOKEN not in caught.value.message


def test_rbac_refusing_the_action_is_a_502_with_argocds_permission_line(
    argocd_double: ArgoCDDouble, client: HttpArgoCD
) -> None:
    argocd_double.add_app(APP, deployment("api", "payments"))
    argocd_double.forbidden_actions.add(APP)
    with pytest.raises(ArgoCDError) as caught:
        client.restart(APP, _ref("api", "payments"))
    assert status_for(caught.value) == 502
    assert (
        "answered 403 to restart Deployment payments/api of 'payments-api-prod': permission"
        " denied: applications, action/apps/Deployment/restart, default/payments-api-prod"
    ) in caught.value.message
    assert argocd_double.restarted == []


def test_a_5xx_is_a_502_with_argocds_message(
    argocd_double: ArgoCDDouble, client: HttpArgoCD
) -> None:
    argocd_double.add_app(APP, deployment("api", "payments"))
    argocd_double.fail("get_tree", 500, "rpc error: code = Unavailable desc = repo-server down")
    with pytest.raises(ArgoCDError) as caught:
        client.resource_tree(APP)
    assert status_for(caught.value) == 502
    assert caught.value.message.endswith(": rpc error: code = Unavailable desc = repo-server down")


def test_a_proxy_s_html_page_instead_of_argocd_is_a_502_that_says_so(
    argocd_double: ArgoCDDouble, client: HttpArgoCD
) -> None:
    argocd_double.add_app(APP, deployment("api", "payments"))
    argocd_double.answer_raw("get_tree", 200, b"<html><body>Sign in with SSO</body></html>")
    with pytest.raises(ArgoCDError) as caught:
        client.resource_tree(APP)
    assert caught.value.message.startswith(
        f"Argo CD's answer to read the resource tree of {APP!r} is not JSON: is argocd.url"
    )
    argocd_double.answer_raw("get_tree", 502, b"<html>\n<h1>502   Bad Gateway</h1>\n</html>")
    with pytest.raises(ArgoCDError) as caught:
        client.resource_tree(APP)
    assert caught.value.message.endswith(": <html> <h1>502 Bad Gateway</h1> </html>")


def test_an_application_argocd_does_not_have_is_a_409_that_says_what_to_check(
    client: HttpArgoCD,
) -> None:
    with pytest.raises(ArgoCDApplicationMissingError) as caught:
        client.resource_tree("nope-prod")
    assert status_for(caught.value) == 409
    assert caught.value.code == "argocd_application_not_found"
    assert "Argo CD has no application 'nope-prod'" in caught.value.message
    assert 'applications.argoproj.io "nope-prod" not found' in caught.value.message


def test_argocd_down_is_a_503() -> None:
    client = _client(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ArgoCDUnavailableError) as caught:
        client.resource_tree(APP)
    assert status_for(caught.value) == 503 and caught.value.code == "argocd_unavailable"
    assert "cannot be reached to read the resource tree: ConnectError" in caught.value.message


def test_argocd_hanging_is_a_503_after_the_timeout_not_later(
    argocd_double: ArgoCDDouble,
) -> None:
    argocd_double.add_app(APP, deployment("api", "payments"))
    argocd_double.delay = 2.0
    client = _client(argocd_double.url, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(ArgoCDUnavailableError) as caught:
        client.restart(APP, _ref("api", "payments"))
    assert time.monotonic() - started < 1.5
    assert "did not answer within 0.3 s (argocd.timeoutSeconds)" in caught.value.message


def test_a_tree_of_odd_shapes_is_read_as_absent_not_an_error(
    argocd_double: ArgoCDDouble, client: HttpArgoCD
) -> None:
    odd = [
        {"kind": "Deployment", "group": "apps"},  # no name
        {"kind": 7, "name": "x"},
        "not a node",
        node("Pod", "p", "ns", health=None),  # no health: not reported
        node("Pod", "q", "ns", health="Progressing", info={"Restart Count": "lots"}),
        deployment("api", "payments"),
        deployment("api", "payments"),  # twice in the tree: restarted once
    ]
    argocd_double.add_app(APP, *odd)  # type: ignore[arg-type]
    tree = client.resource_tree(APP)
    assert tree.deployments == (_ref("api", "payments"),)
    assert [(p.name, p.health, p.restart_count) for p in tree.unhealthy_pods] == [
        ("q", "Progressing", None)
    ]
