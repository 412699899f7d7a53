"""Unknown keys are answered with the key that was meant, at any depth of a model."""

from __future__ import annotations

from catalog_service.domain import manifests as m
from catalog_service.domain.suggestions import keys_at, unknown_key_hint
from catalog_service.settings import Settings


def test_keys_at_each_depth_by_their_spelling_in_yaml() -> None:
    assert keys_at(m.Application, ()) == ["apiVersion", "kind", "metadata", "spec"]
    assert "dependsOn" in keys_at(m.Application, ("spec",))
    assert keys_at(m.Application, ("spec", "components", 3)) == ["name", "type"]
    # A mapping's keys are names of the user's (environments), not fields.
    assert keys_at(m.Application, ("spec", "environments", "qa")) == [
        "version",
        "replicas",
        "copies",
    ]
    assert keys_at(m.Application, ("spec", "type")) == []
    assert keys_at(m.Application, ("nowhere",)) == []


def test_a_close_key_is_suggested_else_the_keys_are_listed() -> None:
    assert unknown_key_hint(m.Application, ("spec", "dependson")) == "; did you mean dependsOn?"
    assert unknown_key_hint(Settings, ("source", "polSeconds")) == "; did you mean pollSeconds?"
    assert unknown_key_hint(m.System, ("spec",)) == (
        "; known keys here: apiVersion, kind, metadata"
    )
    assert unknown_key_hint(m.Application, ("spec", "type", "x")) == ""
