"""The settings of the self-service actions: ``actions:``, ``promotion:``, ``restart:`` and
``copies:`` (docs/configuration.md). Part of the one settings object, catalog_service/settings.py;
pydantic only, so that loading the settings loads nothing of the actions themselves."""

from __future__ import annotations

import string

from pydantic import BaseModel, ConfigDict, Field, field_validator

from catalog_service.domain.parsing import MANIFEST_SUFFIXES


class _Section(BaseModel):
    # As catalog_service/settings.py's sections: unknown keys refused, "inf" and "nan" too.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


MANIFEST_PATH_FIELDS = frozenset({"system", "name"})


class SetVersionSettings(_Section):
    """The set-version action (docs/self-service.md)."""

    pullRequest: bool = Field(
        False, description="Open a pull request instead of committing on the GitOps branch"
    )


class ActionsSettings(_Section):
    """The self-service actions (docs/self-service.md)."""

    manifestPath: str = Field(
        "apps/{system}/{name}.yaml",
        min_length=1,
        description="Where create-application writes; {system} and {name} are filled in",
    )
    setVersion: SetVersionSettings = SetVersionSettings()

    @field_validator("manifestPath")
    @classmethod
    def _known_fields(cls, template: str) -> str:
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        except ValueError as error:
            raise ValueError(f"invalid template: {error}") from None
        unknown = fields - MANIFEST_PATH_FIELDS
        if unknown:
            raise ValueError(f"unknown placeholder(s) {sorted(unknown)}; use {{system}}, {{name}}")
        if "name" not in fields:
            raise ValueError("the template must contain {name}: one file per application")
        example = template.format(system="shop", name="app")
        if example.startswith("/") or "\\" in example:
            raise ValueError(
                "the path must be relative to the repository, such as apps/{name}.yaml"
            )
        if any(part in ("", ".", "..") for part in example.split("/")):
            raise ValueError("the path must not hold '..', '.' or an empty folder")
        if not example.endswith(MANIFEST_SUFFIXES):
            raise ValueError("the path must end in .yaml or .yml: a manifest file")
        return template


class PromotionSettings(_Section):
    """Who may promote into an environment: environment -> requester refs
    (``user:default/alice``, ``group:default/team-platform``). Unlisted environments are open."""

    protected: dict[str, list[str]] = Field(default_factory=dict)


class RestartSettings(_Section):
    """Who may restart an application in an environment (restart-application), like
    ``promotion.protected``: environment -> requester refs. Unlisted environments are open."""

    protected: dict[str, list[str]] = Field(default_factory=dict)


class CopiesSettings(_Section):
    """Database copies (``copy-database``, docs/self-service.md#copy-database)."""

    maxHours: int = Field(
        72, ge=1, le=24 * 366, description="The longest a copy may live (the action's `hours`)"
    )
    checkSeconds: float = Field(
        300, ge=1, le=86_400, description="How often the janitor looks for expired copies"
    )
