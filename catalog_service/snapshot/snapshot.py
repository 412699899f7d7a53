"""A snapshot: one applied catalog and its serialized forms, rendered once each."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import yaml

from catalog_service.domain.catalog import Catalog
from catalog_service.snapshot.rendering import Encoded, EncodedHead, Renderer

T = TypeVar("T")

# What a snapshot needs before it is served: the JSON form (what Backstage's provider reads) and
# the problems. The YAML form (a stock ``url`` Location's) follows in the background: on a cold
# start it is most of the render (12 s of 14 at 10,000 manifests); readiness waits for none of it.
_SERVED_FORMS = ("json", "problems")


def yaml_document(document: bytes) -> bytes:
    """One entity's JSON document as a YAML document."""
    entity = json.loads(document)
    text = yaml.dump(
        entity, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True, width=1000
    )
    return b"---\n" + text.encode()


def new_renderer() -> Renderer:
    return Renderer(yaml_document)


@dataclass
class Snapshot:
    """One applied catalog and its serialized forms.

    The forms are rendered once, on first use or by :meth:`warm`, from the ``renderer`` the
    snapshots of one ingestor share: what the snapshot before already rendered is reused. The
    HTTP layer serves a snapshot only once it is :attr:`rendered`."""

    revision: str
    catalog: Catalog
    created_at: float
    etag: str
    _renderer: Renderer
    _forms: dict[str, object] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    @classmethod
    def build(cls, revision: str, catalog: Catalog, renderer: Renderer | None = None) -> Snapshot:
        tag = hashlib.blake2b(f"{catalog.digest}:{revision}".encode(), digest_size=16).hexdigest()
        return cls(revision, catalog, time.time(), f'"{tag}"', renderer or new_renderer())

    @property
    def body(self) -> bytes:
        """``{"items": [...], "revision": "..."}``, joined from the documents encoded at compile
        (a copy: the service sends the parts of :attr:`json_form`)."""
        return self.json_form.body

    @property
    def yaml_etag(self) -> str:
        return self.etag[:-1] + '-yaml"'

    @property
    def yaml_body(self) -> bytes:
        """All entities as multi-document YAML, each document rendered once per content."""
        return self.yaml_form.body

    @property
    def json_form(self) -> Encoded:
        revision = json.dumps(self.revision).encode()
        return self._form(
            "json", lambda: self._renderer.json_form(self.catalog.documents, revision, self.etag)
        )

    @property
    def yaml_form(self) -> Encoded:
        return self._form(
            "yaml", lambda: self._renderer.yaml_form(self.catalog.documents, self.yaml_etag)
        )

    @property
    def problems_head(self) -> EncodedHead:
        """``{"revision":"...","problems":[...]``: the problems answer up to its last fields."""
        return self._form("problems", self._render_problems_head)

    @property
    def rendered(self) -> bool:
        """The forms a served snapshot needs are rendered (the YAML form may still follow)."""
        return all(name in self._forms for name in _SERVED_FORMS)

    def warm(self) -> None:
        """Render the forms a served snapshot needs now (see :meth:`warm_rest` for the rest)."""
        _ = self.json_form, self.problems_head

    def warm_rest(self) -> None:
        """Render the YAML form now; a request for it before that renders it (or waits)."""
        _ = self.yaml_form

    def warm_rest_in_background(self) -> None:
        if "yaml" not in self._forms:
            threading.Thread(target=self.warm_rest, name="render-yaml", daemon=True).start()

    def _form(self, name: str, render: Callable[[], T]) -> T:
        # Not under the lock: a form already rendered is read without waiting for another.
        if name in self._forms:
            return self._forms[name]  # type: ignore[return-value]
        with self._lock:
            if name not in self._forms:
                self._forms[name] = render()
            return self._forms[name]  # type: ignore[return-value]

    def _render_problems_head(self) -> EncodedHead:
        problems = [problem.to_json() for problem in self.catalog.problems]
        head = {"revision": self.revision, "problems": problems}
        text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))
        return EncodedHead.of(text.removesuffix("}").encode())
