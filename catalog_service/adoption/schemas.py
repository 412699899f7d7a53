"""What ``GET /api/v1/adoption`` answers; field names are the API's own (camelCase)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

Bucket = Literal["day", "week", "month"]


class ManifestsBucket(BaseModel):
    start: dt.date = Field(description="First day of the bucket (Monday for weeks, the 1st)")
    end: dt.date = Field(description="Last day counted: the bucket's last day, or `to`")
    total: int = Field(description="Valid application manifests on the branch at `end`")
    byType: dict[str, int]
    bySystem: dict[str, int]


class PullRequestsBucket(BaseModel):
    start: dt.date
    autonomous: int = Field(description="Merged manifest pull requests by developers")
    platformTeam: int = Field(description="Merged by the platform team (or a bot)")
    autonomousWithoutPlatformApproval: int = Field(
        description="Autonomous ones that no platform-team member approved"
    )


class ActionsBucket(BaseModel):
    start: dt.date
    counts: dict[str, dict[str, int]] = Field(
        description="action: outcome (succeeded / failed / rejected): calls"
    )


class LeadTime(BaseModel):
    medianSeconds: float | None = Field(
        description="Median time from a create-application call to its pull request's merge;"
        " null when no such pair is known in the range"
    )
    pairs: int = Field(description="How many calls and merges it is the median of")


class Newcomer(BaseModel):
    login: str
    number: int
    title: str
    mergedAt: dt.datetime


class AdoptionResponse(BaseModel):
    from_: dt.date = Field(alias="from")
    to: dt.date
    bucket: Bucket
    manifests: list[ManifestsBucket]
    pullRequests: list[PullRequestsBucket]
    actions: list[ActionsBucket]
    createToMerge: LeadTime
    newcomers: list[Newcomer] = Field(
        description="The ten most recent authors whose first manifest pull request was merged"
        " in the range, newest first"
    )

    model_config = {"populate_by_name": True}
