"""Catalog service: application manifests in a GitOps repository become a Backstage catalog."""

from catalog_service.errors import (
    AuthenticationError,
    CatalogError,
    ConfigurationError,
    InvalidRequestError,
    NotReadyError,
    PayloadTooLargeError,
    RequestError,
    SourceError,
)

__version__ = "0.1.0"

__all__ = [
    "AuthenticationError",
    "CatalogError",
    "ConfigurationError",
    "InvalidRequestError",
    "NotReadyError",
    "PayloadTooLargeError",
    "RequestError",
    "SourceError",
    "__version__",
]
