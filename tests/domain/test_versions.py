"""An application's environments and git's version in each, from the served catalog, and the
lookup by name built once per catalog."""

from __future__ import annotations

from catalog_service.domain.versions import ApplicationIndex, versions_of
from tests.domain.support import application, catalog_of, dump


def test_versions_come_in_the_configured_order_for_the_environments_listed() -> None:
    envs = {"prod": {"version": "1.3.0"}, "dev": {"version": "1.4.2"}}
    catalog = catalog_of({"apps/a.yaml": dump(application("a", environments=envs))})
    [app] = catalog.applications
    assert list(versions_of(app).items()) == [("dev", "1.4.2"), ("prod", "1.3.0")]
    assert versions_of(catalog_of({"apps/b.yaml": dump(application("b"))}).applications[0]) == {}


def test_the_index_follows_the_catalog_it_is_asked_about() -> None:
    index = ApplicationIndex()
    first = catalog_of({"apps/a.yaml": dump(application("a"))})
    second = catalog_of({"apps/b.yaml": dump(application("b"))})
    found = index.get(first, "a")
    assert found is not None and found.name == "a"
    assert index.get(first, "b") is None
    assert index.get(second, "a") is None
    assert index.get(second, "b") is not None
