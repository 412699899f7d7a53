"""The self-service actions (docs/architecture.md §6.4, docs/self-service.md): plan against the
served catalog, write the branch, open the pull request, and audit every call.

One writer per manifest path in this process (a lock per path); across replicas git refuses the
second push and the writer retries on the new tip. A branch is named after the change it makes; one
that exists is reused only when its change from the base is exactly this request's (a retry: its
open pull request is answered, or opened when that failed), rebuilt from the base when all of it
is in the base already (a leftover), and refused (409) otherwise.
A dry run reads the local mirror only: no branch, no pull request, no temporary folder.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from catalog_service.actions.copy_plans import plan_copy
from catalog_service.actions.git_paths import Identity
from catalog_service.actions.git_writer import GitWriter, WriteResult
from catalog_service.actions.plans import (
    FileReader,
    Plan,
    branch_difference,
    plan_create,
    plan_promote,
    plan_set_version,
    refuse_new_errors,
)
from catalog_service.actions.requester import Requester
from catalog_service.actions.restart import Restarter
from catalog_service.actions.schemas import (
    ActionResult,
    CopyDatabaseInput,
    CopyDatabaseResult,
    CreateApplicationInput,
    PromoteImageInput,
    RemoveCopyInput,
    RestartApplicationInput,
    RestartResult,
    SetVersionInput,
)
from catalog_service.db import Database, audit
from catalog_service.db.audit import Outcome
from catalog_service.domain.entities import EntityContext, utc_now
from catalog_service.errors import (
    BranchMovedError,
    CatalogError,
    ConflictError,
    GitWriteError,
    NotReadyError,
    RequestError,
)
from catalog_service.github.client import GitHubClient
from catalog_service.ingest.ingestor import Snapshot
from catalog_service.settings import Settings
from catalog_service.vocabulary import ACTION_NAMES

ActionInput = (
    CreateApplicationInput
    | PromoteImageInput
    | SetVersionInput
    | CopyDatabaseInput
    | RemoveCopyInput
)
ACTIONS = ACTION_NAMES
LABEL = "idp"
COMMITTER = Identity("IDP catalog service", "catalog-service@idp.invalid")
_SECRET_KEY = re.compile(r"token|password|passwd|secret|credential|api_?key", re.IGNORECASE)
REDACTED = "***"
# What git strips from both ends of a name (ident.c's "crud"): a name of only these is refused.
_GIT_CRUD = re.compile(r"^[\x00-\x20.,:;<>\"\\']+|[\x00-\x20.,:;<>\"\\']+$")


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
    clock: Callable[[], datetime] = utc_now  # a copy's expiry counts from it
    restarter: Restarter | None = None  # restart-application; default: without Argo CD
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

    def set_version(self, request: SetVersionInput) -> ActionResult:
        def plan(snap: Snapshot) -> Plan:
            reader: FileReader = lambda path: self.read(snap.revision, path)  # noqa: E731
            return plan_set_version(request, self.settings, snap.catalog, reader)

        return self._audited("set-version", request, plan)

    def copy_database(self, request: CopyDatabaseInput, requester: Requester) -> CopyDatabaseResult:
        answered: list[list[str]] = []

        def plan(snap: Snapshot) -> Plan:
            reader: FileReader = lambda path: self.read(snap.revision, path)  # noqa: E731
            made, expiry = plan_copy(
                request, self.settings, self.context, snap.catalog, reader, self.clock()
            )
            answered.append(expiry)  # the list itself: a retry puts its pull request's there
            return made

        result = self._audited("copy-database", request, plan)
        expires = answered[0][0] if answered else ""
        return CopyDatabaseResult(**result.model_dump(), expiresAt=expires)

    def remove_copy(
        self, request: RemoveCopyInput, make_plan: Callable[[Snapshot], Plan]
    ) -> ActionResult:
        """The janitor's removal of an expired copy, audited like any call (by ``requestedBy``,
        the platform)."""
        return self._audited("copy-database", request, make_plan)

    def __post_init__(self) -> None:
        if self.restarter is None:
            self.restarter = Restarter(self.settings, self.database, self.snapshot, None, redact)

    def restart_application(
        self, request: RestartApplicationInput, requester: Requester
    ) -> RestartResult:
        """Through Argo CD, not git: catalog_service/actions/restart.py."""
        assert self.restarter is not None
        return self.restarter.restart(request, requester)

    def close(self) -> None:
        """At shutdown: kill the writer's git processes (a push in flight does not land later)."""
        self.writer.close()

    # -- one call ------------------------------------------------------------------------------

    def _audited(
        self,
        action: str,
        request: ActionInput,
        make_plan: Callable[[Snapshot], Plan],
    ) -> ActionResult:
        call = _Call(action, request, time.monotonic())
        outcome: Outcome = "failed"
        message = "unexpected error; the service log has the details"
        changed = False
        try:
            snap = self.snapshot()
            if snap is None:
                raise NotReadyError("no catalog yet: the first ingest has not finished")
            plan = make_plan(snap)
            before = self.read(snap.revision, plan.path) if plan.changed else None
            refuse_new_errors(plan, before, self.context, snap.catalog)
            changed = self._carry_out(plan, call)
            outcome = "succeeded"
            message = _summary(plan, request.dryRun, changed, call.url, call.branch)
        except RequestError as error:
            outcome, message = "rejected", error.message
            raise
        except CatalogError as error:
            message = error.message
            raise
        finally:
            entry_id = self._finish(call, outcome, message)
        diff = plan.diff if changed else ""
        return ActionResult(
            branch=call.branch,
            pullRequestUrl=call.url,
            diff=diff,
            auditId=entry_id,
            changed=changed,
        )

    def _carry_out(self, plan: Plan, call: _Call) -> bool:
        """Push the plan's branch and open its pull request; answer whether anything changed.

        The audit entry naming the branch is written (and committed) before the first push: no
        branch ever exists on the remote without an entry that names it."""
        if call.request.dryRun or not plan.changed:
            return plan.changed
        if plan.direct:
            with self._lock(f"branch:{plan.branch}"):  # in this process, one commit at a time
                call.branch = plan.branch
                call.entry_id = self._start(call)
                return self._commit_directly(plan, call)
        with self._lock(plan.path):
            call.branch = plan.branch
            call.entry_id = self._start(call)
            for _ in range(2):  # once more when another writer pushed the branch meanwhile
                found = self.writer.inspect(self.settings.source.branch, plan.branch, [plan.path])
                if found is not None and not found.merged:
                    reason = branch_difference(plan, found)
                    if reason is not None:
                        raise ConflictError(
                            f"branch {plan.branch!r} exists already with other changes: {reason};"
                            " nothing was written. Delete that branch and try again"
                        )
                    call.url = self._pull_request(plan, call.request.requestedBy)
                    return True  # the same request again: its branch, its pull request
                try:
                    result = self._write(plan, call.request, found.head if found else "")
                except BranchMovedError:
                    continue
                if not result.changed:  # the base has it already (the catalog was behind)
                    call.branch = None
                    return False
                call.url = self._pull_request(plan, call.request.requestedBy)
                return True
        raise GitWriteError(f"branch {plan.branch!r} kept moving while it was written; try again")

    def _commit_directly(self, plan: Plan, call: _Call) -> bool:
        """On the GitOps branch itself: a fast-forward, retried on a branch that moved."""
        request = call.request
        result = self.writer.commit(
            branch=plan.branch,
            paths=[plan.path],
            edit=lambda current: {plan.path: plan.edit(current[plan.path])},
            message=f"{plan.title}\n\n{plan.summary}\nRequested by {request.requestedBy}.\n",
            author=author_of(request.requestedBy),
            committer=COMMITTER,
        )
        if not result.changed:  # the branch says so already (the catalog was behind)
            call.branch = None
        return result.changed

    def _write(self, plan: Plan, request: ActionInput, expect: str) -> WriteResult:
        """The plan's branch, built from the base: created, or replacing ``expect`` (a leftover
        branch whose commits are all in the base already)."""
        return self.writer.write(
            base=self.settings.source.branch,
            branch=plan.branch,
            paths=[plan.path],
            edit=lambda current: {plan.path: plan.edit(current[plan.path])},
            message=f"{plan.title}\n\n{plan.summary}\nRequested by {request.requestedBy}.\n",
            author=author_of(request.requestedBy),
            committer=COMMITTER,
            expect=expect,
        )

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
    def _lock(self, key: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            yield

    def _start(self, call: _Call) -> int:
        """The entry of a call about to push: it names the branch, and says ``failed`` with why
        until the call completes it (so a service killed mid-push leaves a true entry)."""
        message = (
            f"started: pushing branch {call.branch}; not completed (the service stopped or could"
            " not record the outcome while pushing); the branch may exist"
        )
        with self.database.session() as session:
            return self._add(session, call, "failed", message)

    def _finish(self, call: _Call, outcome: Outcome, message: str) -> int:
        duration = time.monotonic() - call.started
        with self.database.session() as session:
            if call.entry_id is not None and audit.complete(
                session,
                call.entry_id,
                outcome=outcome,
                message=message,
                branch=call.branch,
                pull_request_url=call.url,
                duration_seconds=duration,
            ):
                return call.entry_id
            return self._add(session, call, outcome, message)

    def _add(self, session: Session, call: _Call, outcome: Outcome, message: str) -> int:
        entry = audit.add(
            session,
            actor=call.request.requestedBy,
            action=call.action,
            inputs=redact(call.request.model_dump(mode="json", by_alias=True, exclude_none=True)),
            dry_run=call.request.dryRun,
            outcome=outcome,
            message=message,
            branch=call.branch,
            pull_request_url=call.url,
            duration_seconds=time.monotonic() - call.started,
        )
        return entry.id


@dataclass
class _Call:
    """One call as it goes: what its audit entry says."""

    action: str
    request: ActionInput
    started: float
    entry_id: int | None = None  # written before the first push
    branch: str | None = None
    url: str | None = None


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


def author_of(requested_by: str) -> Identity:
    """``user:default/alice`` -> ``alice <alice@idp.invalid>``: who asked, as the author.

    git refuses a name made only of punctuation (``user:default/.``): then the whole ref, and
    failing that a fixed name, so a commit never fails on who asked."""
    candidates = (requested_by.rsplit("/", 1)[-1].rsplit(":", 1)[-1], requested_by)
    name = next(filter(None, (_GIT_CRUD.sub("", part) for part in candidates)), "")
    if not any(char.isalnum() for char in name):
        name = "IDP user"
    local = re.sub(r"[^A-Za-z0-9_.+-]", "-", name).strip(".-") or "user"
    return Identity(name[:128], f"{local[:64]}@idp.invalid")


def _summary(plan: Plan, dry_run: bool, changed: bool, url: str | None, branch: str | None) -> str:
    if not changed:
        return f"nothing to change: {plan.path} already says this"
    if dry_run:
        return f"dry run: {plan.title.lower()} ({plan.path}); nothing written"
    if plan.direct:
        return f"{plan.title}: committed on {branch}"
    return f"{plan.title}: {url or f'branch {branch}'}"
