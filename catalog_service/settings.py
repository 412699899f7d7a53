"""All settings in one typed object: a YAML file, then ``CATALOG_*`` environment variables on top.

Keys are spelled as in the configuration file (camelCase); an environment variable names the same
key in capitals, ``__`` between nested keys: ``CATALOG_SOURCE__POLLSECONDS=30``. Lists and mappings
go in as JSON: ``CATALOG_AUTH__TOKENS='["t1","t2"]'``.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from catalog_service.actions.settings import (
    ActionsSettings,
    CopiesSettings,
    PromotionSettings,
    RestartSettings,
)
from catalog_service.argocd.settings import ArgoCDApiSettings
from catalog_service.domain.deployment import IN_CLUSTER
from catalog_service.domain.entities import PLACEHOLDERS
from catalog_service.domain.manifests import DNS_LABEL
from catalog_service.domain.parsing import is_manifest_path
from catalog_service.domain.suggestions import unknown_key_hint
from catalog_service.errors import ConfigurationError
from catalog_service.render.settings import RenderSettings

CONFIG_ENV = "CATALOG_CONFIG"
_EXAMPLE = "https://example.com"


class _Section(BaseModel):
    # allow_inf_nan: "inf" and "nan" read as floats otherwise, and no setting means them.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _web_url(url: str, what: str) -> str:
    """``url`` when it is an http(s) URL with a host; else ValueError naming ``what``."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"{what} must be an http:// or https:// URL with a host, such as {_EXAMPLE}"
        )
    return url


class SourceSettings(_Section):
    url: str = Field(min_length=1, description="Any git URL, or the path of a local git repository")
    branch: str = Field("main", min_length=1)
    roots: list[str] = Field(default_factory=lambda: ["apps"], min_length=1)
    pollSeconds: float = Field(60, ge=1, description="Seconds between fetches (at least 1)")
    cacheDir: Path | None = Field(None, description="Where the local mirror lives")
    webUrl: str | None = Field(None, description="The repository's web page, for entity locations")
    timeoutSeconds: float = Field(
        120, gt=0, description="The longest any git clone or fetch may take before it is stopped"
    )

    @field_validator("roots")
    @classmethod
    def _relative_roots(cls, roots: list[str]) -> list[str]:
        for root in roots:
            if root.startswith("/") or ".." in root.split("/"):
                raise ValueError("roots are folders inside the repository, such as apps")
        return [root.strip("/") for root in roots]


class LinkTemplateSettings(_Section):
    title: str = Field(min_length=1)
    url: str = Field(min_length=1)

    @field_validator("title", "url")
    @classmethod
    def _known_placeholders(cls, template: str) -> str:
        for placeholder in re.findall(r"\{[^{}]*\}", template):
            if placeholder not in PLACEHOLDERS:
                raise ValueError(
                    f"unknown placeholder {placeholder}; use {', '.join(PLACEHOLDERS)}"
                )
        return template

    @field_validator("url")
    @classmethod
    def _opens_in_a_browser(cls, template: str) -> str:
        # javascript: or data: links would run in Backstage's pages; the scheme is never a
        # placeholder, so it is checked with the placeholders filled in.
        _web_url(
            template.format_map(dict.fromkeys(("name", "system", "environment"), "x")),
            "a link's url",
        )
        return template


class GitHubAppSettings(_Section):
    """A GitHub App installation; its installation tokens are fetched and renewed as needed."""

    id: int = Field(gt=0, description="The App ID")
    privateKey: SecretStr = Field(description="The App's private key (PEM)")
    installationId: int = Field(gt=0, description="The installation on the GitOps repository")

    @field_validator("privateKey")
    @classmethod
    def _pem(cls, key: SecretStr) -> SecretStr:
        if "-----BEGIN" not in key.get_secret_value():
            raise ValueError("the private key must be the PEM text GitHub gave for the App")
        return key


class GitHubSettings(_Section):
    token: SecretStr | None = None
    app: GitHubAppSettings | None = None
    webhookSecret: SecretStr | None = None
    apiUrl: str = Field("https://api.github.com", description="GitHub's REST API")
    reconcileMinutes: float = Field(
        60, gt=0, description="How often merged pull requests are listed to catch lost webhooks"
    )

    @field_validator("apiUrl")
    @classmethod
    def _api_url(cls, url: str) -> str:
        return _web_url(url, "the API URL")

    @model_validator(mode="after")
    def _one_credential(self) -> GitHubSettings:
        if self.token is not None and self.app is not None:
            raise ValueError("give github.token or github.app, not both")
        return self

    @property
    def configured(self) -> bool:
        """Whether the service may call GitHub's API (a token or an App is configured)."""
        return self.token is not None or self.app is not None

    @property
    def web_url(self) -> str:
        """github.com for the public API, the host itself for GitHub Enterprise (``/api/v3``)."""
        api = self.apiUrl.rstrip("/")
        if api == "https://api.github.com":
            return "https://github.com"
        return api.removesuffix("/api/v3")


MIN_TOKEN_LENGTH = 16


def _long_enough(token: SecretStr) -> SecretStr:
    # Long enough not to be guessed, and the documented placeholder `[...]` is refused.
    if len(token.get_secret_value()) < MIN_TOKEN_LENGTH:
        raise ValueError(
            f"a token must be at least {MIN_TOKEN_LENGTH} characters; make one with"
            " python3 -c 'import secrets; print(secrets.token_urlsafe(24))'"
        )
    return token


SecretToken = Annotated[SecretStr, AfterValidator(_long_enough)]


class BackstageIdentitySettings(_Section):
    """Where the service checks the user tokens Backstage signs (docs/self-service.md)."""

    jwksUrl: str = Field(
        pattern=r"^https?://[^\s/]+",
        description="Backstage's keys, e.g. https://backstage.example.com/api/auth/.well-known/jwks.json",
    )
    issuer: str = Field(
        min_length=1,
        description="The iss of Backstage's user tokens: its auth URL, e.g. https://backstage.example.com/api/auth",
    )
    cacheSeconds: float = Field(
        300,
        gt=0,
        le=86400,
        description="How long fetched keys are used before they are fetched again",
    )
    timeoutSeconds: float = Field(
        5, gt=0, le=60, description="The longest a fetch of the keys may take"
    )


class AuthSettings(_Section):
    tokens: list[SecretToken] = Field(default_factory=list)
    trustedTokens: list[SecretToken] = Field(
        default_factory=list,
        description="Tokens (for automation) whose callers' requestedBy and requestedByGroups are"
        " believed for protected environments; they authenticate like auth.tokens",
    )
    ciTokens: list[SecretToken] = Field(
        default_factory=list,
        description="Tokens that may call the set-version action and nothing else (for CI)",
    )
    backstage: BackstageIdentitySettings | None = Field(
        None, description="Verify the Backstage user token sent in X-Backstage-Token"
    )

    @model_validator(mode="after")
    def _ci_tokens_apart(self) -> AuthSettings:
        # A CI token also listed in tokens or trustedTokens would have every right, silently.
        ci = {token.get_secret_value() for token in self.ciTokens}
        for name in ("tokens", "trustedTokens"):
            if any(token.get_secret_value() in ci for token in getattr(self, name)):
                raise ValueError(
                    f"a token of auth.ciTokens is also in auth.{name}, where it may call every"
                    " write endpoint: give CI a token of its own"
                )
        return self

    def all_tokens(self) -> list[SecretStr]:
        """Every token a write call may present: ``tokens`` and ``trustedTokens``."""
        return [*self.tokens, *self.trustedTokens]


class DatabaseSettings(_Section):
    url: str = "sqlite:///catalog.db"

    @field_validator("url")
    @classmethod
    def _not_in_memory(cls, url: str) -> str:
        scheme, _, rest = url.partition("://")
        if scheme.split("+")[0].lower() == "sqlite":
            path, _, query = rest.partition("?")
            if path in ("", "/", "/:memory:") or "mode=memory" in query:
                raise ValueError(
                    "an in-memory SQLite database is a new, empty one for each connection:"
                    " give a file, such as sqlite:///catalog.db"
                )
        return url


class IngestSettings(_Section):
    """When an ingest looks like an accident, it is held back instead of applied."""

    holdBackEmpty: bool = Field(
        True, description="Hold back an ingest that finds no manifests where the last had some"
    )
    maxRemovedFraction: float = Field(
        0.5, ge=0, le=1, description="Hold back an ingest that removes more of the entities"
    )


class BackstageSettings(_Section):
    """Where the service tells Backstage that a new snapshot was applied (optional)."""

    eventsUrl: str = Field(
        min_length=1,
        pattern=r"^https?://",
        description="Backstage's events endpoint, e.g. https://backstage.example.com/api/events/http/idp.catalog",
    )
    token: Annotated[SecretStr, AfterValidator(_long_enough)] | None = Field(
        None, description="Sent as a Bearer token with each event"
    )


EnvironmentName = Annotated[str, Field(pattern=DNS_LABEL, max_length=40)]

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LOG_LEVELS: tuple[str, ...] = get_args(LogLevel)


class LoggingSettings(_Section):
    """What the service writes on stderr (docs/operations.md#logs)."""

    format: Literal["text", "json"] = Field(
        "text", description="json: one JSON object a line (the image sets it)"
    )
    level: LogLevel = Field("INFO", description="DEBUG also logs every fetch")

    @field_validator("level", mode="before")
    @classmethod
    def _upper_case(cls, level: object) -> object:
        return level.upper() if isinstance(level, str) else level


class ShutdownSettings(_Section):
    graceSeconds: float = Field(
        20, ge=0, le=3600, description="How long requests in flight may finish after SIGTERM"
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        allow_inf_nan=False,
        env_prefix="CATALOG_",
        env_nested_delimiter="__",
        case_sensitive=False,
        extra="forbid",
        frozen=True,
    )

    source: SourceSettings
    environments: list[EnvironmentName] = Field(
        default_factory=lambda: ["dev", "staging", "prod"], min_length=1
    )
    platformTeam: list[str] = Field(default_factory=list)
    links: list[LinkTemplateSettings] = Field(default_factory=list)
    github: GitHubSettings = GitHubSettings()
    auth: AuthSettings = AuthSettings()
    database: DatabaseSettings = DatabaseSettings()
    ingest: IngestSettings = IngestSettings()
    backstage: BackstageSettings | None = None
    actions: ActionsSettings = ActionsSettings()
    promotion: PromotionSettings = PromotionSettings()
    render: RenderSettings = RenderSettings()
    logging: LoggingSettings = LoggingSettings()
    shutdown: ShutdownSettings = ShutdownSettings()
    copies: CopiesSettings = CopiesSettings()
    argocd: ArgoCDApiSettings | None = None
    restart: RestartSettings = RestartSettings()

    @field_validator("environments")
    @classmethod
    def _unique_environments(cls, environments: list[str]) -> list[str]:
        if len(set(environments)) != len(environments):
            raise ValueError("environment names must be unique")
        return environments

    @model_validator(mode="after")
    def _manifests_written_under_a_root(self) -> Settings:
        example = self.actions.manifestPath.format(system="shop", name="app")
        if not is_manifest_path(example, self.source.roots):
            raise ValueError(
                f"actions.manifestPath: {self.actions.manifestPath} is outside source.roots"
                f" {self.source.roots} (or in a hidden folder): the catalog would not read"
                " what create-application writes"
            )
        return self

    @model_validator(mode="after")
    def _protected_environments_exist(self) -> Settings:
        for name, protected in (("promotion", self.promotion), ("restart", self.restart)):
            unknown = sorted(set(protected.protected) - set(self.environments))
            if unknown:
                raise ValueError(f"{name}.protected names unknown environments: {unknown}")
        unknown = sorted(set(self.render.destinations) - set(self.environments))
        if unknown:
            raise ValueError(f"render.destinations names unknown environments: {unknown}")
        return self

    @model_validator(mode="after")
    def _environments_apart(self) -> Settings:
        # Two environments of one application in one namespace of one cluster: their Argo CD
        # Applications would deploy the same release there, each overwriting the other's.
        if "{environment}" in self.render.namespace:
            return self
        clusters: dict[tuple[str | None, str | None], str] = {}
        for env in self.environments:
            where = self.render.destinations.get(env)
            key = (where.server, where.name) if where is not None else (IN_CLUSTER, None)
            if key in clusters:
                raise ValueError(
                    f"render.namespace {self.render.namespace!r} has no {{environment}}, and"
                    f" {clusters[key]} and {env} deploy to the same cluster: their deployments"
                    " would overwrite each other; put {environment} in render.namespace or give"
                    " them their own clusters (render.destinations)"
                )
            clusters[key] = env
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file arrives as init arguments; the environment overrides it.
        return env_settings, init_settings

    def mirror_dir(self) -> Path:
        """The local mirror of the source: one per URL and branch."""
        if self.source.cacheDir is not None:
            return self.source.cacheDir
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        key = hashlib.sha256(f"{self.source.url}#{self.source.branch}".encode()).hexdigest()[:16]
        return base / "catalog-service" / "mirrors" / key


def load_settings(
    config_file: Path | None = None,
    *,
    defaults: Mapping[str, Any] | None = None,
    **overrides: Any,
) -> Settings:
    """Read the configuration file (``--config`` or ``CATALOG_CONFIG``) and the environment.

    ``defaults`` stand for top-level keys the file leaves out; ``overrides`` replace the file's.
    Raises :class:`ConfigurationError` naming every wrong setting, never echoing its value.
    """
    path = config_file or (Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV) else None)
    data: dict[str, Any] = dict(defaults or {})
    if path is not None:
        data.update(_read_config_file(path))
    data.update(overrides)
    try:
        return Settings(**data)
    except SettingsError as error:  # a CATALOG_* variable that is not the JSON it must be
        raise ConfigurationError(
            f"invalid configuration in CATALOG_* variables: {error}"
            " (lists and mappings are given as JSON)"
        ) from None
    except ValidationError as error:
        details = error.errors(include_url=False, include_input=False)
        if path is None and any(d["loc"] == ("source",) for d in details):
            raise ConfigurationError(
                "no configuration: give --config FILE, or set CATALOG_CONFIG to its path"
                " (at least source.url; docs/configuration.md has every key)"
            ) from None
        where = f" in {path} or the CATALOG_* environment" if path else " in CATALOG_* variables"
        lines = [f"  {_describe_setting_error(detail)}" for detail in details]
        raise ConfigurationError(f"invalid configuration{where}:\n" + "\n".join(lines)) from None


def _describe_setting_error(detail: ErrorDetails) -> str:
    name = ".".join(str(part) for part in detail["loc"]) or "(top level)"
    if detail["type"] != "extra_forbidden":
        return f"{name}: {detail['msg']}"
    return f"{name}: unknown key{unknown_key_hint(Settings, detail['loc'])}"


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"cannot read configuration file {path}: {error}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        at = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ConfigurationError(f"{at}: invalid YAML: {error.problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path}: the configuration must be a YAML mapping")
    return data
