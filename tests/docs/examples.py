"""Run a doc's console examples against the demo; compare with what the doc shows, or rewrite it."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from tests.docs.console import (
    Block,
    Command,
    blocks,
    correspondences,
    normalise,
    render_commands,
    replace_block,
)
from tests.docs.demo import SETUPS, DemoSession


@dataclass
class Report:
    run: int = 0  # console blocks run
    skipped: list[str] = field(default_factory=list)  # "doc:line: reason"
    mismatches: list[str] = field(default_factory=list)  # located diffs
    rewritten: int = 0


def check_doc(path: Path, session: DemoSession, *, update: bool) -> Report:
    """Run every console block of ``path`` in order; with ``update``, write real outputs back."""
    report = Report()
    replacements: list[tuple[Block, list[str]]] = []
    shown_to_real: dict[str, str] = {}  # varying values the doc quotes → this run's
    for block in blocks(path):
        if "file" in block.directives:
            session.write(block.directives["file"], "\n".join(block.lines) + "\n")
            continue
        if block.info != "console":
            continue
        if "skip" in block.directives:
            assert block.directives["skip"], f"{block.location}: say why it is not run"
            report.skipped.append(f"{block.location}: {block.directives['skip']}")
            continue
        for name in filter(None, block.directives.get("setup", "").split(",")):
            assert name in SETUPS, f"{block.location}: no setup {name!r} in tests/docs/demo.py"
            SETUPS[name](session)
        commands = block.commands()
        assert commands, f"{block.location}: a console block without any `$ ` command"
        changed = _run_block(block, commands, session, shown_to_real, report)
        report.run += 1
        if changed and update:
            replacements.append((block, render_commands(commands)))
    if replacements:
        text = path.read_text(encoding="utf-8")
        for block, lines in reversed(replacements):
            text = replace_block(text, block, lines)
        path.write_text(text, encoding="utf-8")
        report.rewritten = len(replacements)
    return report


def _run_block(
    block: Block,
    commands: list[Command],
    session: DemoSession,
    shown_to_real: dict[str, str],
    report: Report,
) -> bool:
    changed = False
    rewritten: dict[str, str] = {}  # values replaced in this block's outputs
    for command in commands:
        if command.is_comment:
            continue
        command.text = _substitute(command.text, rewritten)
        actual = _trimmed(session.run(_substitute(command.text, shown_to_real)))
        expected = command.output
        shown_to_real |= correspondences(expected, actual)
        if [normalise(line) for line in expected] == [normalise(line) for line in actual]:
            continue
        diff = "\n".join(
            difflib.unified_diff(expected, actual, "the doc shows", "the demo prints", lineterm="")
        )
        report.mismatches.append(f"{block.location}: $ {command.text}\n{diff}")
        rewritten |= correspondences(expected, actual)
        command.output = actual
        changed = True
    return changed


def _substitute(text: str, values: dict[str, str]) -> str:
    for shown, real in values.items():
        text = text.replace(shown, real)
    return text


def _trimmed(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return [line.rstrip() for line in lines]
