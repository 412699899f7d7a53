"""Manifest text for tests: applications and systems as a developer writes them."""

from __future__ import annotations

from collections.abc import Sequence


def application_yaml(
    name: str,
    *,
    system: str = "shop",
    owner: str = "team-shop",
    description: str | None = None,
    depends_on: Sequence[str] = (),
    components: Sequence[tuple[str, str]] = (),
    version: str = "1.0.0",
) -> str:
    """A valid ``Application`` manifest of type service."""
    lines = [
        "apiVersion: idp/v1alpha1",
        "kind: Application",
        "metadata:",
        f"  name: {name}",
        f"  system: {system}",
        f"  owner: {owner}",
    ]
    if description is not None:
        lines.append(f"  description: {description}")
    lines += [
        "spec:",
        "  type: service",
        f"  source: {{repository: acme/{name}}}",
        f"  image: registry.example.com/{name}",
    ]
    if components:
        lines.append("  components:")
        lines += [f"    - {{name: {c_name}, type: {c_type}}}" for c_name, c_type in components]
    if depends_on:
        lines.append(f"  dependsOn: [{', '.join(depends_on)}]")
    lines += [
        "  environments:",
        f'    dev: {{version: "{version}"}}',
        f'    prod: {{version: "{version}"}}',
    ]
    return "\n".join(lines) + "\n"


def system_yaml(name: str, *, owner: str = "team-shop", description: str = "A system") -> str:
    return (
        "apiVersion: idp/v1alpha1\nkind: System\n"
        f"metadata: {{name: {name}, owner: {owner}, description: {description}}}\n"
    )
