"""What a verified delivery's JSON says, read defensively (pure: no I/O).

Only the fields the service acts on are read; a payload missing one is treated as not for us.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from catalog_service.db.webhook_deliveries import Work
from catalog_service.timestamps import as_utc
from catalog_service.webhooks.events import PullRequestEvent

# The pull_request actions that change what a check would say.
CHECK_ACTIONS = frozenset({"opened", "synchronize", "reopened", "ready_for_review"})
# Events GitHub sends; anything else is labelled "other" in the metrics (the header of a refused
# delivery is not trusted, and must not make new label values).
KNOWN_EVENTS = frozenset(
    {"ping", "push", "pull_request", "pull_request_review", "check_run", "check_suite",
     "create", "delete", "installation", "installation_repositories", "issue_comment",
     "issues", "status", "workflow_run", "workflow_job", "release", "repository"}
)  # fmt: skip


def event_label(event: str | None) -> str:
    return event if event in KNOWN_EVENTS else "other"


def _text(data: Mapping[str, Any], *keys: str) -> str | None:
    value: Any = data
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value if isinstance(value, str) else None


def repository(payload: Mapping[str, Any]) -> str | None:
    """``owner/name`` of the delivery's repository."""
    return _text(payload, "repository", "full_name")


@dataclass(frozen=True)
class MergedPayload:
    number: int
    title: str
    author: str
    merged_at: dt.datetime
    merge_commit_sha: str | None
    url: str | None


def pull_request_event(payload: Mapping[str, Any]) -> PullRequestEvent | None:
    pull = payload.get("pull_request")
    number = payload.get("number")
    repo = repository(payload)
    if not isinstance(pull, Mapping) or not isinstance(number, int) or repo is None:
        return None
    head_sha = _text(pull, "head", "sha")
    head_ref = _text(pull, "head", "ref")
    base_ref = _text(pull, "base", "ref")
    action = _text(payload, "action")
    if head_sha is None or head_ref is None or base_ref is None or action is None:
        return None
    return PullRequestEvent(repo, number, head_sha, head_ref, base_ref, action)


def merged_pull_request(payload: Mapping[str, Any]) -> MergedPayload | None:
    """The merged pull request of a ``closed`` action with ``merged: true``; else None."""
    pull = payload.get("pull_request")
    if payload.get("action") != "closed" or not isinstance(pull, Mapping):
        return None
    merged_at = _text(pull, "merged_at")
    number = pull.get("number")
    author = _text(pull, "user", "login")
    if pull.get("merged") is not True or merged_at is None or not isinstance(number, int):
        return None
    try:
        moment = dt.datetime.fromisoformat(merged_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    return MergedPayload(
        number=number,
        title=_text(pull, "title") or "",
        author=author or "ghost",  # GitHub's name for a deleted account
        merged_at=as_utc(moment),
        merge_commit_sha=_text(pull, "merge_commit_sha"),
        url=_text(pull, "html_url"),
    )


# -- the work a delivery asks for, stored with it as JSON ------------------------------------

CHECK = "check"  # a pull request's manifests checked (GitHub calls)
RECORD = "record"  # a merged pull request recorded


def check_work(event: PullRequestEvent) -> Work:
    return Work(CHECK, dataclasses.asdict(event))


def check_of(parameters: Mapping[str, Any]) -> PullRequestEvent:
    return PullRequestEvent(**parameters)


def record_work(merged: MergedPayload) -> Work:
    parameters = dataclasses.asdict(merged)
    parameters["merged_at"] = merged.merged_at.isoformat()
    return Work(RECORD, parameters)


def record_of(parameters: Mapping[str, Any]) -> MergedPayload:
    fields = dict(parameters)
    fields["merged_at"] = dt.datetime.fromisoformat(fields["merged_at"])
    return MergedPayload(**fields)
