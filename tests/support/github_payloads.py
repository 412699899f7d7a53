"""GitHub's documented payloads (``tests/fixtures/github/``), and the double's state as them.

The fixtures keep GitHub's own example values (``octocat/Hello-World``, pull request 1347); the
builders here copy a fixture and fill in the double's state and URLs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "github"
EXAMPLE_REPO = "octocat/Hello-World"
EXAMPLE_NUMBER = "1347"
# Keys that GitHub leaves out of a pull request in a list (they cost it a merge computation).
PULL_DETAIL_KEYS = (
    "merged",
    "mergeable",
    "rebaseable",
    "mergeable_state",
    "merged_by",
    "comments",
    "review_comments",
    "maintainer_can_modify",
    "commits",
    "additions",
    "deletions",
    "changed_files",
)


@cache
def _fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def fixture(name: str) -> Any:
    """A fresh copy of ``tests/fixtures/github/<name>`` (``webhooks/push.json``, ...)."""
    return json.loads(_fixture_text(name))


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def user(login: str) -> dict[str, Any]:
    data: dict[str, Any] = fixture("user.json")
    data = _rewrite(data, "octocat", login)
    data["login"] = login
    data["type"] = "Bot" if login.endswith("[bot]") else "User"
    data["id"] = abs(hash(login)) % 10**8
    return data


@dataclass
class PullState:
    number: int
    title: str
    author: str
    head_ref: str
    head_sha: str
    base_ref: str = "main"
    base_sha: str = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
    body: str = ""
    state: str = "open"
    draft: bool = False
    head_repo: str | None = None  # another repository: a fork; None: the same repository
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    closed_at: datetime | None = None
    merged_at: datetime | None = None
    merge_commit_sha: str | None = None
    labels: list[str] = field(default_factory=list)


def _rewrite(data: Any, old: str, new: str) -> Any:
    """Every string in ``data`` with ``old`` replaced by ``new``."""
    if isinstance(data, str):
        return data.replace(old, new)
    if isinstance(data, list):
        return [_rewrite(item, old, new) for item in data]
    if isinstance(data, dict):
        return {key: _rewrite(value, old, new) for key, value in data.items()}
    return data


def localise(data: Any, api_url: str, repo: str) -> Any:
    """A fixture's URLs pointed at the double (``api_url``) and at ``repo``."""
    data = _rewrite(data, "https://api.github.com", api_url)
    return _rewrite(data, EXAMPLE_REPO, repo)


def repository(api_url: str, repo: str) -> dict[str, Any]:
    owner, name = repo.split("/", 1)
    data: dict[str, Any] = localise(fixture("repository.json"), api_url, repo)
    data.update(name=name, full_name=repo)
    data["owner"] = localise(user(owner), api_url, repo)
    return data


def _branch(api_url: str, repo: str, ref: str, sha: str) -> dict[str, Any]:
    owner = repo.split("/", 1)[0]
    return {
        "label": f"{owner}:{ref}",
        "ref": ref,
        "sha": sha,
        "user": localise(user(owner), api_url, repo),
        "repo": repository(api_url, repo),
    }


def pull_request(api_url: str, repo: str, pull: PullState, *, full: bool = True) -> dict[str, Any]:
    """A pull request as ``GET .../pulls/{n}`` answers it, or (``full=False``) as a list has it."""
    data: dict[str, Any] = localise(fixture("pull_request.json"), api_url, repo)
    data = _rewrite(data, f"/pulls/{EXAMPLE_NUMBER}", f"/pulls/{pull.number}")
    data = _rewrite(data, f"/pull/{EXAMPLE_NUMBER}", f"/pull/{pull.number}")
    data = _rewrite(data, f"/issues/{EXAMPLE_NUMBER}", f"/issues/{pull.number}")
    data = _rewrite(data, data["head"]["sha"], pull.head_sha)
    data.update(
        id=pull.number + 1_000_000,
        number=pull.number,
        title=pull.title,
        body=pull.body or None,
        state=pull.state,
        draft=pull.draft,
        user=localise(user(pull.author), api_url, repo),
        created_at=iso(pull.created_at),
        updated_at=iso(pull.updated_at),
        closed_at=iso(pull.closed_at),
        merged_at=iso(pull.merged_at),
        merge_commit_sha=pull.merge_commit_sha,
        merged=pull.merged_at is not None,
        mergeable_state="unknown" if pull.state == "closed" else "clean",
        labels=[label_payload(api_url, repo, name) for name in pull.labels],
        head=_branch(api_url, pull.head_repo or repo, pull.head_ref, pull.head_sha),
        base=_branch(api_url, repo, pull.base_ref, pull.base_sha),
    )
    if not full:
        for key in PULL_DETAIL_KEYS:
            data.pop(key, None)
    return data


def label_payload(api_url: str, repo: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = localise(fixture("label.json"), api_url, repo)
    data.update(name=name, url=data["url"].replace("/labels/bug", f"/labels/{name}"), default=False)
    return data
