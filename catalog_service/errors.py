"""The exception tree of the catalog service.

Every error the service raises on purpose is a :class:`CatalogError`. The HTTP layer maps each
class to one status code in one place (``catalog_service.http.errors``); the command line prints
the message and exits with status 2. Messages are written for the platform team reading them, and
never contain secret values.

    CatalogError
    ├── ConfigurationError      a setting is missing or wrong; the service does not start
    ├── SourceError             the Git source cannot be fetched or read; the last catalog stays
    ├── NotReadyError           no ingest has succeeded yet, so there is no catalog to serve
    └── RequestError            the caller sent something we refuse (always a 4xx)
        ├── AuthenticationError missing or unknown bearer token
        ├── PayloadTooLargeError request body over the limit
        ├── RequestTimeoutError  request body not sent in time
        ├── BusyError            too many requests of a costly kind at once; try again later
        └── InvalidRequestError malformed parameters or body
"""

from __future__ import annotations


class CatalogError(Exception):
    """Base class of every error the catalog service raises on purpose."""

    code = "catalog_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(CatalogError):
    """The configuration file or a ``CATALOG_*`` variable is invalid."""

    code = "configuration_error"


class SourceError(CatalogError):
    """The Git source could not be fetched or read (unreachable, missing branch, corrupt)."""

    code = "source_unavailable"


class NotReadyError(CatalogError):
    """No ingest has succeeded yet."""

    code = "not_ready"


class RequestError(CatalogError):
    """The request is refused; the caller can fix it."""

    code = "invalid_request"


class AuthenticationError(RequestError):
    """The bearer token is missing or not one of the configured tokens."""

    code = "unauthorized"


class PayloadTooLargeError(RequestError):
    """The request body is larger than the service accepts."""

    code = "payload_too_large"


class RequestTimeoutError(RequestError):
    """The request body did not arrive in time (a stalled or deliberately slow client)."""

    code = "request_timeout"


class BusyError(RequestError):
    """As many requests of this kind as the service runs at once are running; try again."""

    code = "too_many_requests"


class InvalidRequestError(RequestError):
    """A parameter or the body is malformed."""

    code = "invalid_request"
