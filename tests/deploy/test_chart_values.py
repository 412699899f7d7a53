"""The chart's values: Helm refuses wrong ones by the schema, naming them; the README lists every
value; `helm lint` has nothing to say."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, get_args

import helm_python
import pytest
import yaml
from pydantic import BaseModel

from catalog_service.settings import Settings
from tests.deploy.chart import CHART_DIR, render

# Mappings given whole (their keys are the user's, or another program's).
FREE_FORM = {"config", "resources", "affinity"}


@pytest.mark.parametrize(
    ("values", "where"),
    [
        ({"replicaCount": "two"}, "/replicaCount"),
        ({"replicaCount": -1}, "/replicaCount"),
        ({"replicaCont": 2}, "'replicaCont' not allowed"),
        ({"image": {"tag": 5}}, "/image/tag"),
        ({"image": {"pullPolicy": "Sometimes"}}, "/image/pullPolicy"),
        ({"existingSecret": ["catalog"]}, "/existingSecret"),
        ({"existingSecret": "Not_A_Name"}, "/existingSecret"),
        ({"serviceMonitor": {"enabled": "yes"}}, "/serviceMonitor/enabled"),
        ({"serviceMonitor": {"interval": "30 seconds"}}, "/serviceMonitor/interval"),
        ({"ingress": {"enabled": True, "hosts": [{"host": "x"}]}}, "/ingress/hosts/0"),
        ({"podDisruptionBudget": {"minAvailable": "half"}}, "/podDisruptionBudget/minAvailable"),
        ({"persistence": {"size": "lots"}}, "/persistence/size"),
        ({"migrationJob": {"enabled": "true"}}, "/migrationJob/enabled"),
        ({"migrationJob": {"backoffLimit": -1}}, "/migrationJob/backoffLimit"),
        ({"resources": {"limits": {"memory": "1 GB"}}}, "/resources/limits/memory"),
        ({"service": {"port": 70000}}, "/service/port"),
        ({"config": {"source": {"url": ""}}}, "/config/source/url"),
        ({"config": "source: {url: x}"}, "/config"),
        ({"config": {"source": {"url": "x"}, "logging": {"format": "xml"}}}, "/config/logging"),
        ({"config": {"source": {"url": "x"}, "shutdown": {"graceSeconds": "20s"}}}, "/config/shu"),
    ],
)
def test_the_schema_refuses_a_wrong_value_and_names_it(values: dict[str, Any], where: str) -> None:
    with pytest.raises(helm_python.HelmValuesError) as refused:
        render(values)
    assert where in str(refused.value)


def test_helm_lint_is_clean() -> None:
    report = helm_python.lint(str(CHART_DIR))
    assert report["errors"] == []
    # Severity 1 is INFO ("icon is recommended"); warnings (2) and errors (3) are not tolerated.
    assert [message for message in report["messages"] if message["severity"] >= 2] == []


def value_names(values: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and key not in FREE_FORM:
            yield from value_names(value, f"{name}.")
        else:
            yield name


def test_the_readme_has_a_row_for_every_value_and_no_other() -> None:
    values = yaml.safe_load((CHART_DIR / "values.yaml").read_text(encoding="utf-8"))
    readme = (CHART_DIR / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^`]+)` \|", readme, flags=re.MULTILINE)
    assert sorted(rows) == sorted(value_names(values))


def secret_keys(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    """Every key of the settings that holds a secret (SecretStr, alone or in a list)."""
    for name, field in model.model_fields.items():
        annotation = str(field.annotation)
        nested = [arg for arg in get_args(field.annotation) if isinstance(arg, type)]
        if "SecretStr" in annotation:
            yield f"{prefix}{name}"
        for sub in [field.annotation, *nested]:
            if isinstance(sub, type) and issubclass(sub, BaseModel):
                yield from secret_keys(sub, f"{prefix}{name}.")


def nested(key: str, value: Any) -> dict[str, Any]:
    first, _, rest = key.partition(".")
    return {first: nested(rest, value) if rest else value}


def refusal(values: dict[str, Any]) -> str:
    with pytest.raises(helm_python.HelmRenderError) as refused:
        render(values)
    return str(refused.value)


SOURCE = {"url": "https://github.com/acme/gitops.git"}


@pytest.mark.parametrize("key", sorted(set(secret_keys(Settings))))
def test_a_secret_in_config_is_refused_naming_its_variable(key: str) -> None:
    # config becomes a ConfigMap, which anyone reading the namespace's config can read.
    value: Any = "a-secret-value-0123456789"
    if key.startswith("auth."):
        value = [value]
    if key == "github.app.privateKey":
        value = "-----BEGIN RSA PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----\n"
    config = {"source": SOURCE, **nested(key, value)}
    variable = "CATALOG_" + key.upper().replace(".", "__")
    assert f"config.{key} is a secret" in refusal({"config": config})
    assert f"existingSecret as {variable}" in refusal({"config": config})


@pytest.mark.parametrize(
    ("config", "says"),
    [
        (
            {"database": {"url": "postgresql+psycopg://catalog:pw@db/catalog"}},
            "config.database.url holds a password",
        ),
        (
            {"source": {"url": "https://x-access-token:ghp_x@github.com/acme/g.git"}},
            "config.source.url holds credentials",
        ),
        ({"source": {**SOURCE, "cacheDir": "/srv/mirror"}}, "config.source.cacheDir /srv/mirror"),
    ],
)
def test_config_that_leaks_or_cannot_run_is_refused(config: dict[str, Any], says: str) -> None:
    assert says in refusal({"config": {"source": SOURCE, **config}})


def test_a_pod_label_that_would_unselect_the_pods_is_refused() -> None:
    assert "podLabels.app.kubernetes.io/name is a label the chart selects" in refusal(
        {"podLabels": {"app.kubernetes.io/name": "other"}}
    )
    ok = {"config": {"source": {**SOURCE, "cacheDir": "/var/lib/catalog-service/m"}}}
    assert render({**ok, "podLabels": {"team": "platform"}})
