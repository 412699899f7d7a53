"""What the HTTP API answers, as models: they give /openapi.json its response schemas.

Field names are the API's own (camelCase), as docs/architecture.md §6.3 and docs/api.md show
them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from catalog_service.domain.problems import Problem, Severity
from catalog_service.ingest.ingestor import HeldBack
from catalog_service.vocabulary import IngestStatus


class ErrorDetail(BaseModel):
    code: str = Field(examples=["unauthorized"])
    message: str


class ErrorResponse(BaseModel):
    """Every error: a 4xx for what the caller can fix, 502/503 for the source or readiness."""

    error: ErrorDetail


class EntitiesResponse(BaseModel):
    items: list[dict[str, Any]] = Field(description="Backstage entities (backstage.io/v1alpha1)")
    revision: str = Field(description="The GitOps repository commit they come from")


class ProblemOut(BaseModel):
    path: str
    line: int
    column: int
    message: str
    severity: Severity = Field(
        description="error: the manifest is left out of the catalog; warning: it is in it"
    )
    text: str = Field(description="path:line:column: message")

    @classmethod
    def of(cls, problem: Problem) -> ProblemOut:
        return cls(**problem.to_json())


class HeldBackOut(BaseModel):
    revision: str
    reason: str

    @classmethod
    def of(cls, held: HeldBack | None) -> HeldBackOut | None:
        return None if held is None else cls(revision=held.revision, reason=held.reason)


class ProblemsResponse(BaseModel):
    revision: str | None = Field(description="Commit of the catalog served; null before one")
    problems: list[ProblemOut]
    heldBack: HeldBackOut | None = Field(description="A commit not applied, and why")
    sourceError: str | None = Field(description="Why the last fetch failed")


class ValidateResponse(BaseModel):
    valid: bool
    problems: list[ProblemOut]


class RefreshResponse(BaseModel):
    status: IngestStatus
    revision: str
    entities: int
    problems: int
    changedFiles: int = Field(description="Manifest files parsed again or deleted")
    durationSeconds: float
    reason: str | None = Field(description="Why the ingest was held back")


class HealthResponse(BaseModel):
    status: Literal["ok"]


class DatabaseReadiness(BaseModel):
    migrated: bool = Field(description="False until the migrations ran: writes answer 503")
    error: str | None = Field(description="The last failure, while failures last")
    failingSince: float | None = Field(description="Unix time the failures began")


class ReadinessResponse(BaseModel):
    ready: bool
    revision: str | None
    entities: int
    appliedAt: float | None = Field(description="Unix time the served catalog was applied")
    lastSuccessAt: float | None = Field(description="Unix time of the last successful ingest")
    secondsSinceLastSuccess: float | None = Field(description="How stale the catalog may be")
    lastError: str | None
    heldBack: HeldBackOut | None
    database: DatabaseReadiness = Field(
        description="The database (audit, pull requests, adoption): not needed to be ready"
    )
