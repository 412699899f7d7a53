"""The exception tree of the catalog service.

Every error the service raises on purpose is a :class:`CatalogError`. The HTTP layer maps each
class to one status code in one place (``catalog_service.http.errors``); the command line prints
the message and exits with status 2. Messages are written for the platform team reading them, and
never contain secret values.

    CatalogError
    ├── ConfigurationError      a setting is missing or wrong; the service does not start
    ├── SourceError             the Git source cannot be fetched or read; the last catalog stays
    ├── IngestError             an ingest failed unexpectedly (a bug); the last catalog stays
    ├── RefreshInProgressError  a refresh is already running and did not finish in time
    ├── NotReadyError           no ingest has succeeded yet, so there is no catalog to serve
    ├── GitHubError             GitHub refused a request or could not be reached; retried later
    │   ├── GitHubPermissionError   the credentials are refused or lack a permission (401, 403)
    │   ├── GitHubNotFoundError     no such repository or pull request (or not visible to us)
    │   ├── GitHubRateLimitError    the rate limit is spent until later than we are willing to wait
    │   └── GitHubUnavailableError  5xx or no connection, still after the bounded retries
    ├── DatabaseError           the database cannot be reached or migrated; try again later
    ├── GitWriteError           a branch could not be pushed to the GitOps repository
    │   └── BranchMovedError        another writer pushed the branch meanwhile (retried)
    ├── IdentityUnavailableError Backstage's keys cannot be fetched: no user token can be checked
    ├── ArgoCDError             Argo CD refused a request (401, 403, 4xx, 5xx): its message quoted
    │   ├── ArgoCDUnavailableError  Argo CD cannot be reached, or did not answer in time
    │   └── ArgoCDNotConfiguredError no argocd: section, so nothing can be asked of Argo CD
    └── RequestError            the caller sent something we refuse (always a 4xx)
        ├── AuthenticationError missing or unknown bearer token
        ├── ForbiddenError      the requester may not do this (a protected environment)
        │   └── CopyIntoProtectedError a database copy into a protected environment
        ├── PayloadTooLargeError request body over the limit
        ├── RequestTimeoutError  request body not sent in time
        ├── BusyError            too many requests of a costly kind at once; try again later
        ├── InvalidRequestError malformed parameters or body
        │   └── NotADatabaseError   a copy of a component that is not a database
        ├── NotFoundError       what the request names is not there (an application, an environment)
        ├── ConflictError       the request contradicts the current state (a version, a name)
        │   ├── ArgoCDApplicationMissingError Argo CD has no application of that name
        │   └── NoDeploymentError   the Argo CD application's tree holds no Deployment to restart
        ├── ManifestEditError   the manifest cannot be edited as asked (broken, or not safely)
        └── ManifestInvalidError a manifest an action would write breaks the rules (every problem)
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


class IngestError(CatalogError):
    """An ingest failed for a reason nobody planned for; the next one starts from scratch."""

    code = "ingest_failed"


class RefreshInProgressError(CatalogError):
    """Another refresh holds the ingest and did not finish within the wait."""

    code = "refresh_in_progress"


class NotReadyError(CatalogError):
    """No ingest has succeeded yet."""

    code = "not_ready"


class GitHubError(CatalogError):
    """GitHub answered a request with an error, or could not be reached."""

    code = "github_error"


class GitHubPermissionError(GitHubError):
    """The token or GitHub App is refused, or lacks the permission the request needs."""

    code = "github_permission_denied"


class GitHubNotFoundError(GitHubError):
    """The repository or pull request does not exist, or the credentials cannot see it."""

    code = "github_not_found"


class GitHubRateLimitError(GitHubError):
    """The rate limit is spent, and it resets later than the client is willing to wait."""

    code = "github_rate_limited"


class GitHubUnavailableError(GitHubError):
    """GitHub answered 5xx, or could not be reached, on every one of the bounded retries."""

    code = "github_unavailable"


class DatabaseError(CatalogError):
    """The database cannot be reached, migrated or written; its URL's password is never shown."""

    code = "database_unavailable"


class RequestError(CatalogError):
    """The request is refused; the caller can fix it."""

    code = "invalid_request"


class AuthenticationError(RequestError):
    """The bearer token is missing or not one of the configured tokens."""

    code = "unauthorized"


class ForbiddenError(RequestError):
    """The requester is known but may not do this: promoting into a protected environment."""

    code = "forbidden"


class CopyIntoProtectedError(ForbiddenError):
    """A database copy asked into a protected environment (the last of the order or one in
    ``promotion.protected``): copies of production data go to non-production ones only."""

    code = "copy_into_protected"


class PayloadTooLargeError(RequestError):
    """The request body is larger than the service accepts."""

    code = "payload_too_large"


class RequestTimeoutError(RequestError):
    """The request body did not arrive in time (a stalled or deliberately slow client)."""

    code = "request_timeout"


class BusyError(RequestError):
    """As many requests of this kind as the service runs at once are running; try again."""

    code = "too_many_requests"

    def __init__(self, message: str, retry_after_seconds: int = 1) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds  # answered as ``Retry-After``


class InvalidRequestError(RequestError):
    """A parameter or the body is malformed."""

    code = "invalid_request"


class NotADatabaseError(InvalidRequestError):
    """A database copy asked of a component that is not a database (postgresql, mysql)."""

    code = "not_a_database"


class NotFoundError(RequestError):
    """What the request names does not exist: an application, or one of its environments."""

    code = "not_found"


class ConflictError(RequestError):
    """The request contradicts what is there now: another version, a name already taken."""

    code = "conflict"


class ManifestEditError(RequestError):
    """The manifest cannot be edited as asked: it is broken, or the edit could not be made
    without touching more than the value asked for; the message says which, with a location."""

    code = "manifest_not_editable"


class GitWriteError(CatalogError):
    """A branch could not be written to the GitOps repository (clone, push or a remote's hook
    failed); nothing was left behind, so the same request can be sent again."""

    code = "git_write_failed"


class IdentityUnavailableError(CatalogError):
    """Backstage's signing keys (``auth.backstage.jwksUrl``) cannot be fetched or read, so a user
    token cannot be checked: the call is refused (never accepted unchecked); try again later."""

    code = "identity_unavailable"


class BranchMovedError(GitWriteError):
    """A branch pushed with a lease had moved (another writer pushed it meanwhile)."""


class ManifestInvalidError(RequestError):
    """A manifest an action would write does not pass the rule engine; the message lists every
    problem as ``path:line:column: message``, one per line."""

    code = "manifest_invalid"


class ArgoCDError(CatalogError):
    """Argo CD answered a request with an error (401, 403, another 4xx, 5xx); the message quotes
    Argo CD's own, never the token."""

    code = "argocd_failed"


class ArgoCDUnavailableError(ArgoCDError):
    """Argo CD could not be reached, or did not answer within ``argocd.timeoutSeconds``."""

    code = "argocd_unavailable"


class ArgoCDNotConfiguredError(ArgoCDError):
    """The service has no ``argocd:`` section: it cannot ask Argo CD anything."""

    code = "argocd_not_configured"


class ArgoCDApplicationMissingError(ConflictError):
    """Argo CD has no application of the name ``argocd.applicationName`` gives (not rendered or
    not synced yet, or named otherwise): the catalog and Argo CD disagree."""

    code = "argocd_application_not_found"


class NoDeploymentError(ConflictError):
    """The Argo CD application's resource tree holds no Deployment: nothing to restart."""

    code = "no_deployment"
