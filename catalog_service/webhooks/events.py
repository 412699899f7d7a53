from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PullRequestEvent:
    repository: str
    number: int
    head_sha: str
    head_ref: str
    base_ref: str
    action: str
