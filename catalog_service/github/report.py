"""The pull-request check's report (pure, from ``catalog_service.domain``) as GitHub's values."""

from __future__ import annotations

from catalog_service.domain.pull_request_check import CheckAnnotation, CheckReport
from catalog_service.github.client import Annotation, CheckRunOutput, CommitState

# GitHub cuts a commit status's description at 140 characters.
STATUS_DESCRIPTION_LIMIT = 140


def check_run_output(report: CheckReport) -> CheckRunOutput:
    return CheckRunOutput(
        title=report.title,
        summary=report.summary,
        annotations=tuple(annotation(item) for item in report.annotations),
    )


def annotation(item: CheckAnnotation) -> Annotation:
    return Annotation(
        path=item.path,
        start_line=item.start_line,
        end_line=item.end_line,
        message=item.message,
        level=item.annotation_level,
        title=item.title,
        start_column=item.start_column,
        end_column=item.end_column,
    )


def commit_status(report: CheckReport) -> tuple[CommitState, str]:
    """The state and description of the ``idp/manifests`` status that stands in for the check
    run where the token may not create one."""
    description = report.title
    if len(description) > STATUS_DESCRIPTION_LIMIT:
        description = description[: STATUS_DESCRIPTION_LIMIT - 1] + "…"
    return report.conclusion, description
