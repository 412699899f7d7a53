"""Audit entries for action calls refused before the action ran (docs/architecture.md §6.4:
"also when rejected"), with a valid bearer token: a body the schema refused (422), a Backstage
token that does not check out (401), a ``requestedBy`` that is not the token's user (403). A call
without a valid bearer token gets no entry (it is counted in the metrics: http/routes/actions.py).

The body is whatever the caller sent, so what is kept of it is bounded: a JSON object is stored
redacted (as the actions' own entries are), cut when long; anything else is described, never
stored, since it cannot be redacted. The Authorization header is never read here.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from pydantic import TypeAdapter, ValidationError

from catalog_service.actions.schemas import Ref
from catalog_service.actions.service import redact
from catalog_service.db import Database, audit
from catalog_service.db.audit import Outcome
from catalog_service.errors import CatalogError

logger = logging.getLogger(__name__)

UNKNOWN_ACTOR = "unknown"
MAX_PARSED_BYTES = 64 * 1024  # a larger body is not parsed at all, only described
MAX_STORED_CHARS = 2048  # of the redacted inputs, as JSON text
MAX_MESSAGE_CHARS = 2048
_REF: TypeAdapter[str] = TypeAdapter(Ref)


def stored_inputs(body: bytes) -> dict[str, Any]:
    """What the audit keeps of a refused body: bounded, and redacted like any action's inputs."""
    parsed = _json_object(body)
    if parsed is None:
        return {"body": f"not a JSON object ({len(body):,} bytes); not stored"}
    redacted: dict[str, Any] = redact(parsed)
    text = json.dumps(redacted, ensure_ascii=False)
    if len(text) <= MAX_STORED_CHARS:
        return redacted
    return {"truncated": text[:MAX_STORED_CHARS], "bytes": len(body)}


def claimed_actor(body: bytes) -> str:
    """``requestedBy`` when the body has a well-formed one, else ``unknown``."""
    parsed = _json_object(body)
    claimed = parsed.get("requestedBy") if parsed is not None else None
    try:
        return _REF.validate_python(claimed)
    except ValidationError:
        return UNKNOWN_ACTOR


def record_refusal(
    database: Database,
    *,
    action: str,
    body: bytes,
    outcome: Outcome,
    message: str,
    duration_seconds: float,
) -> int | None:
    """One audit entry for a call refused before the action ran; None if it could not be
    written (logged: the caller's answer is the refusal either way)."""
    parsed = _json_object(body)
    try:
        with database.session() as session:
            entry = audit.add(
                session,
                actor=claimed_actor(body),
                action=action,
                inputs=stored_inputs(body),
                dry_run=parsed is not None and parsed.get("dryRun") is True,
                outcome=outcome,
                message=message[:MAX_MESSAGE_CHARS],
                duration_seconds=duration_seconds,
            )
            return entry.id
    except CatalogError as error:
        logger.warning("cannot audit a refused %s call: %s", action, error)
        return None


def _json_object(body: bytes) -> dict[str, Any] | None:
    if len(body) > MAX_PARSED_BYTES:
        return None
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return parsed if isinstance(parsed, dict) else None
