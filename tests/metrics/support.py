"""Helpers of the metrics tests: a small repository with known figures, an app that mounts the
metrics router, a real uvicorn server in a thread, and reading an exposition."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from catalog_service.http.deps import get_services
from catalog_service.http.errors import install_error_handlers
from catalog_service.http.routes.metrics import router
from catalog_service.metrics import ServiceMetrics
from tests.support.manifests import application_yaml, system_yaml
from tests.support.repos import GitOpsRepo

BROKEN = "apiVersion: idp/v1alpha1\nkind: Application\nmetadata:\n  name: Not_A_Label\n"
# Two refused documents in one file: one invalid manifest file.
TWO_BROKEN = BROKEN + "---\n" + BROKEN.replace("Not_A_Label", "Also_Bad")
# What populate() writes: (system, type, owner) -> applications, and the invalid files.
EXPECTED_MANIFESTS = {
    ("payments", "service", "team-pay"): 2,
    ("storefront", "service", "team-web"): 2,
}
EXPECTED_INVALID = 2


def populate(gitops: GitOpsRepo) -> str:
    """Four valid applications (one with a warning only), a System, two invalid files."""
    gitops.add_application("payments-api", system="payments", owner="team-pay")
    gitops.add_application("ledger-api", system="payments", owner="team-pay")
    gitops.add_application("web", system="storefront", owner="team-web")
    # A dependency nobody declares is a warning: the manifest stays valid and in the catalog.
    gitops.write(
        "apps/storefront/search.yaml",
        application_yaml("search", system="storefront", owner="team-web", depends_on=["gone"]),
    )
    gitops.write("apps/payments/system.yaml", system_yaml("payments", owner="team-pay"))
    gitops.write("apps/broken.yaml", BROKEN)
    gitops.write("apps/two-broken.yaml", TWO_BROKEN)
    return gitops.commit()


def metrics_app(metrics: ServiceMetrics) -> FastAPI:
    """The metrics router alone, over ``metrics`` (the service's other parts are not needed)."""
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    app.dependency_overrides[get_services] = lambda: SimpleNamespace(metrics=metrics)
    return app


@dataclass
class Scrape:
    """One exposition, read with prometheus-client's own parser."""

    samples: dict[str, list[tuple[dict[str, str], float]]] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Scrape:
        scrape = cls()
        for family in text_string_to_metric_families(text):
            scrape.types[family.name] = family.type
            for sample in family.samples:
                scrape.samples.setdefault(sample.name, []).append((sample.labels, sample.value))
        return scrape

    def value(self, name: str, **labels: str) -> float:
        found = [value for have, value in self.samples.get(name, []) if have == labels]
        assert len(found) == 1, f"{name}{labels}: {self.samples.get(name)}"
        return found[0]

    def by_labels(self, name: str, *keys: str) -> dict[tuple[str, ...], float]:
        """``{(label values in the order of keys): value}``; every sample has exactly ``keys``."""
        found = self.samples.get(name, [])
        assert all(set(labels) == set(keys) for labels, _ in found), found
        return {tuple(labels[key] for key in keys): value for labels, value in found}

    @property
    def label_names(self) -> set[str]:
        return {key for found in self.samples.values() for labels, _ in found for key in labels}
