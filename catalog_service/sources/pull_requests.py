"""Pull request heads in the git source's mirror, and the manifests they change.

GitHub serves every pull request's head as ``refs/pull/<n>/head`` on the base repository, a
fork's pull request too, so it is fetched from the same remote as the branch, with the same
credentials, timeouts and process groups. It lands under private refs (``refs/idp/pull/<n>/``)
that nothing else reads, never on the branch the catalog is served from, and they are dropped
once the check is done. Nothing from the pull request is checked out or run: its blobs are read
from git's objects, as ingest reads the branch's.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalog_service.sources.git import Change, GitSource

PRIVATE_REFS = "refs/idp/pull"


@dataclass(frozen=True, slots=True)
class PullRequestCommits:
    """A pull request's head commit and the base branch's commit, fetched together."""

    number: int
    head: str
    base: str


class PullRequestFetcher:
    """Fetches pull request heads into ``source``'s mirror and lists their manifest changes."""

    def __init__(self, source: GitSource) -> None:
        self.source = source

    def refs(self, number: int) -> tuple[str, str]:
        """The private refs of pull request ``number``: its head, and the base branch."""
        return f"{PRIVATE_REFS}/{number}/head", f"{PRIVATE_REFS}/{number}/base"

    def fetch(self, number: int) -> PullRequestCommits:
        """Fetch ``refs/pull/<number>/head`` and the base branch (so that the merge base is
        the one GitHub sees, even when the served catalog is a little behind)."""
        head_ref, base_ref = self.refs(number)
        commits = self.source.fetch_refs(
            [
                f"+refs/pull/{number}/head:{head_ref}",
                f"+refs/heads/{self.source.branch}:{base_ref}",
            ]
        )
        return PullRequestCommits(number, commits[head_ref], commits[base_ref])

    def release(self, number: int) -> None:
        """Drop the private refs, so their objects can be collected."""
        self.source.delete_refs(self.refs(number))

    def changes(self, commits: PullRequestCommits) -> list[Change]:
        """The manifest paths the pull request adds, changes or deletes relative to where it
        branched off (its merge base with the base branch), as ``git diff base...head``."""
        merge_base = self.source.read_git("merge-base", commits.base, commits.head)
        return self.source.changes(merge_base.decode("ascii").strip(), commits.head)
