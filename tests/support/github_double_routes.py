"""The GitHub double's endpoint handlers, with the validations GitHub documents (422s)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.support import github_payloads as payloads

CHECK_STATUSES = ("queued", "in_progress", "completed")
CONCLUSIONS = (
    "action_required",
    "cancelled",
    "failure",
    "neutral",
    "success",
    "skipped",
    "stale",
    "timed_out",
)
ANNOTATION_LEVELS = ("notice", "warning", "failure")
COMMIT_STATES = ("error", "failure", "pending", "success")
MAX_ANNOTATIONS = 50
PULL_SORTS = ("created", "updated", "popularity", "long-running")


DOCS = "https://docs.github.com/rest"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # below the API root, without the query: /repos/acme/gitops/check-runs
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    json: Any  # the parsed body, None without one

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def error(status: int, message: str, errors: str | None = None) -> Response:
    """GitHub's error body; ``errors`` becomes its list of validation errors."""
    body: dict[str, Any] = {"message": message, "documentation_url": DOCS}
    if errors is not None:
        body["errors"] = [{"resource": "Resource", "code": "custom", "message": errors}]
    return Response(status, body)


def _response(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Response:
    return Response(status, body, headers or {})


def _invalid(message: str, errors: str | None = None) -> Response:
    return error(422, message, errors)


def _not_found() -> Response:
    return error(404, "Not Found")


class RoutesMixin:
    ids: Iterator[int]
    pulls: dict[str, dict[int, payloads.PullState]]
    files: dict[tuple[str, int], list[dict[str, Any]]]
    reviews: dict[tuple[str, int], list[dict[str, Any]]]
    check_runs: dict[int, dict[str, Any]]
    annotations: dict[int, list[dict[str, Any]]]
    statuses: list[dict[str, Any]]

    @property
    def api_url(self) -> str:
        raise NotImplementedError

    def paginate(self, request: RecordedRequest, items: list[Any]) -> Response:
        raise NotImplementedError

    # repositories and pull requests ----------------------------------------------------------

    def get_repo(self, request: RecordedRequest, params: dict[str, str]) -> Response:
        return _response(200, payloads.repository(self.api_url, _repo(params)))

    def _pull(self, params: dict[str, str]) -> payloads.PullState | None:
        return self.pulls[_repo(params)].get(int(params["number"]))

    def get_pull(self, request: RecordedRequest, params: dict[str, str]) -> Response:
        pull = self._pull(params)
        if pull is None:
            return _not_found()
        return _response(200, payloads.pull_request(self.api_url, _repo(params), pull))

    def list_pulls(self, request: RecordedRequest, params: dict[str, str]) -> Response:
        repo, query = _repo(params), request.query
        state = query.get("state", "open")
        sort = query.get("sort", "created")
        if state not in ("open", "closed", "all") or sort not in PULL_SORTS:
            return _invalid("Validation Failed")
        # GitHub: "desc when sort is created or sort is not specified, otherwise asc".
        descending = query.get("direction", "desc" if sort == "created" else "asc") == "desc"
        pulls = [p for p in self.pulls[repo].values() if state in ("all", p.state)]
        if "head" in query:
            pulls = [p for p in pulls if _head_label(repo, p) == query["head"]]
        if "base" in query:
            pulls = [p for p in pulls if p.base_ref == query["base"]]
        key = "updated_at" if sort == "updated" else "created_at"
        pulls.sort(key=lambda p: (getattr(p, key), p.number), reverse=descending)
        items = [payloads.pull_request(self.api_url, repo, p, full=False) for p in pulls]
        return self.paginate(request, items)

    def create_pull(self, request: RecordedRequest, params: dict[str, str]) -> Response:
        repo, body = _repo(params), request.json or {}
        for key in ("title", "head", "base"):
            if not isinstance(body.get(key), str) or not body[key]:
                return _invalid(f'Invalid request.\n\n"{key}" wasn\'t supplied.')
        owner = repo.split("/", 1)[0]
        head_owner, _, head_ref = body["head"].rpartition(":")
        head_repo = None if head_owner in ("", owner) else f"{head_owner}/{repo.split('/')[1]}"
        label = f"{head_owner or owner}:{head_ref}"
        if any(
            p.state == "open" and _head_label(repo, p) == label for p in self.pulls[repo].values()
        ):
            return _invalid(
                "Validation Failed", errors=f"A pull request already exists for {label}."
            )
        if head_ref == body["base"] and head_repo is None:
            return _invalid(
                "Validation Failed", errors=f"No commits between {body['base']} and {head_ref}"
            )
        now = datetime.now(UTC).replace(microsecond=0)
        pull = payloads.PullState(
            number=max(self.pulls[repo], default=0) + 1,
            title=body["title"],
            body=body.get("body") or "",
            author="catalog-bot[bot]",
            head_ref=head_ref,
            head_sha=hashlib.sha1(f"{repo}:{label}".encode()).hexdigest(),
            base_ref=body["base"],
            head_repo=head_repo,
            draft=bool(body.get("draft", False)),
            created_at=now,
            updated_at=now,
        )
        self.pulls[repo][pull.number] = pull
        return _response(201, payloads.pull_request(self.api_url, repo, pull))

    def list_files(self, request: RecordedRequest, params: dict[str, str]) -> Response:
        if self._pull(params) is None:
            return _not_found()
        return self.paginate(request, self.files[(_repo(params), int(params["number"]))])

    def list_reviews(self, request: RecordedRequest, params: dict[str, str]) -> Response:
        if self._pull(params) is None:
            return _not_found()
        return self.paginate(request, self.reviews[(_repo(params), int(params["number"]))])

    def add_labels(self, request: RecordedRequest, params: dict[str, str]) -> Response:
        pull = self._pull(params)
        if pull is None:
            return _not_found()
        body = request.json
        names = body.get("labels") if isinstance(body, dict) else body
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            return _invalid("Invalid request.\n\nFor 'links/0/schema', nil is not an array.")
        pull.labels += [name for name in names if name not in pull.labels]
        labels = [payloads.label_payload(self.api_url, _repo(params), n) for n in pull.labels]
        return _response(200, labels)

    # check runs and statuses -----------------------------------------------------------------

    def create_check_run(self, request: RecordedRequest, params: dict[str, str]) -> Response:
        body = request.json or {}
        for key in ("name", "head_sha"):
            if not isinstance(body.get(key), str) or not body[key]:
                return _invalid(f'Invalid request.\n\n"{key}" wasn\'t supplied.')
        check_id = next(self.ids)
        data: dict[str, Any] = payloads.localise(
            payloads.fixture("check_run.json"), self.api_url, _repo(params)
        )
        data = payloads._rewrite(data, "github/hello-world", _repo(params))
        data.update(
            id=check_id,
            name=body["name"],
            head_sha=body["head_sha"],
            url=f"{self.api_url}/repos/{_repo(params)}/check-runs/{check_id}",
            html_url=f"https://github.com/{_repo(params)}/runs/{check_id}",
            status="queued",
            conclusion=None,
            details_url=None,
            external_id="",
            started_at=payloads.iso(datetime.now(UTC)),
            completed_at=None,
            output={"title": None, "summary": None, "text": None, "annotations_count": 0},
        )
        data["output"]["annotations_url"] = f"{data['url']}/annotations"
        problem = self._apply_check_run(data, body)
        if problem is not None:
            return problem
        self.check_runs[check_id] = data
        return _response(201, data)

    def get_check_run(self, request: RecordedRequest, params: dict[str, str]) -> Response:
        data = self.check_runs.get(int(params["check_run_id"]))
        return _not_found() if data is None else _response(200, data)

    def update_check_run(self, request: RecordedRequest, params: dict[str, str]) -> Response:
        data = self.check_runs.get(int(params["check_run_id"]))
        if data is None:
            return _not_found()
        problem = self._apply_check_run(data, request.json or {})
        return problem if problem is not None else _response(200, data)

    def _apply_check_run(self, data: dict[str, Any], body: dict[str, Any]) -> Response | None:
        status = body.get("status", data["status"])
        conclusion = body.get("conclusion", data["conclusion"])
        if status not in CHECK_STATUSES or (
            conclusion is not None and conclusion not in CONCLUSIONS
        ):
            return _invalid("Invalid request.\n\nstatus or conclusion is not a valid value.")
        if conclusion is not None:
            status = "completed"  # GitHub: giving a conclusion completes the run
        elif status == "completed":
            return _invalid('Invalid request.\n\n"conclusion" wasn\'t supplied.')
        output = body.get("output")
        annotations = (output or {}).get("annotations") or []
        if len(annotations) > MAX_ANNOTATIONS:
            return _invalid("Invalid request.\n\nOnly 50 annotations may be sent at a time.")
        for annotation in annotations:
            problem = _annotation_problem(annotation)
            if problem is not None:
                return _invalid(f"Invalid request.\n\n{problem}")
        if output is not None:
            if not output.get("title") or not output.get("summary"):
                return _invalid('Invalid request.\n\n"title" and "summary" are required in output.')
            data["output"].update(
                title=output["title"], summary=output["summary"], text=output.get("text")
            )
            self.annotations[data["id"]].extend(annotations)
            data["output"]["annotations_count"] = len(self.annotations[data["id"]])
        for key in ("details_url", "external_id", "name"):
            if key in body:
                data[key] = body[key]
        data.update(status=status, conclusion=conclusion)
        if status == "completed" and data["completed_at"] is None:
            data["completed_at"] = payloads.iso(datetime.now(UTC))
        return None

    def create_status(self, request: RecordedRequest, params: dict[str, str]) -> Response:
        body = request.json or {}
        if body.get("state") not in COMMIT_STATES:
            return _invalid("Validation Failed", errors="state is not included in the list")
        if len(body.get("description") or "") > 140:
            return _invalid(
                "Validation Failed", errors="description is too long (maximum is 140 characters)"
            )
        repo = _repo(params)
        data: dict[str, Any] = payloads.localise(
            payloads.fixture("status.json"), self.api_url, repo
        )
        now = payloads.iso(datetime.now(UTC))
        data.update(
            id=next(self.ids),
            url=f"{self.api_url}/repos/{repo}/statuses/{params['sha']}",
            state=body["state"],
            description=body.get("description"),
            target_url=body.get("target_url"),
            context=body.get("context") or "default",
            created_at=now,
            updated_at=now,
        )
        self.statuses.append({**data, "_repo": repo, "_sha": params["sha"]})
        return _response(201, data)


def _repo(params: dict[str, str]) -> str:
    return f"{params['owner']}/{params['repo']}"


def _head_label(repo: str, pull: payloads.PullState) -> str:
    return f"{(pull.head_repo or repo).split('/')[0]}:{pull.head_ref}"


def _annotation_problem(annotation: Any) -> str | None:
    if not isinstance(annotation, dict):
        return "an annotation is not an object"
    for key in ("path", "start_line", "end_line", "annotation_level", "message"):
        if key not in annotation:
            return f'"{key}" wasn\'t supplied.'
    if annotation["annotation_level"] not in ANNOTATION_LEVELS:
        return "annotation_level is not a valid value"
    same_line = annotation["start_line"] == annotation["end_line"]
    if not same_line and ("start_column" in annotation or "end_column" in annotation):
        return "start_column and end_column may only be given on one line"
    return None
