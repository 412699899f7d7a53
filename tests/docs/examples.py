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
    rewritten: dict[str, str] = {}  # the same, for the outputs written back (update)
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
        changed = _run_block(block, commands, session, (shown_to_real, rewritten), report)
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
    values: tuple[dict[str, str], dict[str, str]],
    report: Report,
) -> bool:
    """Run the block's commands; record each mismatch. When one differs, every output of the block
    is replaced by this run's (the block stays consistent: one revision, one ETag)."""
    shown_to_real, rewritten = values
    outputs: list[list[str]] = []
    differs = False
    for command in commands:
        if command.is_comment:
            outputs.append(command.output)
            continue
        actual = _trimmed(session.run(_substitute(command.text, shown_to_real)))
        outputs.append(actual)
        shown_to_real |= correspondences(command.output, actual)
        if [normalise(line) for line in command.output] != [normalise(line) for line in actual]:
            diff = difflib.unified_diff(
                command.output, actual, "the doc shows", "the demo prints", lineterm=""
            )
            report.mismatches.append(f"{block.location}: $ {command.text}\n" + "\n".join(diff))
            differs = True
    if not differs:
        return False
    # The values the doc already shows for this run's stay (no churn; a quoted ETag still fits).
    known = {real: shown for shown, real in shown_to_real.items()}
    for command, actual in zip(commands, outputs, strict=True):
        command.text = _substitute(command.text, rewritten)
        written = [_substitute(line, known) for line in actual]
        rewritten |= correspondences(command.output, written)
        command.output = written
    return True


def _substitute(text: str, values: dict[str, str]) -> str:
    for shown, real in values.items():
        text = text.replace(shown, real)
    return text


def _trimmed(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return [line.rstrip() for line in lines]
