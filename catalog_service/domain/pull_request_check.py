"""What the ``idp / manifests`` check run shows on a pull request, built from its review: the
conclusion, a title, a Markdown summary of the Backstage entities it adds, changes and removes,
and annotations at ``path:line`` (GitHub's fields; ``catalog_service.github`` converts them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from catalog_service.domain.problems import ERROR, Problem
from catalog_service.domain.review import Review

CHECK_NAME = "idp / manifests"
MAX_LISTED = 20  # entity refs per group, and problems, in the summary; then "and N more"
MAX_ANNOTATIONS = 500  # enough to point at everything that matters, few requests (50 each)
_KINDS = {"system": 0, "component": 1, "resource": 2}

Conclusion = Literal["success", "failure"]
AnnotationLevel = Literal["notice", "warning", "failure"]


@dataclass(frozen=True, slots=True)
class CheckAnnotation:
    """One annotation as GitHub's check run API takes it; columns only on a single line."""

    path: str
    start_line: int
    end_line: int
    annotation_level: AnnotationLevel
    message: str
    title: str
    start_column: int | None = None
    end_column: int | None = None


@dataclass(frozen=True, slots=True)
class CheckReport:
    conclusion: Conclusion
    title: str
    summary: str  # Markdown
    annotations: tuple[CheckAnnotation, ...]


def check_report(review: Review) -> CheckReport:
    """A failure when the change has an error-severity finding (in its files, caused in others,
    or a removed application others depend on); a success otherwise, warnings or not."""
    errors = [p for p in review.findings if p.severity == ERROR]
    return CheckReport(
        conclusion="failure" if errors else "success",
        title=_title(review, errors),
        summary=_summary(review, errors),
        annotations=tuple(_annotation(review, p) for p in review.findings[:MAX_ANNOTATIONS]),
    )


def _title(review: Review, errors: Sequence[Problem]) -> str:
    if errors:
        files = len({problem.path for problem in errors})
        return f"{_count(len(errors), 'problem')} in {_count(files, 'manifest')}"
    diff = review.entities
    counts = [
        (len(refs), verb)
        for refs, verb in (
            (diff.added, "added"),
            (diff.changed, "changed"),
            (diff.removed, "removed"),
        )
        if refs
    ]
    if counts:
        (first, verb), rest = counts[0], counts[1:]
        parts = [f"{_count(first, 'entity', 'entities')} {verb}"]
        title = ", ".join(parts + [f"{count} {verb}" for count, verb in rest])
    else:
        title = "No entity changes"
    warnings = len(review.findings)
    return title + (f", {_count(warnings, 'warning')}" if warnings else "")


def _summary(review: Review, errors: Sequence[Problem]) -> str:
    lines = []
    if errors:
        lines += [f"**This pull request cannot merge as it is: {_title(review, errors)}.**", ""]
    for broken in review.broken:
        dependents = ", ".join(_code(name) for name in broken.dependents)
        lines.append(
            f"- Removing {_code(broken.name)} ({_code(broken.path)}) leaves {dependents}"
            " depending on it."
        )
    if review.broken:
        lines.append("")
    lines += _entities(review)
    own, caused = review.problems, review.caused
    if own:
        lines += ["", "### Problems in the changed manifests", "", *_problem_lines(own)]
    if caused:
        lines += ["", "### Problems it causes in other manifests", "", *_problem_lines(caused)]
    if len(review.findings) > MAX_ANNOTATIONS:
        lines += ["", f"Only the first {MAX_ANNOTATIONS} problems are annotated in the files."]
    checked = len(review.changed_paths)
    lines += [
        "",
        f"{_count(checked, 'manifest file')} checked against the base branch's catalog"
        + (f" ({len(review.deleted_paths)} deleted)." if review.deleted_paths else "."),
    ]
    return "\n".join(lines) + "\n"


def _entities(review: Review) -> list[str]:
    diff = review.entities
    if diff.empty:
        return ["### Backstage entities", "", "No entity of the catalog changes."]
    lines = ["### Backstage entities"]
    for heading, refs in (
        ("Added", diff.added),
        ("Changed", diff.changed),
        ("Removed", diff.removed),
    ):
        if refs:
            ordered = sorted(refs, key=lambda ref: (_KINDS.get(ref.split(":", 1)[0], 9), ref))
            lines += ["", f"**{heading} ({len(refs)})**", ""]
            lines += _capped([f"- {_code(ref)}" for ref in ordered])
    return lines


def _problem_lines(problems: Sequence[Problem]) -> list[str]:
    return _capped(
        [
            f"- **{p.severity}** {_code(f'{p.path}:{p.line}:{p.column}')} {_escape(p.message)}"
            for p in problems
        ]
    )


def _capped(lines: list[str]) -> list[str]:
    if len(lines) <= MAX_LISTED:
        return lines
    return [*lines[:MAX_LISTED], f"- and {len(lines) - MAX_LISTED} more"]


def _annotation(review: Review, problem: Problem) -> CheckAnnotation:
    if any(problem.message.endswith(broken.message) for broken in review.broken):
        title = "Removed application still depended on"
    elif problem.path not in review.changed_paths:
        title = f"Caused by this pull request ({problem.severity})"
    else:
        title = f"Manifest {problem.severity}"
    return CheckAnnotation(
        path=problem.path,
        start_line=problem.line,
        end_line=problem.line,
        annotation_level="failure" if problem.severity == ERROR else "warning",
        message=problem.message,
        title=title,
        start_column=problem.column,
        end_column=problem.column,
    )


def _count(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def _code(text: str) -> str:
    """``text`` as a Markdown code span, whatever backticks it holds."""
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _escape(text: str) -> str:
    """Plain text for Markdown: what would format, link or open HTML is escaped."""
    text = " ".join(text.split())
    for char in "\\`*_[]<>|#~!":
        text = text.replace(char, "\\" + char)
    return text
