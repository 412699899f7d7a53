"""The self-service actions (docs/architecture.md §6.4, docs/self-service.md): plan against the
served catalog, write the branch, open the pull request, and audit every call.

One writer per manifest path in this process (a lock per path); across replicas git refuses the
second push and the writer retries on the new tip. A retry of the same request finds its branch
and its open pull request and answers them; a branch pushed whose pull request failed is reused.
A dry run reads the local mirror only: no branch, no pull request, no temporary folder.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from catalog_service.actions.git_paths import Identity
from catalog_service.actions.git_writer import GitWriter
from catalog_service.actions.plans import FileReader, Plan, plan_create, plan_promote
from catalog_service.actions.requester import Requester
from catalog_service.actions.schemas import (
    ActionResult,
    CreateApplicationInput,
    PromoteImageInput,
)
from catalog_service.db import Database, audit
from catalog_service.db.audit import Outcome
from catalog_service.domain.entities import EntityContext
from catalog_service.errors import CatalogError, NotReadyError, RequestError
from catalog_service.github.client import GitHubClient
from catalog_service.ingest.ingestor import Snapshot
from catalog_service.settings import Settings
from catalog_service.vocabulary import ACTION_NAMES

ACTIONS = ACTION_NAMES
LABEL = "idp"
COMMITTER = Identity("IDP catalog service", "catalog-service@idp.invalid")
_SECRET_KEY = re.compile(r"token|password|passwd|secret|credential|api_?key", re.IGNORECASE)
REDACTED = "***"


@dataclass
class ActionService:
    """Runs the actions; one instance per service (it holds the per-path locks)."""

    settings: Settings
    context: EntityContext
    database: Database
    snapshot: Callable[[], Snapshot | None]
    read: Callable[[str, str], bytes | None]  # (revision, path) -> bytes at that revision
    writer: GitWriter
    github: GitHubClient | None = None
    repository: str | None = None  # owner/name on GitHub, for pull requests
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def create_application(
        self, request: CreateApplicationInput, requester: Requester
    ) -> ActionResult:
        return self._audited(
            "create-application",
            request,
            lambda snap: plan_create(request, self.settings, self.context, snap.catalog, requester),
        )

    def promote_image(self, request: PromoteImageInput, requester: Requester) -> ActionResult:
        def plan(snap: Snapshot) -> Plan:
            reader: FileReader = lambda path: self.read(snap.revision, path)  # noqa: E731
            return plan_promote(request, self.settings, snap.catalog, reader, requester)

        return self._audited("promote-image", request, plan)

    # -- one call ------------------------------------------------------------------------------

    def _audited(
        self,
        action: str,
        request: CreateApplicationInput | PromoteImageInput,
        make_plan: Callable[[Snapshot], Plan],
    ) -> ActionResult:
        started = time.monotonic()
        branch = url = None
        outcome: Outcome = "failed"
        message = "unexpected error; the service log has the details"
        try:
            snap = self.snapshot()
            if snap is None:
                raise NotReadyError("no catalog yet: the first ingest has not finished")
            plan = make_plan(snap)
            branch, url, changed = self._carry_out(plan, request)
            outcome, message = "succeeded", _summary(plan, request.dryRun, changed, url, branch)
        except RequestError as error:
            outcome, message = "rejected", error.message
            raise
        except CatalogError as error:
            message = error.message
            raise
        finally:
            entry_id = self._audit(action, request, outcome, message, branch, url, started)
        diff = plan.diff if changed else ""
        return ActionResult(
            branch=branch, pullRequestUrl=url, diff=diff, auditId=entry_id, changed=changed
        )

    def _carry_out(
        self, plan: Plan, request: CreateApplicationInput | PromoteImageInput
    ) -> tuple[str | None, str | None, bool]:
        """(branch, pull request URL, changed)."""
        if request.dryRun or not plan.changed:
            return None, None, plan.changed
        with self._lock(plan.path):
            existing = self.writer.branch_head(plan.branch)
            if existing is not None and self.github is not None and self.repository:
                open_pr = self.github.find_open_pull_request(self.repository, plan.branch)
                if open_pr is not None:  # the same request again: answer its pull request
                    return plan.branch, open_pr.html_url, True
            result = self.writer.write(
                base=self.settings.source.branch,
                branch=plan.branch,
                paths=[plan.path],
                edit=lambda current: {plan.path: plan.edit(current[plan.path])},
                message=f"{plan.title}\n\n{plan.summary}\nRequested by {request.requestedBy}.\n",
                author=_author(request.requestedBy),
                committer=COMMITTER,
            )
            if not result.changed and existing is None:
                return None, None, False  # the base has it already (the catalog was behind)
            return plan.branch, self._pull_request(plan, request.requestedBy), True

    def _pull_request(self, plan: Plan, requested_by: str) -> str | None:
        if self.github is None or not self.repository:
            return None
        pr = self.github.find_open_pull_request(self.repository, plan.branch)
        if pr is None:
            body = (
                f"{plan.summary}\n\nRequested by `{requested_by}` through the IDP's"
                f" `{plan.action}` action.\n\n```diff\n{plan.diff}```\n"
            )
            pr = self.github.create_pull_request(
                self.repository,
                title=plan.title,
                body=body,
                head=plan.branch,
                base=self.settings.source.branch,
            )
        if LABEL not in pr.labels:  # also when labelling failed on an earlier try
            self.github.add_labels(self.repository, pr.number, [LABEL, f"{LABEL}:{plan.action}"])
        return pr.html_url

    @contextmanager
    def _lock(self, path: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(path, threading.Lock())
        with lock:
            yield

    def _audit(
        self,
        action: str,
        request: CreateApplicationInput | PromoteImageInput,
        outcome: Outcome,
        message: str,
        branch: str | None,
        url: str | None,
        started: float,
    ) -> int:
        with self.database.session() as session:
            entry = audit.add(
                session,
                actor=request.requestedBy,
                action=action,
                inputs=redact(request.model_dump(mode="json", by_alias=True, exclude_none=True)),
                dry_run=request.dryRun,
                outcome=outcome,
                message=message,
                branch=branch,
                pull_request_url=url,
                duration_seconds=time.monotonic() - started,
            )
            return entry.id


def redact(value: Any) -> Any:
    """``value`` with everything under a key named like a token, password or secret replaced."""
    if isinstance(value, Mapping):
        return {
            key: REDACTED if _SECRET_KEY.search(str(key)) else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


def _author(requested_by: str) -> Identity:
    """``user:default/alice`` -> ``alice <alice@idp.invalid>``: who asked, as the author."""
    name = requested_by.rsplit("/", 1)[-1].rsplit(":", 1)[-1] or "unknown"
    return Identity(name, f"{re.sub(r'[^A-Za-z0-9_.+-]', '-', name)}@idp.invalid")


def _summary(plan: Plan, dry_run: bool, changed: bool, url: str | None, branch: str | None) -> str:
    if not changed:
        return f"nothing to change: {plan.path} already says this"
    if dry_run:
        return f"dry run: {plan.title.lower()} ({plan.path}); nothing written"
    return f"{plan.title}: {url or f'branch {branch}'}"
