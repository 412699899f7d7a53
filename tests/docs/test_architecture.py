"""docs/architecture.md is the design document the code cites: every ``docs/architecture.md §N``
in the sources names a section it has, and no citation points at a file the repository lacks."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARCHITECTURE = ROOT / "docs" / "architecture.md"
CITATION = re.compile(r"architecture\.md\s+§\s*(?P<section>\d+(?:\.\d+)?)")
HEADING = re.compile(r"^#{2,3}\s+(?P<section>\d+(?:\.\d+)?)\.?\s", re.MULTILINE)
# The contract the repository once cited by a file it does not ship.
DANGLING = re.compile(r"DESIGN(?:\.md)?\s+(?:section|§)")
SOURCES = ("catalog_service", "tests", "bench", "scripts", "docs", "backstage-plugins/plugins")


def sources() -> list[Path]:
    found = []
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*"):
            if (
                path.suffix in {".py", ".md", ".ts", ".tsx", ".sh"}
                and "node_modules" not in path.parts
            ):
                found.append(path)
    assert len(found) > 100
    return found


def sections() -> set[str]:
    return set(HEADING.findall(ARCHITECTURE.read_text(encoding="utf-8")))


def test_the_document_has_the_sections_the_code_relies_on() -> None:
    assert {"1", "2", "3", "4", "5", "6", "6.1", "6.4", "6.8"} <= sections()


def test_every_citation_names_a_section_of_it() -> None:
    known = sections()
    cited = 0
    for path in sources():
        text = path.read_text(encoding="utf-8", errors="replace")
        assert not DANGLING.search(text), f"{path} cites DESIGN: cite docs/architecture.md §N"
        for match in CITATION.finditer(text):
            cited += 1
            where = f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}"
            assert match["section"] in known, f"{where}: no section {match['section']}"
    assert cited >= 20
