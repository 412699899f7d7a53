"""The HTTP API (docs/architecture.md §6.3) through FastAPI's TestClient, ingests triggered
explicitly."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient
from pydantic import BaseModel

from catalog_service.domain.parsing import MAX_FILE_BYTES
from catalog_service.http import schemas
from catalog_service.http.app import create_app
from catalog_service.ingest.ingestor import Ingestor
from catalog_service.service import build_ingestor
from catalog_service.settings import Settings
from tests.support.manifests import application_yaml
from tests.support.repos import GitOpsRepo
from tests.support.settings import TEST_TOKEN, SettingsFactory

AUTH = {"Authorization": f"Bearer {TEST_TOKEN}"}
BROKEN = "apiVersion: idp/v1alpha1\nkind: Application\nmetadata:\n  name: Not_A_Label\n"


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings()


@pytest.fixture
def ingestor(settings: Settings) -> Ingestor:
    return build_ingestor(settings)


@pytest.fixture
def client(settings: Settings, ingestor: Ingestor) -> Iterator[TestClient]:
    with TestClient(create_app(settings, ingestor, poll=False)) as client:
        yield client


@pytest.fixture
def catalog(gitops: GitOpsRepo, ingestor: Ingestor) -> str:
    """A small catalog with one rejected file, ingested; answers the revision."""
    gitops.add_application("payments-api", system="payments", components=[("db", "postgresql")])
    gitops.add_application("ledger-api", system="payments", depends_on=["payments-api"])
    gitops.add_application("web", system="storefront", depends_on=["payments-api"])
    gitops.write("apps/broken.yaml", BROKEN)
    head = gitops.commit()
    assert ingest(ingestor) == "applied"
    return head


def ingest(ingestor: Ingestor) -> str:
    """Ingest and render, as the service's refresh does: the API serves rendered snapshots."""
    status = ingestor.refresh().status
    assert ingestor.snapshot is not None
    ingestor.snapshot.warm()
    return status


def assert_error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    message: str = body["error"]["message"]
    assert message
    return message


def item_names(body: dict[str, Any]) -> set[tuple[str, str]]:
    return {(item["kind"], item["metadata"]["name"]) for item in body["items"]}


# -- entities -----------------------------------------------------------------------------------


def test_entities_are_served_with_the_revision_and_a_strong_etag(
    client: TestClient, catalog: str
) -> None:
    response = client.get("/api/v1/entities")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["revision"] == catalog
    assert item_names(body) == {
        ("System", "payments"),
        ("System", "storefront"),
        ("Component", "payments-api"),
        ("Resource", "payments-api-db"),
        ("Component", "ledger-api"),
        ("Component", "web"),
    }
    etag = response.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert client.get("/api/v1/entities").headers["etag"] == etag, "stable between requests"


def test_if_none_match_answers_304(client: TestClient, catalog: str) -> None:
    etag = client.get("/api/v1/entities").headers["etag"]
    for if_none_match in (etag, f"W/{etag}", f'"other", {etag}', f'"other",{etag} ,"x"', "*"):
        response = client.get("/api/v1/entities", headers={"If-None-Match": if_none_match})
        assert response.status_code == 304, if_none_match
        assert response.content == b""
        assert response.headers["etag"] == etag


def test_a_different_if_none_match_answers_the_entities(client: TestClient, catalog: str) -> None:
    etag = client.get("/api/v1/entities").headers["etag"]
    for if_none_match in ('"something-else"', "", "garbage, ,,", 'W/""', etag[1:-1], etag + "x"):
        response = client.get("/api/v1/entities", headers={"If-None-Match": if_none_match})
        assert response.status_code == 200, if_none_match
        assert response.json()["revision"] == catalog


def test_a_commit_gives_a_new_etag(client: TestClient, gitops: GitOpsRepo, catalog: str) -> None:
    first = client.get("/api/v1/entities")
    etag = first.headers["etag"]

    gitops.add_application("web", system="storefront", description="The web shop")
    head = gitops.commit()
    refreshed = client.post("/api/v1/refresh", headers=AUTH)
    assert refreshed.status_code == 200 and refreshed.json()["status"] == "applied"

    response = client.get("/api/v1/entities", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.headers["etag"] != etag
    assert response.json()["revision"] == head
    web = next(i for i in response.json()["items"] if i["metadata"]["name"] == "web")
    assert web["metadata"]["description"] == "The web shop"
    new_etag = response.headers["etag"]
    cached = client.get("/api/v1/entities", headers={"If-None-Match": new_etag})
    assert cached.status_code == 304


def test_entities_yaml_holds_the_same_entities(client: TestClient, catalog: str) -> None:
    as_json = client.get("/api/v1/entities").json()
    response = client.get("/api/v1/entities.yaml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/yaml")
    documents = list(yaml.safe_load_all(response.text))
    assert documents == as_json["items"]
    assert response.text.startswith("---\n")

    etag = response.headers["etag"]
    assert etag != client.get("/api/v1/entities").headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    cached = client.get("/api/v1/entities.yaml", headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""


def test_entities_yaml_round_trips_awkward_values(
    client: TestClient, gitops: GitOpsRepo, ingestor: Ingestor
) -> None:
    manifest = application_yaml("awkward", version="1.10").replace(
        "  owner: team-shop\n",
        "  owner: team-shop\n"
        "  description: 'yes: caf\u00e9 # not a comment, \u2603 \"quoted\" null 0x1F ~'\n"
        "  tags: ['true', 'null', '1e3', 'on']\n",
    )
    gitops.write("apps/awkward.yaml", manifest)
    gitops.commit()
    ingest(ingestor)
    items = client.get("/api/v1/entities").json()["items"]
    documents = list(yaml.safe_load_all(client.get("/api/v1/entities.yaml").content))
    assert documents == items
    awkward = next(d for d in documents if d["metadata"]["name"] == "awkward")
    assert awkward["metadata"]["description"].startswith("yes: caf\u00e9 # not a comment")
    assert awkward["metadata"]["tags"] == ["true", "null", "1e3", "on"]


def test_entities_before_the_first_ingest_are_503(client: TestClient) -> None:
    for path in ("/api/v1/entities", "/api/v1/entities.yaml"):
        message = assert_error(client.get(path), 503, "not_ready")
        assert "no catalog yet" in message


# -- problems -----------------------------------------------------------------------------------


def test_problems_lists_the_rejected_manifests(client: TestClient, catalog: str) -> None:
    body = client.get("/api/v1/problems").json()
    assert body["revision"] == catalog
    assert body["heldBack"] is None and body["sourceError"] is None
    assert body["problems"], "the broken manifest is reported"
    for problem in body["problems"]:
        assert problem["path"] == "apps/broken.yaml"
        assert problem["text"] == (
            f"{problem['path']}:{problem['line']}:{problem['column']}: {problem['message']}"
        )
    assert any(p["line"] == 4 and "metadata.name" in p["message"] for p in body["problems"])


def test_problems_before_the_first_ingest(client: TestClient) -> None:
    response = client.get("/api/v1/problems")
    assert response.status_code == 200
    assert response.json() == {
        "revision": None,
        "problems": [],
        "heldBack": None,
        "sourceError": None,
    }


def test_a_held_back_ingest_is_reported_and_force_applies_it(
    client: TestClient, gitops: GitOpsRepo, catalog: str
) -> None:
    gitops.delete("apps")
    emptied = gitops.commit()
    refreshed = client.post("/api/v1/refresh", headers=AUTH)
    assert refreshed.status_code == 200
    assert refreshed.json()["status"] == "held-back"
    assert "no manifest files" in refreshed.json()["reason"]

    problems = client.get("/api/v1/problems").json()
    assert problems["revision"] == catalog
    assert problems["heldBack"]["revision"] == emptied
    assert "force=true" in problems["heldBack"]["reason"]
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["heldBack"] == problems["heldBack"]
    assert client.get("/api/v1/entities").json()["revision"] == catalog

    forced = client.post("/api/v1/refresh", params={"force": "true"}, headers=AUTH)
    assert forced.status_code == 200
    assert forced.json()["status"] == "applied" and forced.json()["entities"] == 0
    assert client.get("/api/v1/entities").json() == {"items": [], "revision": emptied}
    assert client.get("/readyz").json()["heldBack"] is None
    assert client.get("/api/v1/problems").json()["heldBack"] is None


# -- validate -----------------------------------------------------------------------------------


def test_validate_accepts_a_valid_manifest(client: TestClient, catalog: str) -> None:
    body = application_yaml("orders", depends_on=["payments-api"])
    response = client.post(
        "/api/v1/validate", content=body, headers={"Content-Type": "application/yaml"}
    )
    assert response.status_code == 200
    assert response.json() == {"valid": True, "problems": []}


def test_validate_answers_located_problems(client: TestClient, catalog: str) -> None:
    body = application_yaml("orders").replace("type: service", "type: servise")
    response = client.post(
        "/api/v1/validate", content=body, params={"path": "apps/orders/orders.yaml"}
    )
    assert response.status_code == 200
    result = response.json()
    assert result["valid"] is False
    [problem] = result["problems"]
    assert problem["path"] == "apps/orders/orders.yaml"
    assert problem["line"] == 8, problem
    assert problem["text"].startswith("apps/orders/orders.yaml:8:")
    assert "spec.type" in problem["message"]


def test_validate_checks_depends_on_against_the_catalog(client: TestClient, catalog: str) -> None:
    known = client.post("/api/v1/validate", content=application_yaml("x", depends_on=["web"]))
    assert known.json()["valid"] is True
    # Applications in the same body count as known too.
    two = application_yaml("x", depends_on=["y"]) + "---\n" + application_yaml("y")
    assert client.post("/api/v1/validate", content=two).json()["valid"] is True

    unknown = client.post(
        "/api/v1/validate", content=application_yaml("x", depends_on=["web", "ghost"])
    )
    [problem] = unknown.json()["problems"]
    assert "'ghost'" in problem["message"] and "spec.dependsOn[1]" in problem["message"]
    assert problem["line"] == 11
    # A warning: the application would be in the catalog all the same.
    assert (problem["severity"], unknown.json()["valid"]) == ("warning", True)


def test_validate_tags_that_fail_to_construct_are_located_problems(client: TestClient) -> None:
    for body, at in ((b"a: !!bool maybe\n", 4), (b'a: !!int ""\n', 4), (b"<<: !!set {a}\n", 5)):
        response = client.post("/api/v1/validate", content=body)
        assert response.status_code == 200, response.text
        [problem] = response.json()["problems"]
        assert problem["text"].startswith(f"manifest.yaml:1:{at}: invalid YAML: "), problem
        assert problem["severity"] == "error"


def test_validate_before_the_first_ingest_knows_no_applications(client: TestClient) -> None:
    response = client.post("/api/v1/validate", content=application_yaml("x", depends_on=["web"]))
    assert response.status_code == 200
    [problem] = response.json()["problems"]
    assert "no application named 'web'" in problem["message"]
    assert problem["severity"] == "warning"


def test_validate_refuses_a_body_over_one_mebibyte(client: TestClient, catalog: str) -> None:
    body = b"# " + b"x" * MAX_FILE_BYTES
    message = assert_error(client.post("/api/v1/validate", content=body), 413, "payload_too_large")
    assert "1,048,576" in message

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while streaming
        for _ in range(17):
            yield b"#" * 65536

    assert_error(client.post("/api/v1/validate", content=chunks()), 413, "payload_too_large")
    exactly = b"#" * MAX_FILE_BYTES
    assert client.post("/api/v1/validate", content=exactly).status_code == 200


def test_validate_reports_a_body_that_is_not_utf8(client: TestClient, catalog: str) -> None:
    body = "apiVersion: idp/v1alpha1\nkind: Application\nmetadata: {name: caf\xe9}\n"
    response = client.post("/api/v1/validate", content=body.encode("latin-1"))
    assert response.status_code == 200
    [problem] = response.json()["problems"]
    assert "UTF-8" in problem["message"]
    assert problem["line"] == 3


def test_validate_never_echoes_a_literal_secret(client: TestClient, catalog: str) -> None:
    secret = "hunter2-super-secret-value"
    body = application_yaml("x").replace(
        "spec:\n", f"spec:\n  secrets:\n    - {{env: PASSWORD, value: {secret}}}\n"
    )
    response = client.post("/api/v1/validate", content=body)
    assert response.status_code == 200
    assert response.json()["valid"] is False
    assert secret not in response.text


# -- refresh ------------------------------------------------------------------------------------


def test_refresh_needs_a_configured_token(client: TestClient, catalog: str) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Basic {TEST_TOKEN}"},
        {"Authorization": "Bearer"},
        {"Authorization": f"Bearer {TEST_TOKEN}x"},
        {"Authorization": f"Bearer {TEST_TOKEN[:-1]}"},
        {"Authorization": TEST_TOKEN},
        {"X-Token": TEST_TOKEN},
    ):
        response = client.post("/api/v1/refresh", headers=headers)
        assert_error(response, 401, "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer"
        assert TEST_TOKEN not in response.json()["error"]["message"]
        assert (
            client.post("/api/v1/refresh", params={"force": "true"}, headers=headers).status_code
            == 401
        )


def test_refresh_with_the_token_ingests(
    client: TestClient, gitops: GitOpsRepo, catalog: str
) -> None:
    unchanged = client.post("/api/v1/refresh", headers=AUTH)
    assert unchanged.status_code == 200
    assert unchanged.json()["status"] == "unchanged"
    assert unchanged.json()["revision"] == catalog

    gitops.add_application("orders")
    head = gitops.commit()
    applied = client.post("/api/v1/refresh", headers={"authorization": f"bearer {TEST_TOKEN}"})
    body = applied.json()
    assert body["status"] == "applied" and body["revision"] == head
    assert body["changedFiles"] == 1 and body["entities"] == 8 and body["problems"] >= 1
    assert body["reason"] is None and body["durationSeconds"] >= 0


def test_refresh_is_disabled_without_configured_tokens(
    make_settings: SettingsFactory, catalog: str
) -> None:
    settings = make_settings(auth={"tokens": []})
    with TestClient(create_app(settings, poll=False)) as client:
        message = assert_error(client.post("/api/v1/refresh", headers=AUTH), 401, "unauthorized")
    assert "no auth.tokens" in message


def test_a_failing_source_answers_502_and_keeps_serving(
    client: TestClient, gitops: GitOpsRepo, catalog: str
) -> None:
    assert gitops.remote_dir is not None
    gitops.remote_dir.rename(gitops.remote_dir.with_name("gone.git"))
    message = assert_error(client.post("/api/v1/refresh", headers=AUTH), 502, "source_unavailable")
    assert message.startswith(f"cannot fetch {gitops.url}")

    assert client.get("/api/v1/entities").json()["revision"] == catalog
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["lastError"] == message
    assert client.get("/api/v1/problems").json()["sourceError"] == message


def test_force_must_be_a_boolean(client: TestClient, catalog: str) -> None:
    response = client.post("/api/v1/refresh", params={"force": "maybe"}, headers=AUTH)
    assert_error(response, 422, "invalid_request")


# -- health -------------------------------------------------------------------------------------


def test_healthz_is_always_ok(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_is_503_until_the_first_ingest_succeeds(
    client: TestClient, gitops: GitOpsRepo, ingestor: Ingestor
) -> None:
    before = client.get("/readyz")
    assert before.status_code == 503
    assert before.json()["ready"] is False and before.json()["lastSuccessAt"] is None

    gitops.add_application("orders")
    head = gitops.commit()
    assert client.post("/api/v1/refresh", headers=AUTH).status_code == 200

    after = client.get("/readyz")
    assert after.status_code == 200
    body = after.json()
    assert body["ready"] is True and body["revision"] == head and body["entities"] == 2
    assert body["lastError"] is None and body["heldBack"] is None
    assert 0 <= body["secondsSinceLastSuccess"] < 60


def test_readyz_reports_a_failing_first_ingest(
    make_settings: SettingsFactory, gitops: GitOpsRepo
) -> None:
    settings = make_settings(source={"branch": "release"})
    with TestClient(create_app(settings, poll=False)) as client:
        assert_error(client.post("/api/v1/refresh", headers=AUTH), 502, "source_unavailable")
        response = client.get("/readyz")
        assert response.status_code == 503
        assert "branch 'release' does not exist" in response.json()["lastError"]
        message = assert_error(client.get("/api/v1/entities"), 503, "not_ready")
        assert "branch 'release'" in message


# -- the rest -----------------------------------------------------------------------------------


def test_an_unknown_route_is_a_json_404(client: TestClient) -> None:
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(client.get("/"), 404, "not_found")


def test_a_wrong_method_is_a_json_405(client: TestClient) -> None:
    assert_error(client.delete("/api/v1/entities"), 405, "method_not_allowed")
    assert_error(client.get("/api/v1/refresh"), 405, "method_not_allowed")


def test_openapi_lists_the_paths(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert {
        "/api/v1/entities",
        "/api/v1/entities.yaml",
        "/api/v1/problems",
        "/api/v1/validate",
        "/api/v1/refresh",
        "/healthz",
        "/readyz",
    } <= set(document["paths"])
    assert "post" in document["paths"]["/api/v1/validate"]
    assert "post" in document["paths"]["/api/v1/refresh"]
    operation_ids = [
        operation["operationId"]
        for path in document["paths"].values()
        for operation in path.values()
    ]
    assert len(operation_ids) == len(set(operation_ids)), "operationIds must be unique"


def _response_schema(document: dict[str, Any], path: str, method: str, status: str) -> str:
    content = document["paths"][path][method]["responses"][status]["content"]
    return str(content["application/json"]["schema"]["$ref"]).rsplit("/", 1)[-1]


def test_openapi_describes_the_answers(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert _response_schema(document, "/api/v1/entities", "get", "200") == "EntitiesResponse"
    assert _response_schema(document, "/api/v1/problems", "get", "200") == "ProblemsResponse"
    assert _response_schema(document, "/api/v1/validate", "post", "200") == "ValidateResponse"
    assert _response_schema(document, "/api/v1/refresh", "post", "200") == "RefreshResponse"
    assert _response_schema(document, "/api/v1/refresh", "post", "401") == "ErrorResponse"
    assert _response_schema(document, "/readyz", "get", "503") == "ReadinessResponse"


def test_answers_match_their_models(client: TestClient, catalog: str) -> None:
    answers: dict[str, type[BaseModel]] = {
        "/api/v1/problems": schemas.ProblemsResponse,
        "/readyz": schemas.ReadinessResponse,
        "/healthz": schemas.HealthResponse,
        "/api/v1/entities": schemas.EntitiesResponse,
    }
    for path, model in answers.items():
        model.model_validate_json(client.get(path).content, strict=True)
    schemas.ErrorResponse.model_validate_json(client.post("/api/v1/refresh").content)


def test_head_answers_the_headers_of_get(client: TestClient, catalog: str) -> None:
    for path in ("/api/v1/entities", "/api/v1/entities.yaml"):
        got = client.get(path)
        head = client.head(path)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["etag"] == got.headers["etag"]
        assert client.head(path, headers={"If-None-Match": got.headers["etag"]}).status_code == 304


GARBAGE_BODIES = [
    b"",
    b"\x00\x01\x02\xff\xfe",
    b"\xef\xbb\xbf" + application_yaml("bom").encode(),
    b"[" * 5000 + b"]" * 5000,
    b"{a: " * 3000,
    b"a: &a [" + b",".join([b"*a"] * 10) + b"]\n",
    b"&a [*a, *a, *a, *a, *a, *a, *a, *a, *a]",
    b"\n".join(
        b"a%d: &a%d [%s]" % (i, i, b",".join([b"*a%d" % (i - 1)] * 9)) for i in range(1, 12)
    ),
    b"a0: x\n"
    + b"\n".join(
        b"a%d: &a%d [%s]" % (i, i, b",".join([b"*a%d" % (i - 1)] * 9)) for i in range(1, 12)
    ),
    b"!!python/object/apply:os.system ['echo hacked']",
    b"--- !!binary |\n  R0lGODlhDAAMAIQAAP\n",
    b"key: !custom-tag value\n",
    b"---\n---\n---\n",
    b"- 1\n- 2\n",
    b"just a scalar",
    b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    b"apiVersion: idp/v1alpha1\nkind: Application\nmetadata: 3\nspec: [1]\n",
    b"apiVersion: idp/v1alpha1\nkind: Application\nmetadata: {name: " + b"a" * 10000 + b"}\n",
    b"? [complex, key]\n: value\n",
    b"\t\tbad: indentation\n  - mixed\n",
    "名前: 値\n".encode(),
    "\ud83d\ude00: x".encode("utf-8", "surrogatepass"),
    b"1e400: 1e400\nnan: .nan\n",
    b"%YAML 9.9\n---\na: 1\n",
]


def test_validate_survives_garbage(client: TestClient, catalog: str) -> None:
    for index, body in enumerate(GARBAGE_BODIES):
        response = client.post("/api/v1/validate", content=body)
        assert response.status_code == 200, (index, response.text)
        result = response.json()
        assert result["valid"] is (index == 2), (index, result)
        for problem in result["problems"]:
            assert problem["line"] >= 1 and problem["column"] >= 1, (index, problem)
            assert "hacked" not in problem["message"]


def test_no_garbage_request_gives_a_500(
    settings: Settings, ingestor: Ingestor, catalog: str
) -> None:
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/api/v1/entities?x=%00%ff", {}),
        ("GET", "/api/v1/entities", {"headers": {"If-None-Match": "\x7f" * 1000}}),
        ("GET", "/api/v1/entities.yaml/..%2f..%2fetc%2fpasswd", {}),
        ("GET", "/api/v1/%ff%fe", {}),
        ("GET", "/readyz?" + "a=b&" * 500, {}),
        ("POST", "/api/v1/validate?path=" + "x" * 2000, {"content": b"a: 1"}),
        ("POST", "/api/v1/validate?path=%00%ff", {"content": b"a: 1"}),
        ("POST", "/api/v1/validate", {"content": b"a: 1", "headers": {"Content-Length": "x"}}),
        ("POST", "/api/v1/validate", {"json": {"not": "yaml"}}),
        ("POST", "/api/v1/validate", {"files": {"file": ("a.yaml", b"a: 1")}}),
        ("POST", "/api/v1/refresh", {"headers": {"Authorization": b"Bearer \xff\xfe"}}),
        ("POST", "/api/v1/refresh", {"headers": {"Authorization": "Bearer " + "t" * 10000}}),
        ("POST", "/api/v1/refresh?force=%ff", {"headers": AUTH}),
        ("POST", "/api/v1/refresh?force=1&force=0", {"headers": AUTH}),
        ("PUT", "/api/v1/validate", {"content": b"x"}),
        ("OPTIONS", "/api/v1/entities", {}),
        ("HEAD", "/healthz", {}),
        ("POST", "/healthz", {"content": b"\x00" * 100}),
    ]
    with TestClient(
        create_app(settings, ingestor, poll=False), raise_server_exceptions=False
    ) as client:
        for method, url, options in requests:
            response = client.request(method, url, **options)
            assert response.status_code < 500, (method, url, response.text)
            if response.status_code >= 400 and method != "HEAD":
                assert set(response.json()) == {"error"}, (method, url, response.text)


def test_the_entities_body_is_built_once_per_snapshot(
    client: TestClient, ingestor: Ingestor, catalog: str
) -> None:
    snapshot = ingestor.snapshot
    assert snapshot is not None
    first = client.get("/api/v1/entities").content
    assert first == snapshot.body
    assert json.loads(first)["revision"] == catalog
    assert client.get("/api/v1/entities.yaml").content is not None
    assert snapshot.yaml_body is snapshot.yaml_body, "rendered once, then reused"


def test_the_service_polls_the_source(make_settings: SettingsFactory, gitops: GitOpsRepo) -> None:
    gitops.add_application("orders")
    first = gitops.commit()
    settings = make_settings(source={"pollSeconds": 1})

    def revision_becomes(client: TestClient, expected: str) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            response = client.get("/readyz")
            if response.status_code == 200 and response.json()["revision"] == expected:
                return
            time.sleep(0.02)
        raise AssertionError(f"the catalog did not reach {expected}: {response.json()}")

    with TestClient(create_app(settings)) as client:  # poll=True: ingests at start, then polls
        revision_becomes(client, first)
        gitops.add_application("invoices")
        second = gitops.commit()
        revision_becomes(client, second)
        names = {
            item["metadata"]["name"] for item in client.get("/api/v1/entities").json()["items"]
        }
        assert {"orders", "invoices"} <= names
