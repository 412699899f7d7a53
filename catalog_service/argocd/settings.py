"""The ``argocd:`` section of the configuration (docs/configuration.md, docs/argocd.md).
Without it, restart-application answers 503 ``argocd_not_configured`` and the status endpoint
answers git's view only."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

APPLICATION_NAME_PLACEHOLDERS = ("{application}", "{environment}")
DEFAULT_APPLICATION_NAME = "{application}-{environment}"  # the name `render` writes
ARGOCD_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?")  # a Kubernetes object's name


class ArgoCDApiSettings(BaseModel):
    """Where Argo CD's API is, and how the service speaks to it."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    url: str = Field(description="Argo CD's address, e.g. https://argocd.example.com")
    token: SecretStr = Field(description="A project-role or account token, sent as Bearer")
    timeoutSeconds: float = Field(
        10, gt=0, le=300, description="The longest one request to Argo CD may take"
    )
    applicationName: str = Field(
        DEFAULT_APPLICATION_NAME,
        min_length=1,
        max_length=253,
        description="The Argo CD application of an application in an environment",
    )
    statusCacheSeconds: float = Field(
        5, ge=0, le=3600, description="How long what Argo CD reports is kept per application"
    )

    @field_validator("url")
    @classmethod
    def _web_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise ValueError(
                "argocd.url must be an http:// or https:// URL with a host, such as"
                " https://argocd.example.com"
            )
        if parts.query or parts.fragment:
            raise ValueError("argocd.url must not hold a query or a fragment")
        return url.rstrip("/")

    @field_validator("token")
    @classmethod
    def _token(cls, token: SecretStr) -> SecretStr:
        value = token.get_secret_value()
        if not value.strip() or any(char.isspace() or ord(char) < 32 for char in value):
            raise ValueError("the token must be one word: Argo CD's token, without spaces")
        return token

    @field_validator("applicationName")
    @classmethod
    def _known_placeholders(cls, template: str) -> str:
        placeholders = re.findall(r"\{[^{}]*\}", template)
        for placeholder in placeholders:
            if placeholder not in APPLICATION_NAME_PLACEHOLDERS:
                raise ValueError(
                    f"unknown placeholder {placeholder};"
                    f" use {', '.join(APPLICATION_NAME_PLACEHOLDERS)}"
                )
        if "{application}" not in placeholders:
            raise ValueError("the name must contain {application}: one per application")
        example = application_name(template, "app", "env")
        if not ARGOCD_NAME.fullmatch(example) or len(example) > 253:
            raise ValueError(
                "the name must give an Argo CD application name: lower-case letters, digits,"
                " '-' and '.', starting and ending with a letter or digit"
            )
        return template

    def application_name(self, application: str, environment: str) -> str:
        """The Argo CD application of ``application`` in ``environment``."""
        return application_name(self.applicationName, application, environment)


def application_name(template: str, application: str, environment: str) -> str:
    return template.replace("{application}", application).replace("{environment}", environment)


def argocd_name(settings: ArgoCDApiSettings | None, application: str, environment: str) -> str:
    """The Argo CD application's name, also without ``argocd:`` (then render's default)."""
    template = settings.applicationName if settings else DEFAULT_APPLICATION_NAME
    return application_name(template, application, environment)
