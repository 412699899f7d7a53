"""A snapshot is served once its JSON form and problems are rendered; the YAML form follows."""

from __future__ import annotations

import threading

from catalog_service.service import build_ingestor
from catalog_service.snapshot.rendering import Renderer
from catalog_service.snapshot.snapshot import Snapshot, yaml_document
from tests.support.repos import GitOpsRepo
from tests.support.settings import SettingsFactory


def test_served_before_the_yaml_form_which_follows_in_the_background(
    gitops: GitOpsRepo, make_settings: SettingsFactory
) -> None:
    for name in ("orders", "payments", "ledger"):
        gitops.add_application(name)
    gitops.commit()
    ingestor = build_ingestor(make_settings())
    ingestor.refresh()
    applied = ingestor.snapshot
    assert applied is not None
    gate = threading.Event()

    def slow_yaml(document: bytes) -> bytes:
        assert gate.wait(timeout=30), "the test never let the YAML render go on"
        return yaml_document(document)

    snapshot = Snapshot.build(applied.revision, applied.catalog, Renderer(slow_yaml))
    snapshot.warm()  # returns while every YAML document waits: readiness does not need them
    assert snapshot.rendered
    snapshot.warm_rest_in_background()
    answered: list[bytes] = []
    reader = threading.Thread(target=lambda: answered.append(snapshot.yaml_body))
    reader.start()
    reader.join(timeout=0.5)
    assert reader.is_alive() and not answered, "a YAML request waits for the render in progress"
    gate.set()
    reader.join(timeout=30)
    applied.warm()
    assert answered == [applied.yaml_body], "the same bytes as a render in the foreground"
    ingestor.close()
